/**
 * Motion streaks: the zeros a straight, even smear leaves in the spectrum along its direction.
 * Pure, on a grey image's typed array, like the other measures here; its own module because it
 * has its own machinery (profiles along four directions, a small FFT).
 */
import { quantile, type GreyImage } from './image.js';

/** Length of the 1-D profiles read along each direction (a power of two for the FFT). */
export const MOTION_SEGMENT = 128;
/** Candidate profiles per direction, spread over the image; the busier half of them is used. */
export const MOTION_CANDIDATES = 1024;
/** Fewer usable profiles than this in a direction (or its perpendicular), and it is not judged. */
export const MOTION_MIN_SEGMENTS = 128;
/** Streak lengths searched, in samples along the direction (1 px, or √2 px on the diagonals). */
export const MOTION_MIN_LENGTH = 6;
export const MOTION_MAX_LENGTH = 14;
/** Log power lost along the streak relative to across it, from low frequencies to the first zero (−1: to 37%). */
export const MOTION_MIN_LOSS = -1;
/** Half-width, in frequency bins, of the comparison around each expected zero. */
const MOTION_DIP_HALF_WIDTH = 4;
/** Zeros compared per candidate length: the first two (beyond them JPEG noise fills the dips). */
const MOTION_ZEROS = 2;
/** Directions of the profiles: along x, the 45° diagonal (down-right), along y, the 135° diagonal. */
const MOTION_DIRECTIONS: ReadonlyArray<readonly [number, number]> = [
  [1, 0],
  [1, 1],
  [0, 1],
  [-1, 1],
];

export interface MotionStats {
  /**
   * How deep the deepest comb of spectral dips is, in natural-log units of power (≤ 0; 0 when
   * none). A camera moving evenly during the exposure smears every point into a line of n pixels;
   * along that line the spectrum is multiplied by a sinc with zeros at multiples of 1/n cycles per
   * sample, whatever the scene. The averaged log spectrum of profiles along each direction is
   * compared, at the first two zeros each candidate length would put there, with the bins ±4 away,
   * both as it is and relative to the perpendicular direction's spectrum (which the smear leaves
   * without zeros); the shallower of the two counts, so a periodic texture's harmonics in one
   * direction do not read as dips in the other.
   */
  score: number;
  /** Direction of the streak (0, 45, 90 or 135 degrees), or null when no direction was judged. */
  direction: number | null;
  /** Length of the streak in pixels for the deepest comb, or null. */
  length: number | null;
  /** Profiles averaged, summed over the directions judged. */
  segments: number;
}

const FFT_BITS = Math.log2(MOTION_SEGMENT);
const BIT_REVERSED = (() => {
  const out = new Uint16Array(MOTION_SEGMENT);
  for (let i = 0; i < MOTION_SEGMENT; i++) {
    let r = 0;
    for (let b = 0; b < FFT_BITS; b++) r |= ((i >> b) & 1) << (FFT_BITS - 1 - b);
    out[i] = r;
  }
  return out;
})();
const TWIDDLE_COS = Float64Array.from({ length: MOTION_SEGMENT / 2 }, (_, i) => Math.cos((-2 * Math.PI * i) / MOTION_SEGMENT));
const TWIDDLE_SIN = Float64Array.from({ length: MOTION_SEGMENT / 2 }, (_, i) => Math.sin((-2 * Math.PI * i) / MOTION_SEGMENT));
/** Hann window: a profile's ends do not leak into the spectrum as a step. */
const HANN = Float64Array.from({ length: MOTION_SEGMENT }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * (i + 0.5)) / MOTION_SEGMENT));

/** In-place radix-2 FFT of MOTION_SEGMENT complex values. */
function fft(re: Float64Array, im: Float64Array): void {
  const n = MOTION_SEGMENT;
  for (let i = 0; i < n; i++) {
    const j = BIT_REVERSED[i]!;
    if (j > i) {
      let t = re[i]!;
      re[i] = re[j]!;
      re[j] = t;
      t = im[i]!;
      im[i] = im[j]!;
      im[j] = t;
    }
  }
  for (let size = 2; size <= n; size <<= 1) {
    const half = size >> 1;
    const step = n / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < half; k++) {
        const a = start + k;
        const b = a + half;
        const c = TWIDDLE_COS[k * step]!;
        const s = TWIDDLE_SIN[k * step]!;
        const tr = re[b]! * c - im[b]! * s;
        const ti = re[b]! * s + im[b]! * c;
        re[b] = re[a]! - tr;
        im[b] = im[a]! - ti;
        re[a]! += tr;
        im[a]! += ti;
      }
    }
  }
}

/**
 * Mean log power spectrum (bins 0..SEGMENT/2, smoothed over 3 bins) of profiles along (dx, dy),
 * from the busier half of up to MOTION_CANDIDATES profiles spread over the image: busy profiles
 * carry the scene's detail, so the smear's zeros stand out above the noise and JPEG's rounding.
 */
