/**
 * Blockiness: JPEG's 8×8 grid showing through.
 */
import type { GreyImage } from './image.js';

/**
 * Mean absolute step between neighbouring pixels across the 8-px grid lines, over the mean step
 * everywhere else (rows and columns). About 1 for a natural image (or any image resized after
 * compression, which moves the grid); heavy JPEG compression flattens each block, so steps
 * gather on the grid and the ratio climbs far above 1.
 */
export function blockiness(grey: GreyImage): number {
  const { data, width: w, height: h } = grey;
  let onGrid = 0;
  let onCount = 0;
  let offGrid = 0;
  let offCount = 0;
  // Every other band of 8 rows is enough on images of some height: half the cost, same ratio.
  const sampled = h >= 64;
  for (let y = 0; y < h; y++) {
    if (sampled && (y >> 3) & 1) continue;
    const row = y * w;
    const gridRow = (y & 7) === 7 && y < h - 1;
    for (let x = 0; x < w; x++) {
      const i = row + x;
      if (x < w - 1) {
        const d = Math.abs(data[i + 1]! - data[i]!);
        if ((x & 7) === 7) {
          onGrid += d;
          onCount++;
        } else {
          offGrid += d;
          offCount++;
        }
      }
      if (y < h - 1) {
        const d = Math.abs(data[i + w]! - data[i]!);
        if (gridRow) {
          onGrid += d;
          onCount++;
        } else {
          offGrid += d;
          offCount++;
        }
      }
    }
  }
  if (onCount === 0 || offCount === 0) return 1;
  const on = onGrid / onCount;
  const off = offGrid / offCount;
  // A flat image has no steps anywhere: no blocks either.
  return off > 0.05 ? on / off : on > 0.05 ? 10 : 1;
}
