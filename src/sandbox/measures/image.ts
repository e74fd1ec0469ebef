/**
 * The images the pixel measures read, and the sampling they share. Everything in measures/ works
 * on plain typed arrays, so it is deterministic, needs no native code, and can be tested with
 * hand-made pixels.
 */

/** An 8-bit interleaved image as decoded (1 to 4 channels; alpha, if any, is last). */
export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

/** A single-channel 8-bit image: luma 0–255, one byte per pixel. */
export interface GreyImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Nearest-rank quantile of sorted values; 0 for none. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/**
 * Origins of up to `max` squares of `tile` px (plus `margin` px of context on every side) spread
 * evenly over the image. Large images are sampled rather than scanned whole, so the cost of a
 * measure is bounded whatever the image size, while every part of the picture is represented.
 */
export function sampleTiles(width: number, height: number, tile: number, margin: number, max: number): Array<[number, number]> {
  const nx = Math.floor((width - 2 * margin) / tile);
  const ny = Math.floor((height - 2 * margin) / tile);
  if (nx < 1 || ny < 1) return [];
  const stride = Math.max(1, Math.sqrt((nx * ny) / max));
  const out: Array<[number, number]> = [];
  for (let fy = 0; fy < ny; fy += stride) {
    for (let fx = 0; fx < nx; fx += stride) out.push([margin + Math.floor(fx) * tile, margin + Math.floor(fy) * tile]);
  }
  return out;
}

/** Copies a tile with its margin into `out` (side `tile + 2·margin`) as floats. */
export function copyTile(grey: GreyImage, x0: number, y0: number, side: number, out: Float32Array): void {
  const { data, width } = grey;
  for (let y = 0; y < side; y++) {
    const row = (y0 + y) * width + x0;
    for (let x = 0; x < side; x++) out[y * side + x] = data[row + x]!;
  }
}
