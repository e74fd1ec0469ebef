/**
 * Edge width: how many pixels an edge is spread over (the blur's sigma), measured at full size.
 */
import { copyTile, quantile, sampleTiles, type GreyImage } from './image.js';

/** Side of the tiles edges are sampled in, at native scale. */
export const EDGE_TILE = 64;
/** Most tiles sampled per image (about 0.4 MP): bounds the cost on large images. */
export const EDGE_MAX_TILES = 96;
/** The known re-blur, in pixels (Zhuo & Sim 2011 use 1). */
export const EDGE_REBLUR_SIGMA = 1;
/** Gradient below this (grey levels per pixel) is not an edge: flat areas and sensor grain. */
export const EDGE_MIN_GRADIENT = 2;
/** Edges counted per direction: the strong ones, at least this share of the direction's 99th percentile. */
export const EDGE_STRONG_SHARE = 0.3;
/** Fewer strong edges than this in a direction, and that direction is not judged. */
export const EDGE_MIN_COUNT = 20;
/**
 * Within a direction, this quantile of strong edges' widths: the sharpest tenth of the edges,
 * so a sharp subject in front of a soft background (macro, portrait) reads as sharp.
 */
export const EDGE_WIDTH_QUANTILE = 0.1;

/** Three sigmas of the re-blur; the convolutions below are written out for its 7 taps. */
const REBLUR_RADIUS = 3;
const REBLUR_KERNEL = gaussianKernel(EDGE_REBLUR_SIGMA, REBLUR_RADIUS);

function gaussianKernel(sigma: number, radius: number): Float32Array {
  const k = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) sum += k[i + radius] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i]! /= sum;
  return k;
}

export interface EdgeStats {
  /**
   * Estimated blur of the image's sharpest edges, in pixels (the Gaussian sigma an edge looks
   * blurred by): the second widest of the four directions, so blur along one axis (camera shake)
   * counts while one direction with few, odd edges does not decide alone. Brightness and
   * contrast do not change it (a ratio of two gradients at the same edge), and it is measured
   * at full size, so the same blur in pixels reads about the same at any image size.
   * Infinity when no direction has enough edges.
   */
  width: number;
  /** Per direction of the gradient (0°, 45°, 90°, 135°): the width, or null when too few edges. */
  byDirection: Array<number | null>;
  /** Strong edges measured over all directions. */
  edges: number;
  tilesMeasured: number;
}

/**
 * The re-blur ratio estimate of edge width (Zhuo & Sim, "Defocus map estimation from a single
 * image", 2011): blurring an edge of width σ by a known σ0 lowers its gradient maximum by
 * R = √(σ² + σ0²) / σ, so σ = σ0 / √(R² − 1). Measured at local maxima of the gradient along
 * its direction, in tiles sampled over the whole image.
 */
export function edgeStats(grey: GreyImage, options: { skipBlockGrid?: boolean } = {}): EdgeStats {
  const radius = (REBLUR_KERNEL.length - 1) / 2;
  const margin = radius + 2;
  const side = EDGE_TILE + 2 * margin;
  const origins = sampleTiles(grey.width, grey.height, EDGE_TILE, margin, EDGE_MAX_TILES);
  const src = new Float32Array(side * side);
  const tmp = new Float32Array(side * side);
  const blur = new Float32Array(side * side);
  const mag = new Float32Array(side * side);
  // Gradients, maxima and the re-blurred copy are read one pixel around the tile at most: only
  // that square is computed (the margin is there so no value needs clamping at the tile's edge).
  const lo = margin - 1;
  const hi = margin + EDGE_TILE + 1;
  const found = [new EdgeSamples(), new EdgeSamples(), new EdgeSamples(), new EdgeSamples()];
  const offsets = [1, side + 1, side, side - 1];
  const skipGrid = options.skipBlockGrid === true;
  for (const [ox, oy] of origins) {
    copyTile(grey, ox - margin, oy - margin, side, src);
    blurRows(src, tmp, side, lo - radius, hi + radius, lo, hi);
    blurColumns(tmp, blur, side, lo, hi);
    for (let y = lo; y < hi; y++) {
      for (let x = lo; x < hi; x++) {
        const i = y * side + x;
        const gx = (src[i + 1]! - src[i - 1]!) / 2;
        const gy = (src[i + side]! - src[i - side]!) / 2;
        mag[i] = Math.sqrt(gx * gx + gy * gy);
      }
    }
    for (let y = margin; y < margin + EDGE_TILE; y++) {
      // In a JPEG, the 8 px block boundaries carry steps of their own: crisp edges that are
      // compression, not focus. They are left out when the image shows blocks at all.
      if (skipGrid && onBlockGrid(oy - margin + y)) continue;
      for (let x = margin; x < margin + EDGE_TILE; x++) {
        const i = y * side + x;
        const m = mag[i]!;
        if (m < EDGE_MIN_GRADIENT) continue;
        if (skipGrid && onBlockGrid(ox - margin + x)) continue;
        const d = directionBin((src[i + 1]! - src[i - 1]!) / 2, (src[i + side]! - src[i - side]!) / 2);
        const o = offsets[d]!;
        if (m < mag[i + o]! || m < mag[i - o]!) continue;
        const bx = (blur[i + 1]! - blur[i - 1]!) / 2;
        const by = (blur[i + side]! - blur[i - side]!) / 2;
        const ratio = m / Math.max(Math.sqrt(bx * bx + by * by), 1e-6);
        found[d]!.push(m, ratio > 1.0001 ? Math.min(50, EDGE_REBLUR_SIGMA / Math.sqrt(ratio * ratio - 1)) : 50);
      }
    }
  }
  let edges = 0;
  const byDirection = found.map((f) => {
    if (f.count < EDGE_MIN_COUNT) return null;
    const mags = f.mags.slice(0, f.count);
    const floor = EDGE_STRONG_SHARE * quantile(mags.sort(), 0.99);
    const strong = new Float64Array(f.count);
    let n = 0;
    for (let k = 0; k < f.count; k++) if (f.mags[k]! >= floor) strong[n++] = f.widths[k]!;
    if (n < EDGE_MIN_COUNT) return null;
    edges += n;
    return quantile(strong.subarray(0, n).sort(), EDGE_WIDTH_QUANTILE);
  });
  const measured = byDirection.filter((w): w is number => w !== null).sort((a, b) => b - a);
  const width = measured.length ? (measured[1] ?? measured[0]!) : Infinity;
  return { width, byDirection, edges, tilesMeasured: origins.length };
}

