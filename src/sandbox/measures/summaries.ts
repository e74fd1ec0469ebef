/**
 * Small summaries of an image that references are compared by: a thumbnail of its layout and a
 * colour histogram, and the two comparisons.
 */
import type { GreyImage, RawImage } from './image.js';

/** Area-average downscale of a grey image to `size`×`size`, ignoring aspect ratio. */
export function thumbnail(grey: GreyImage, size: number): Float32Array {
  const out = new Float32Array(size * size);
  const counts = new Float32Array(size * size);
  const { data, width: w, height: h } = grey;
  const column = new Int32Array(w);
  for (let x = 0; x < w; x++) column[x] = Math.min(size - 1, Math.floor((x * size) / w));
  for (let y = 0; y < h; y++) {
    const rowOut = Math.min(size - 1, Math.floor((y * size) / h)) * size;
    const row = y * w;
    for (let x = 0; x < w; x++) {
      out[rowOut + column[x]!]! += data[row + x]!;
      counts[rowOut + column[x]!]! += 1;
    }
  }
  for (let i = 0; i < out.length; i++) out[i] = counts[i]! ? out[i]! / counts[i]! : 0;
  return out;
}

/** Bins per channel of the colour histogram (4 → 64 bins). */
export const COLOUR_BINS = 4;

/** Normalised RGB histogram (sums to 1) with `COLOUR_BINS` bins per channel. */
export function colourHistogram(img: RawImage): Float32Array {
  const bins = COLOUR_BINS;
  const hist = new Float32Array(bins * bins * bins);
  const { data, channels } = img;
  const n = img.width * img.height;
  const shift = 8 - Math.log2(bins);
  for (let i = 0, p = 0; i < n; i++, p += channels) {
    const r = data[p]! >> shift;
    const g = channels >= 3 ? data[p + 1]! >> shift : r;
    const b = channels >= 3 ? data[p + 2]! >> shift : r;
    hist[(r * bins + g) * bins + b]! += 1;
  }
  if (n) for (let i = 0; i < hist.length; i++) hist[i]! /= n;
  return hist;
}

/** Histogram intersection of two normalised histograms: 1 identical, 0 disjoint. */
export function histogramIntersection(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.min(a[i]!, b[i]!);
  return Math.min(1, s);
}

/**
 * Pearson correlation of two same-size thumbnails (the structure term of SSIM, on the whole
 * thumbnail): 1 for the same layout of light and dark, about 0 for unrelated images. Two flat
 * thumbnails correlate perfectly only when their levels match.
 */
export function correlation(a: Float32Array, b: Float32Array): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    cov += da * db;
    va += da * da;
    vb += db * db;
  }
  const flatA = va < 1e-6 * n;
  const flatB = vb < 1e-6 * n;
  if (flatA || flatB) return flatA && flatB && Math.abs(ma - mb) < 8 ? 1 : 0;
  return cov / Math.sqrt(va * vb);
}
