/**
 * Resampling traces: the period-2 pattern an image enlarged 2× carries (Popescu & Farid 2005,
 * Kirchner 2008: interpolated pixels are linear combinations of their neighbours, so a linear
 * predictor's residual is periodic with the resampling period). Pure, on a grey image's typed
 * array, like the other measures here.
 *
 * Two traces. The parity of |second difference| shows enlargements that keep source pixels
 * (libvips/sharp at 2×). The centred convention (PIL, OpenCV: output samples at ±¼ of a source
 * pixel) keeps none: both phases are mirror images and their |second differences| match
 * (0.001–0.003 on photographs so enlarged). It shows in the sign of neighbouring second
 * differences instead (the lag-1 product's parity, `centredX`/`centredY`). The first difference
 * was tried for it and not used: JPEG's blocks and downscaled photographs mark it too (clean PNGs
 * up to 0.049, centred 2× from 0.029). Traces of larger factors
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
  /**
   * Period-2 contrast of the lag-1 product of second differences, q[i] = d2[i]·d2[i+1], along rows
   * (x) and columns (y): |mean q at odd i − mean q at even i| / (2·mean |q|), 0 to 1. A centred
   * 2× enlargement (PIL, OpenCV: output samples at ±¼ of a source pixel) leaves |d2| alike at both
   * phases, but its neighbouring second differences are correlated one way inside a source pixel's
   * pair and the other way across pairs. Only windows inside one 8-px block count (i mod 8 in
   * 1–5, each parity averaged separately): JPEG's block edges raise this contrast in clean images.
   * 0 unless one parity's mean product is positive (drawn art, see `centredContrast`).
   */
  centredX: number;
  centredY: number;
  /** The smaller of centredX and centredY: an enlargement marks both directions. */
  centred: number;
}

/** Rows (for x) or row pairs (for y) read: every other band of 8 on images taller than this. */
const SAMPLE_ALL_BELOW = 256;

export function resampleStats(grey: GreyImage): ResampleStats {
  const { data, width: w, height: h } = grey;
  let oddX = 0;
  let evenX = 0;
  // Lag-1 products (centred trace): sums at odd and even positions, their counts, and Σ|q|.
  const cx = { odd: 0, even: 0, nOdd: 0, nEven: 0, abs: 0 };
  const cy = { odd: 0, even: 0, nOdd: 0, nEven: 0, abs: 0 };
  // d2 of the row below the previous odd row (row y − 1 when at row y), for the even products down columns.
  const belowPrev = new Float64Array(w);
  const sampled = h >= SAMPLE_ALL_BELOW;
  for (let y = 0; y < h; y++) {
    if (sampled && (y >> 3) & 1) continue;
    const row = y * w;
    // Along the row: x odd and x + 1 even, as pairs, so both parities cover the same span.
    let prevX = 0; // d2 at x − 1
    let qOdd = 0;
    let qEven = 0;
    let qAbs = 0;
    let nOdd = 0;
    let nEven = 0;
    for (let x = 1; x + 2 < w; x += 2) {
      const a = data[row + x - 1]!;
      const b = data[row + x]!;
      const c = data[row + x + 1]!;
      const d = data[row + x + 2]!;
      const d2odd = a - 2 * b + c;
      const d2even = b - 2 * c + d;
      oddX += Math.abs(d2odd);
      evenX += Math.abs(d2even);
      const m = x & 7;
      if (m !== 7) {
        // Window x − 1 … x + 2, within the block.
        const q = d2odd * d2even;
        qOdd += q;
        qAbs += Math.abs(q);
        nOdd++;
      }
      if (m === 3 || m === 5) {
        // Window x − 2 … x + 1 (even position x − 1).
        const q = prevX * d2odd;
        qEven += q;
        qAbs += Math.abs(q);
        nEven++;
      }
      prevX = d2even;
    }
    cx.odd += qOdd;
    cx.even += qEven;
    cx.abs += qAbs;
    cx.nOdd += nOdd;
    cx.nEven += nEven;
    // Down the columns: rows y (odd) and y + 1 (even), with their neighbours above and below.
    if ((y & 1) === 1 && y + 2 < h) {
      const up = row - w;
      const next = row + w;
      const below = row + 2 * w;
      const m = y & 7;
      const oddOn = m !== 7;
      const evenOn = m === 3 || m === 5;
      let rowOdd = 0;
      let rowEven = 0;
      let rowAbs = 0;
      for (let x = 0; x < w; x++) {
        const a = data[up + x]!;
        const b = data[row + x]!;
        const c = data[next + x]!;
        const d = data[below + x]!;
        const d2odd = a - 2 * b + c;
        const d2even = b - 2 * c + d;
        if (oddOn) {
          const q = d2odd * d2even;
          rowOdd += q;
          rowAbs += Math.abs(q);
        }
        if (evenOn) {
          const q = belowPrev[x]! * d2odd;
          rowEven += q;
          rowAbs += Math.abs(q);
        }
        belowPrev[x] = d2even;
      }
      cy.odd += rowOdd;
      cy.even += rowEven;
      cy.abs += rowAbs;
      if (oddOn) cy.nOdd += w;
      if (evenOn) cy.nEven += w;
    }
  }
  const contrast = (odd: number, even: number) => (odd + even > 0 ? (odd - even) / (odd + even) : 0);
  const parityX = contrast(oddX, evenX);
  const [oddY, evenY] = columnSecondDifferences(grey);
  const parityY = contrast(oddY, evenY);
  const centredX = centredContrast(cx);
  const centredY = centredContrast(cy);
  return {
    parityX,
    parityY,
    parity: (Math.abs(parityX) + Math.abs(parityY)) / 2,
    centredX,
    centredY,
    centred: Math.min(centredX, centredY),
  };
}

