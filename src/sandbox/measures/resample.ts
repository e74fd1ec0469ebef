/**
 * Resampling traces: the period-2 pattern an image enlarged 2× carries (Popescu & Farid 2005,
 * Kirchner 2008: interpolated pixels are linear combinations of their neighbours, so a linear
 * predictor's residual is periodic with the resampling period). Pure, on a grey image's typed
 * array, like the other measures here.
 *
 * Only enlargements that keep source pixels show this trace (libvips/sharp at 2×). The centred
 * convention (PIL, OpenCV: output samples at ±¼ of a source pixel) keeps none: both phases are
 * mirror images and their second differences match (0.001–0.003 on photographs so enlarged). Its
 * trace is in the first difference instead, but JPEG's blocks and downscaled photographs mark that
 * too (clean PNGs up to 0.049, centred 2× from 0.029), so it is not used. Traces of larger factors
 * (periods of 4, 5, 25 px) are left alone for the same reason: a photograph shrunk by 4/5 or 5/8
 * carries one as strong as a 4× or 6× enlargement's.
 */
import type { GreyImage } from './image.js';

export interface ResampleStats {
  /**
   * Period-2 contrast of the second difference along rows (x) and along columns (y):
   * (Σ|d2| at odd positions − Σ|d2| at even ones) / Σ|d2|, from −1 to 1, about 0 for a photograph
   * at its own resolution. In an image enlarged 2× whose every other pixel is a source pixel, the
   * pixels in between lie close to the line through their neighbours, so their second difference
   * is small and the sums differ by 10–40%. Positions are counted over whole 8-px periods: JPEG's
   * blocks add a pattern that is symmetric within each block, and the second difference at
   * positions j and 7−j of a block (opposite parities) is raised alike, so the grid cancels out.
   */
  parityX: number;
  parityY: number;
  /** Mean of |parityX| and |parityY|: an enlargement marks both directions (either phase). */
  parity: number;
}

/** Rows (for x) or row pairs (for y) read: every other band of 8 on images taller than this. */
const SAMPLE_ALL_BELOW = 256;

export function resampleStats(grey: GreyImage): ResampleStats {
  const { data, width: w, height: h } = grey;
  let oddX = 0;
  let evenX = 0;
  let oddY = 0;
  let evenY = 0;
  const sampled = h >= SAMPLE_ALL_BELOW;
  for (let y = 0; y < h; y++) {
    if (sampled && (y >> 3) & 1) continue;
    const row = y * w;
    // Along the row: x odd and x + 1 even, as pairs, so both parities cover the same span.
    for (let x = 1; x + 2 < w; x += 2) {
      const a = data[row + x - 1]!;
      const b = data[row + x]!;
      const c = data[row + x + 1]!;
      const d = data[row + x + 2]!;
      oddX += Math.abs(a - 2 * b + c);
      evenX += Math.abs(b - 2 * c + d);
    }
    // Down the columns: rows y (odd) and y + 1 (even), with their neighbours above and below.
    if ((y & 1) === 1 && y + 2 < h) {
      const up = row - w;
      const next = row + w;
      const below = row + 2 * w;
      for (let x = 0; x < w; x++) {
        const a = data[up + x]!;
        const b = data[row + x]!;
        const c = data[next + x]!;
        const d = data[below + x]!;
        oddY += Math.abs(a - 2 * b + c);
        evenY += Math.abs(b - 2 * c + d);
      }
    }
  }
  const contrast = (odd: number, even: number) => (odd + even > 0 ? (odd - even) / (odd + even) : 0);
  const parityX = contrast(oddX, evenX);
  const parityY = contrast(oddY, evenY);
  return { parityX, parityY, parity: (Math.abs(parityX) + Math.abs(parityY)) / 2 };
}
