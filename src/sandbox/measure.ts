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

/** Side of the square tiles that sharpness is measured on, at analysis size. */
export const DETAIL_TILE = 32;
/** Tiles flatter than this (std of luma, grey levels) have no detail to judge and are skipped. */
export const DETAIL_MIN_STD = 4;

export interface DetailStats {
  /**
   * Per tile, variance of the 4-neighbour Laplacian divided by the variance of luma: how much of
   * the tile's contrast sits in the finest detail. Blur removes fine detail first, so the ratio
   * falls steeply with blur (about 1.5 for a crisp image, under 0.06 after a Gaussian blur of
   * 2 px), while it does not change when the image is darker or brighter, which would fool the
   * classic Laplacian variance. The 75th percentile over tiles with some structure is the score:
   * a sharp subject on a smooth or out-of-focus background still scores as sharp.
   */
  detailRatioP75: number;
  detailRatioMedian: number;
  /** Tiles with enough structure to measure, and all tiles. */
  tilesMeasured: number;
  tilesTotal: number;
  /** Classic variance of the Laplacian over the whole image, reported for comparison. */
  laplacianVariance: number;
}

export function detailStats(grey: GreyImage): DetailStats {
  const { data, width: w, height: h } = grey;
  const size = DETAIL_TILE;
  const tilesX = Math.max(1, Math.floor(w / size));
  const tilesY = Math.max(1, Math.floor(h / size));
  const tileW = Math.min(size, w);
  const tileH = Math.min(size, h);
  const ratios: number[] = [];
  let lapSum = 0;
  let lapSq = 0;
  let lapCount = 0;
  for (let ty = 0; ty < tilesY; ty++) {
    for (let tx = 0; tx < tilesX; tx++) {
      let sum = 0;
      let sumSq = 0;
      let n = 0;
      let tLap = 0;
      let tLapSq = 0;
      let m = 0;
      for (let y = ty * tileH; y < (ty + 1) * tileH; y++) {
        for (let x = tx * tileW; x < (tx + 1) * tileW; x++) {
          const i = y * w + x;
          const v = data[i];
          sum += v;
          sumSq += v * v;
          n++;
          if (x > 0 && y > 0 && x < w - 1 && y < h - 1) {
            const lap = data[i - 1] + data[i + 1] + data[i - w] + data[i + w] - 4 * v;
            tLap += lap;
            tLapSq += lap * lap;
            m++;
          }
        }
      }
      lapSum += tLap;
      lapSq += tLapSq;
      lapCount += m;
      const varLuma = sumSq / n - (sum / n) ** 2;
      if (m === 0 || varLuma < DETAIL_MIN_STD * DETAIL_MIN_STD) continue;
      const varLap = tLapSq / m - (tLap / m) ** 2;
      ratios.push(varLap / varLuma);
    }
  }
  ratios.sort((a, b) => a - b);
  const lapMean = lapCount ? lapSum / lapCount : 0;
  return {
    detailRatioP75: quantile(ratios, 0.75),
    detailRatioMedian: quantile(ratios, 0.5),
    tilesMeasured: ratios.length,
    tilesTotal: tilesX * tilesY,
    laplacianVariance: lapCount ? Math.max(0, lapSq / lapCount - lapMean * lapMean) : 0,
  };
}

/** Nearest-rank quantile of sorted values; 0 for none. */
function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Area-average downscale of a grey image to `size`×`size`, ignoring aspect ratio. */
export function thumbnail(grey: GreyImage, size: number): Float32Array {
  const out = new Float32Array(size * size);
  const counts = new Float32Array(size * size);
  const { data, width: w, height: h } = grey;
  for (let y = 0; y < h; y++) {
    const ty = Math.min(size - 1, Math.floor((y * size) / h));
    for (let x = 0; x < w; x++) {
      const tx = Math.min(size - 1, Math.floor((x * size) / w));
      out[ty * size + tx] += data[y * w + x];
      counts[ty * size + tx] += 1;
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