interface ProductSums {
  odd: number;
  even: number;
  nOdd: number;
  nEven: number;
  abs: number;
}

function centredContrast({ odd, even, nOdd, nEven, abs }: ProductSums): number {
  if (nOdd === 0 || nEven === 0 || abs === 0) return 0;
  const meanOdd = odd / nOdd;
  const meanEven = even / nEven;
  // Within a pair interpolated from one source pixel neighbouring second differences agree in
  // sign, so one parity's mean product is positive. Drawn art (flat areas, steps on a lattice of
  // even positions) has negative products at both parities and a contrast as large: not counted.
  if (Math.max(meanOdd, meanEven) <= 0) return 0;
  return Math.abs(meanOdd - meanEven) / ((2 * abs) / (nOdd + nEven));
}

/**
 * Σ|d2| down the columns at odd and at even rows, over every row pair (y odd, y + 1). Not from the
 * sampled bands of 8 rows above: a pair (7, 8) reaches into a band that is not read, so an edge
 * between rows 8 and 9 raised d2 at row 8 without the d2 at row 9 it raises alike, and one strong
 * edge on a multiple of 8 (common in drawn and rendered images) read as a trace (the bench's
 * 600-px gradient with a square from row 201: 0.037 on one axis, over the limit; now 0.005).
 * Whole 8-row periods, so JPEG's grid still cancels (rows j and 7 − j, opposite parities).
 */
function columnSecondDifferences(grey: GreyImage): [number, number] {
  const { data, width: w, height: h } = grey;
  let odd = 0;
  let even = 0;
  for (let y = 1; y + 2 < h; y += 2) {
    const up = (y - 1) * w;
    const row = y * w;
    const next = row + w;
    const below = next + w;
    for (let x = 0; x < w; x++) {
      const b = data[row + x]!;
      const c = data[next + x]!;
      odd += Math.abs(data[up + x]! - 2 * b + c);
      even += Math.abs(b - 2 * c + data[below + x]!);
    }
  }
  return [odd, even];
}