function directionalSpectrum(grey: GreyImage, dx: number, dy: number): { spectrum: Float64Array; segments: number } {
  const n = MOTION_SEGMENT;
  const { data, width, height } = grey;
  const x0 = dx < 0 ? n - 1 : 0;
  const x1 = dx > 0 ? width - n : width - 1;
  const y1 = dy > 0 ? height - n : height - 1;
  const spectrum = new Float64Array(n / 2 + 1);
  if (x1 < x0 || y1 < 0) return { spectrum, segments: 0 };
  const step = dy * width + dx;
  const stride = Math.max(1, Math.sqrt(((x1 - x0 + 1) * (y1 + 1)) / MOTION_CANDIDATES));
  const starts: number[] = [];
  const activity: number[] = [];
  for (let fy = 0; fy <= y1; fy += stride) {
    for (let fx = x0; fx <= x1; fx += stride) {
      const start = Math.floor(fy) * width + Math.floor(fx);
      let energy = 0;
      for (let i = 1, p = start + step; i < n; i++, p += step) {
        const g = data[p]! - data[p - step]!;
        energy += g * g;
      }
      starts.push(start);
      activity.push(energy / n);
    }
  }
  const median = quantile(Float64Array.from(activity).sort(), 0.5);
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  let segments = 0;
  for (let s = 0; s < starts.length; s++) {
    // The busier half, and never a flat profile (less than one grey level per sample).
    const busy = activity[s]!;
    if (busy < median || busy < 1) continue;
    let mean = 0;
    const start = starts[s]!;
    for (let i = 0, p = start; i < n; i++, p += step) mean += data[p]!;
    mean /= n;
    for (let i = 0, p = start; i < n; i++, p += step) {
      re[i] = (data[p]! - mean) * HANN[i]!;
      im[i] = 0;
    }
    fft(re, im);
    for (let f = 1; f <= n / 2; f++) spectrum[f]! += Math.log(re[f]! * re[f]! + im[f]! * im[f]! + 1);
    segments++;
  }
  if (segments === 0) return { spectrum, segments };
  const raw = spectrum.map((v) => v / segments);
  for (let f = 2; f < n / 2; f++) spectrum[f] = (raw[f - 1]! + raw[f]! + raw[f + 1]!) / 3;
  spectrum[1] = raw[1]!;
  spectrum[n / 2] = raw[n / 2]!;
  return { spectrum, segments };
}

/** Linear interpolation of a spectrum at a fractional bin. */
function spectrumAt(spectrum: Float64Array, bin: number): number {
  const i = Math.floor(bin);
  const t = bin - i;
  return spectrum[i]! * (1 - t) + spectrum[Math.min(spectrum.length - 1, i + 1)]! * t;
}

/** Mean depth of the first MOTION_ZEROS zeros a streak of `length` samples puts in `spectrum` (< 0 for dips). */
function combDepth(spectrum: Float64Array, length: number): number {
  const last = MOTION_SEGMENT / 2 - 1;
  let sum = 0;
  let count = 0;
  for (let k = 1; k <= MOTION_ZEROS; k++) {
    const zero = (k * MOTION_SEGMENT) / length;
    if (zero + MOTION_DIP_HALF_WIDTH > last) break;
    sum += spectrumAt(spectrum, zero) - (spectrumAt(spectrum, zero - MOTION_DIP_HALF_WIDTH) + spectrumAt(spectrum, zero + MOTION_DIP_HALF_WIDTH)) / 2;
    count++;
  }
  return count ? sum / count : 0;
}

export function motionStats(grey: GreyImage): MotionStats {
  const spectra = MOTION_DIRECTIONS.map(([dx, dy]) => directionalSpectrum(grey, dx, dy));
  let best: MotionStats = { score: 0, direction: null, length: null, segments: 0 };
  let segments = 0;
  for (let d = 0; d < MOTION_DIRECTIONS.length; d++) {
    const along = spectra[d]!;
    const across = spectra[(d + 2) % MOTION_DIRECTIONS.length]!;
    if (along.segments < MOTION_MIN_SEGMENTS || across.segments < MOTION_MIN_SEGMENTS) continue;
    segments += along.segments;
    const relative = along.spectrum.map((v, f) => v - across.spectrum[f]!);
    for (let length = MOTION_MIN_LENGTH; length <= MOTION_MAX_LENGTH; length += 0.5) {
      // A smear only takes energy away along its direction: at its first zero the profiles along
      // it hold far less than those across it, compared with low frequencies (a quarter of the
      // way), where the smear passes everything. A periodic pattern (stripes, slats, a checker)
      // has the same comb of zeros but keeps its energy.
      const zero = MOTION_SEGMENT / length;
      const loss = spectrumAt(relative, zero) - spectrumAt(relative, zero / 4);
      if (loss > MOTION_MIN_LOSS) continue;
      const depth = Math.max(combDepth(along.spectrum, length), combDepth(relative, length));
      if (depth < best.score) {
        const [dx, dy] = MOTION_DIRECTIONS[d]!;
        best = { score: depth, direction: d * 45, length: length * Math.hypot(dx, dy), segments: 0 };
      }
    }
  }
  return { ...best, segments };
}