/** Gradient maxima of one direction: magnitude and width, in typed arrays that grow as needed. */
class EdgeSamples {
  mags = new Float32Array(4096);
  widths = new Float64Array(4096);
  count = 0;

  push(mag: number, width: number): void {
    if (this.count === this.mags.length) {
      const mags = new Float32Array(this.count * 2);
      mags.set(this.mags);
      this.mags = mags;
      const widths = new Float64Array(this.count * 2);
      widths.set(this.widths);
      this.widths = widths;
    }
    this.mags[this.count] = mag;
    this.widths[this.count++] = width;
  }
}

const TAN_22_5 = Math.SQRT2 - 1;

/** The gradient's direction to the nearest 45° (0: along x, 1: 45°, 2: along y, 3: 135°), without atan2. */
function directionBin(gx: number, gy: number): number {
  const ax = Math.abs(gx);
  const ay = Math.abs(gy);
  if (ay <= TAN_22_5 * ax) return 0;
  if (ax <= TAN_22_5 * ay) return 2;
  return gx * gy > 0 ? 1 : 3;
}

/** Pixels on either side of an 8 px JPEG block boundary. */
function onBlockGrid(coordinate: number): boolean {
  const r = coordinate & 7;
  return r === 7 || r === 0;
}

// The re-blur, separable, written out for the 7-tap kernel (radius 3), summed left to right.
const [K0, K1, K2, K3, K4, K5, K6] = Array.from(REBLUR_KERNEL) as [number, number, number, number, number, number, number];

/** Re-blurs rows [y0, y1) along x, for columns [x0, x1) (which must stay 3 px inside the tile). */
function blurRows(src: Float32Array, dst: Float32Array, side: number, y0: number, y1: number, x0: number, x1: number): void {
  for (let y = y0; y < y1; y++) {
    for (let i = y * side + x0, end = y * side + x1; i < end; i++) {
      dst[i] = K0 * src[i - 3]! + K1 * src[i - 2]! + K2 * src[i - 1]! + K3 * src[i]! + K4 * src[i + 1]! + K5 * src[i + 2]! + K6 * src[i + 3]!;
    }
  }
}

/** Re-blurs the square [lo, hi)² along y (rows lo − 3 to hi + 3 of `src` must be filled). */
function blurColumns(src: Float32Array, dst: Float32Array, side: number, lo: number, hi: number): void {
  const s1 = side;
  const s2 = 2 * side;
  const s3 = 3 * side;
  for (let y = lo; y < hi; y++) {
    for (let i = y * side + lo, end = y * side + hi; i < end; i++) {
      dst[i] = K0 * src[i - s3]! + K1 * src[i - s2]! + K2 * src[i - s1]! + K3 * src[i]! + K4 * src[i + s1]! + K5 * src[i + s2]! + K6 * src[i + s3]!;
    }
  }
}
