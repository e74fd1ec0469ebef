/**
 * Tones: luma (mean, contrast, clipped shadows and highlights) and, in colour, which part of the
 * range the picture uses and how much of it is blown.
 */
import type { GreyImage, RawImage } from './image.js';

export interface LumaStats {
  /** Mean luma, 0–255. */
  mean: number;
  /** Standard deviation of luma (RMS contrast), 0–~128. */
  std: number;
  /** Fraction of pixels at or below `SHADOW_CLIP` (crushed to black). */
  shadowClipped: number;
  /** Fraction of pixels at or above `HIGHLIGHT_CLIP` (blown to white). */
  highlightClipped: number;
  /** 5th and 95th percentiles of luma. */
  p5: number;
  p95: number;
}

/** Luma at or below this counts as crushed shadow (about 3% of the range). */
export const SHADOW_CLIP = 8;
/** Luma at or above this counts as blown highlight. */
export const HIGHLIGHT_CLIP = 247;

export function lumaStats(grey: GreyImage): LumaStats {
  const hist = new Float64Array(256);
  const n = grey.data.length;
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    const v = grey.data[i]!;
    sum += v;
    sumSq += v * v;
    hist[v]! += 1;
  }
  const mean = n ? sum / n : 0;
  const variance = n ? Math.max(0, sumSq / n - mean * mean) : 0;
  let shadow = 0;
  let highlight = 0;
  for (let v = 0; v <= SHADOW_CLIP; v++) shadow += hist[v]!;
  for (let v = HIGHLIGHT_CLIP; v <= 255; v++) highlight += hist[v]!;
  return {
    mean,
    std: Math.sqrt(variance),
    shadowClipped: n ? shadow / n : 0,
    highlightClipped: n ? highlight / n : 0,
    p5: percentile(hist, n, 0.05),
    p95: percentile(hist, n, 0.95),
  };
}

function percentile(hist: Float64Array, n: number, q: number): number {
  const target = q * n;
  let acc = 0;
  for (let v = 0; v < 256; v++) {
    acc += hist[v]!;
    if (acc >= target && acc > 0) return v;
  }
  return 255;
}

export interface ToneStats {
  /** 1st percentile of each pixel's darkest channel: how deep the shadows go (0–255). */
  darkest: number;
  /** 99th percentile of each pixel's brightest channel: how bright the highlights get (0–255). */
  brightest: number;
  /**
   * Share of pixels with some channel at or above `CHANNEL_CLIP` and another below it: colour
   * blown out (an over-exposed orange turns flat yellow). Pure white is not counted: a product
   * on a white background is not over-exposed.
   */
  colourClipped: number;
}

/** A channel at or above this counts as blown. */
export const CHANNEL_CLIP = 250;

export function toneStats(img: RawImage): ToneStats {
  const { data, channels } = img;
  const n = img.width * img.height;
  const low = new Float64Array(256);
  const high = new Float64Array(256);
  let clipped = 0;
  const colours = Math.min(3, channels);
  for (let i = 0, p = 0; i < n; i++, p += channels) {
    let lo = 255;
    let hi = 0;
    for (let c = 0; c < colours; c++) {
      const v = data[p + c]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    low[lo]! += 1;
    high[hi]! += 1;
    if (hi >= CHANNEL_CLIP && lo < CHANNEL_CLIP) clipped++;
  }
  return { darkest: percentile(low, n, 0.01), brightest: percentile(high, n, 0.99), colourClipped: n ? clipped / n : 0 };
}
