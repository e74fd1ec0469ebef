/**
 * Pure pixel measurements used by the sandbox judges. Everything here works on plain typed
 * arrays, so it is deterministic, needs no native code, and can be tested with hand-made pixels.
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
    const v = grey.data[i];
    sum += v;
    sumSq += v * v;
    hist[v] += 1;
  }
  const mean = n ? sum / n : 0;
  const variance = n ? Math.max(0, sumSq / n - mean * mean) : 0;
  let shadow = 0;
  let highlight = 0;
  for (let v = 0; v <= SHADOW_CLIP; v++) shadow += hist[v];
  for (let v = HIGHLIGHT_CLIP; v <= 255; v++) highlight += hist[v];
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
    acc += hist[v];
    if (acc >= target && acc > 0) return v;
  }
  return 255;
}

/** Nearest-rank quantile of sorted values; 0 for none. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
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
function copyTile(grey: GreyImage, x0: number, y0: number, side: number, out: Float32Array): void {
  const { data, width } = grey;
  for (let y = 0; y < side; y++) {
    const row = (y0 + y) * width + x0;
    for (let x = 0; x < side; x++) out[y * side + x] = data[row + x];
  }
}

// ---------------------------------------------------------------------------------------------
// Edge width: how many pixels an edge is spread over (the blur's sigma), measured at full size.

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
  for (let i = 0; i < k.length; i++) k[i] /= sum;
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
        const gx = (src[i + 1] - src[i - 1]) / 2;
        const gy = (src[i + side] - src[i - side]) / 2;
        mag[i] = Math.sqrt(gx * gx + gy * gy);
      }
    }
    for (let y = margin; y < margin + EDGE_TILE; y++) {
      // In a JPEG, the 8 px block boundaries carry steps of their own: crisp edges that are
      // compression, not focus. They are left out when the image shows blocks at all.
      if (skipGrid && onBlockGrid(oy - margin + y)) continue;
      for (let x = margin; x < margin + EDGE_TILE; x++) {
        const i = y * side + x;
        const m = mag[i];
        if (m < EDGE_MIN_GRADIENT) continue;
        if (skipGrid && onBlockGrid(ox - margin + x)) continue;
        const d = directionBin((src[i + 1] - src[i - 1]) / 2, (src[i + side] - src[i - side]) / 2);
        const o = offsets[d];
        if (m < mag[i + o] || m < mag[i - o]) continue;
        const bx = (blur[i + 1] - blur[i - 1]) / 2;
        const by = (blur[i + side] - blur[i - side]) / 2;
        const ratio = m / Math.max(Math.sqrt(bx * bx + by * by), 1e-6);
        found[d].push(m, ratio > 1.0001 ? Math.min(50, EDGE_REBLUR_SIGMA / Math.sqrt(ratio * ratio - 1)) : 50);
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
    for (let k = 0; k < f.count; k++) if (f.mags[k] >= floor) strong[n++] = f.widths[k];
    if (n < EDGE_MIN_COUNT) return null;
    edges += n;
    return quantile(strong.subarray(0, n).sort(), EDGE_WIDTH_QUANTILE);
  });
  const measured = byDirection.filter((w): w is number => w !== null).sort((a, b) => b - a);
  const width = measured.length ? (measured[1] ?? measured[0]) : Infinity;
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
const [K0, K1, K2, K3, K4, K5, K6] = REBLUR_KERNEL;

/** Re-blurs rows [y0, y1) along x, for columns [x0, x1) (which must stay 3 px inside the tile). */
function blurRows(src: Float32Array, dst: Float32Array, side: number, y0: number, y1: number, x0: number, x1: number): void {
  for (let y = y0; y < y1; y++) {
    for (let i = y * side + x0, end = y * side + x1; i < end; i++) {
      dst[i] = K0 * src[i - 3] + K1 * src[i - 2] + K2 * src[i - 1] + K3 * src[i] + K4 * src[i + 1] + K5 * src[i + 2] + K6 * src[i + 3];
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
      dst[i] = K0 * src[i - s3] + K1 * src[i - s2] + K2 * src[i - s1] + K3 * src[i] + K4 * src[i + s1] + K5 * src[i + s2] + K6 * src[i + s3];
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Fine detail bands: effective resolution and noise, from a 1-D à trous (B3-spline) wavelet.

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
    acc += bins[b];
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
          const w1 = c0[i] - c1[i];
          const w2 = c1[i] - c2[i];
          const w3 = c2[i] - c3[i];
          s1 += w1 * w1;
          s2 += w2 * w2;
          s3 += w3 * w3;
          bins[Math.min(MAD_BINS - 1, Math.floor(Math.abs(w1) * MAD_BINS_PER_LEVEL))]++;
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
    const e2 = active.reduce((s, t) => s + t.e2[d], 0);
    return e2 > 0 ? active.reduce((s, t) => s + t.e1[d], 0) / e2 : 0;
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
      dst[i] = (src[i - d2] + 4 * src[i - d1] + 6 * src[i] + 4 * src[i + d1] + src[i + d2]) / 16;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Blockiness: JPEG's 8×8 grid showing through.

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
        const d = Math.abs(data[i + 1] - data[i]);
        if ((x & 7) === 7) {
          onGrid += d;
          onCount++;
        } else {
          offGrid += d;
          offCount++;
        }
      }
      if (y < h - 1) {
        const d = Math.abs(data[i + w] - data[i]);
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

// ---------------------------------------------------------------------------------------------
// Tones in colour: which part of the range the picture uses, and how much of it is blown.

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
      const v = data[p + c];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    low[lo] += 1;
    high[hi] += 1;
    if (hi >= CHANNEL_CLIP && lo < CHANNEL_CLIP) clipped++;
  }
  return { darkest: percentile(low, n, 0.01), brightest: percentile(high, n, 0.99), colourClipped: n ? clipped / n : 0 };
}

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
      out[rowOut + column[x]] += data[row + x];
      counts[rowOut + column[x]] += 1;
    }
  }
  for (let i = 0; i < out.length; i++) out[i] = counts[i] ? out[i] / counts[i] : 0;
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
    const r = data[p] >> shift;
    const g = channels >= 3 ? data[p + 1] >> shift : r;
    const b = channels >= 3 ? data[p + 2] >> shift : r;
    hist[(r * bins + g) * bins + b] += 1;
  }
  if (n) for (let i = 0; i < hist.length; i++) hist[i] /= n;
  return hist;
}

/** Histogram intersection of two normalised histograms: 1 identical, 0 disjoint. */
export function histogramIntersection(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.min(a[i], b[i]);
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
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma;
    const db = b[i] - mb;
    cov += da * db;
    va += da * da;
    vb += db * db;
  }
  const flatA = va < 1e-6 * n;
  const flatB = vb < 1e-6 * n;
  if (flatA || flatB) return flatA && flatB && Math.abs(ma - mb) < 8 ? 1 : 0;
  return cov / Math.sqrt(va * vb);
}
