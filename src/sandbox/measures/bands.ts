/**
 * Fine detail bands: effective resolution and noise, from a 1-D à trous (B3-spline) wavelet.
 */
import { copyTile, quantile, sampleTiles, type GreyImage } from './image.js';

export const BAND_TILE = 64;
export const BAND_MAX_TILES = 64;
/** The B3-spline's finest wavelet keeps this share of white noise's standard deviation. */
const FINEST_NOISE_GAIN = Math.sqrt((1 - 6 / 16) ** 2 + 2 * (4 / 16) ** 2 + 2 * (1 / 16) ** 2);
/** Detail is compared in the tiles with the most coarse structure: this top share of them. */
export const BAND_ACTIVE_SHARE = 0.25;
/** Noise is read in the smoothest tiles: this quantile of the per-tile noise estimates. */
export const NOISE_TILE_QUANTILE = 0.2;

export interface BandStats {
  /**
   * Energy of the finest detail (wavelengths of 2–4 px) over the next octave (4–8 px), in the
   * most structured tiles, the lower of the two directions. Natural detail carries about as much
   * in each octave (a 1/f spectrum), so a photograph at its real resolution scores 0.3 or more; an
   * image enlarged 2× or more has almost nothing in the finest octave.
   */
  fineRatio: number;
  /**
   * Noise standard deviation in grey levels: the median absolute finest wavelet coefficient
   * (Donoho's MAD estimate, / 0.6745, / the filter's gain), per tile and direction, in the
   * smoothest tiles (a low quantile over tiles), so textured areas such as grass, which are
   * not noise, do not count.
   */
  noiseSigma: number;
  tilesMeasured: number;
}

const MAD_BINS_PER_LEVEL = 8;
const MAD_BINS = 64 * MAD_BINS_PER_LEVEL;

/** The median bin of a histogram of `n` values, at the bin's centre. */
function histogramMedian(bins: Uint32Array, n: number): number {
  let acc = 0;
  for (let b = 0; b < bins.length; b++) {
    acc += bins[b]!;
    if (acc * 2 >= n) return b + 0.5;
  }
  return bins.length;
}

export function bandStats(grey: GreyImage): BandStats {
  const margin = 14; // reach of the three levels: 2 + 4 + 8 px
  const side = BAND_TILE + 2 * margin;
  const origins = sampleTiles(grey.width, grey.height, BAND_TILE, margin, BAND_MAX_TILES);
  const c0 = new Float32Array(side * side);
  const c1 = new Float32Array(side * side);
  const c2 = new Float32Array(side * side);
  const c3 = new Float32Array(side * side);
  // Median of |finest coefficient| from a histogram (1/8 grey level bins up to 64): no sort.
  const bins = new Uint32Array(MAD_BINS);
  const tiles: Array<{ activity: number; e1: number[]; e2: number[]; noise: number }> = [];
  // Each level is computed only as far as the next one reads it (the tile, plus 8 px for the
  // third level's reach, plus 4 px more for the second's), and only across the tile's own
  // lines: a transform along rows never mixes rows. No value inside needs clamping.
  const t0 = margin;
  const t1 = margin + BAND_TILE;
  for (const [ox, oy] of origins) {
    copyTile(grey, ox - margin, oy - margin, side, c0);
    const e1: number[] = [];
    const e2: number[] = [];
    let activity = 0;
    let noise = Infinity;
    for (const horizontal of [true, false]) {
      const level = (src: Float32Array, dst: Float32Array, step: number, reach: number) =>
        horizontal
          ? atrous(src, dst, side, step, t0, t1, t0 - reach, t1 + reach)
          : atrous(src, dst, side, step * side, t0 - reach, t1 + reach, t0, t1);
      level(c0, c1, 1, 12);
      level(c1, c2, 2, 8);
      level(c2, c3, 4, 0);
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      bins.fill(0);
      for (let y = t0; y < t1; y++) {
        for (let x = t0; x < t1; x++) {
          const i = y * side + x;
          const w1 = c0[i]! - c1[i]!;
          const w2 = c1[i]! - c2[i]!;
          const w3 = c2[i]! - c3[i]!;
          s1 += w1 * w1;
          s2 += w2 * w2;
          s3 += w3 * w3;
          bins[Math.min(MAD_BINS - 1, Math.floor(Math.abs(w1) * MAD_BINS_PER_LEVEL))]!++;
        }
      }
      e1.push(s1);
      e2.push(s2);
      activity += s3;
      noise = Math.min(noise, histogramMedian(bins, BAND_TILE * BAND_TILE) / MAD_BINS_PER_LEVEL / 0.6745 / FINEST_NOISE_GAIN);
    }
    tiles.push({ activity, e1, e2, noise });
  }
  if (tiles.length === 0) return { fineRatio: 0, noiseSigma: 0, tilesMeasured: 0 };
  const activities = tiles.map((t) => t.activity).sort((a, b) => a - b);
  const floor = quantile(activities, 1 - BAND_ACTIVE_SHARE);
  const active = tiles.filter((t) => t.activity >= floor && t.activity > 0);
  const ratioIn = (d: number) => {
    const e2 = active.reduce((s, t) => s + t.e2[d]!, 0);
    return e2 > 0 ? active.reduce((s, t) => s + t.e1[d]!, 0) / e2 : 0;
  };
  return {
    fineRatio: active.length ? Math.min(ratioIn(0), ratioIn(1)) : 0,
    noiseSigma: quantile(tiles.map((t) => t.noise).sort((a, b) => a - b), NOISE_TILE_QUANTILE),
    tilesMeasured: tiles.length,
  };
}

/**
 * One level of the à trous transform, B3 spline [1 4 6 4 1]/16 with holes: `hole` is the step
 * between taps in the array (the level's step, times the row length for columns). Fills rows
 * [y0, y1) × columns [x0, x1) of `dst`, row by row; the caller keeps every tap inside the tile.
 */
function atrous(src: Float32Array, dst: Float32Array, side: number, hole: number, y0: number, y1: number, x0: number, x1: number): void {
  const d1 = hole;
  const d2 = 2 * hole;
  for (let y = y0; y < y1; y++) {
    for (let i = y * side + x0, end = y * side + x1; i < end; i++) {
      dst[i] = (src[i - d2]! + 4 * src[i - d1]! + 6 * src[i]! + 4 * src[i + d1]! + src[i + d2]!) / 16;
    }
  }
}
