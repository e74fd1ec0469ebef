/**
 * Real photographs and the ways generated images go wrong, made at test time with sharp.
 *
 * The photographs in test/fixtures/photos/ are the held-out set: four nature photographs from
 * Debian's `mate-backgrounds` package (GPL-2+, usr/share/backgrounds/mate/nature/: Garden,
 * LadyBird, TwoWings, Wood), kept at their native 2560 px and re-encoded as JPEG q82 so the
 * folder stays under 1 MB. The judges' thresholds were calibrated on the other eight photographs
 * of that folder (see the closing note of issue 17 for the commands), never on these.
 *
 * Every variant is made from the original by shrinking (never enlarging) to the requested longer
 * side, so a "clean" 2560 px image really has 2560 px of detail.
 */
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { random } from './make-fixtures.mjs';

export const PHOTO_DIR = join(import.meta.dirname, '..', 'fixtures', 'photos');
export const PHOTOS = readdirSync(PHOTO_DIR).filter((f) => f.endsWith('.jpg')).sort();

/** Longer side of each variant. */
export const SIZES = [512, 1024, 1600, 2560] as const;
export type Format = 'png' | 'jpeg';

export interface Degradation {
  name: string;
  /** Judges named for this defect: the image must fail at least one of them. */
  judges: string[];
  /** Input attributes of the evaluation (beyond the test's defaults). */
  attributes?: Record<string, unknown>;
  make: (original: Buffer, size: number, format: Format) => Promise<Buffer>;
}

const shrink = (original: Buffer, size: number) => sharp(original).resize(size, size, { fit: 'inside', withoutEnlargement: true });

function encode(img: sharp.Sharp, format: Format): Promise<Buffer> {
  // JPEG at q90: what a generator's "save as JPEG" usually gives.
  return format === 'png' ? img.png().toBuffer() : img.jpeg({ quality: 90 }).toBuffer();
}

/** A 9 px diagonal streak: camera shake during the exposure. */
const MOTION_KERNEL = {
  width: 9,
  height: 9,
  kernel: Array.from({ length: 81 }, (_, i) => (i % 10 === 0 ? 1 : 0)),
  scale: 9,
};

/** Gaussian noise of standard deviation `sigma` on every channel (seeded, so runs repeat). */
async function addNoise(img: sharp.Sharp, sigma: number): Promise<sharp.Sharp> {
  const { data, info } = await img.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const rnd = random(2417);
  const out = Buffer.alloc(data.length);
  for (let i = 0; i < data.length; i++) {
    const g = Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
    out[i] = Math.max(0, Math.min(255, Math.round(data[i] + sigma * g)));
  }
  return sharp(out, { raw: { width: info.width, height: info.height, channels: info.channels } });
}

/** Keys' cubic with a = −0.5, the kernel of PIL's BICUBIC and OpenCV's INTER_CUBIC. */
function cubic(t: number): number {
  const a = -0.5;
  const u = Math.abs(t);
  if (u <= 1) return (a + 2) * u ** 3 - (a + 3) * u ** 2 + 1;
  return u < 2 ? a * (u ** 3 - 5 * u ** 2 + 8 * u - 4) : 0;
}

/** For each of 2n outputs, the four source indices (clamped at the border) and normalised weights. */
function centredTaps(n: number): { at: number[]; w: number[] }[] {
  return Array.from({ length: 2 * n }, (_, out) => {
    // Pixel centres aligned (PIL, OpenCV): output pixel `out` samples the source at (out + ½)/2 − ½.
    const s = (out + 0.5) / 2 - 0.5;
    const first = Math.floor(s) - 1;
    const at = [0, 1, 2, 3].map((k) => Math.min(n - 1, Math.max(0, first + k)));
    const w = [0, 1, 2, 3].map((k) => cubic(s - (first + k)));
    const sum = w.reduce((x, y) => x + y, 0);
    return { at, w: w.map((v) => v / sum) };
  });
}

/**
 * Enlarges 2× the way PIL's `resize(..., BICUBIC)` and OpenCV do: output samples at ±¼ of a source
 * pixel, so no output pixel is a source pixel (sharp/libvips keeps every other one instead).
 */
export async function enlargeCentred2x(img: sharp.Sharp): Promise<sharp.Sharp> {
  const { data, info } = await img.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const { width: w, height: h, channels: c } = info;
  const tx = centredTaps(w);
  const ty = centredTaps(h);
  const rows = new Float32Array(2 * w * h * c);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < 2 * w; x++) {
      const { at, w: k } = tx[x];
      for (let ch = 0; ch < c; ch++) {
        let v = 0;
        for (let j = 0; j < 4; j++) v += k[j] * data[(y * w + at[j]) * c + ch];
        rows[(y * 2 * w + x) * c + ch] = v;
      }
    }
  }
  const out = Buffer.alloc(4 * w * h * c);
  for (let y = 0; y < 2 * h; y++) {
    const { at, w: k } = ty[y];
    for (let i = 0; i < 2 * w * c; i++) {
      let v = 0;
      for (let j = 0; j < 4; j++) v += k[j] * rows[at[j] * 2 * w * c + i];
      out[y * 2 * w * c + i] = Math.max(0, Math.min(255, Math.round(v)));
    }
  }
  return sharp(out, { raw: { width: 2 * w, height: 2 * h, channels: c } });
}

export const CLEAN: Degradation = { name: 'clean', judges: [], make: (o, s, f) => encode(shrink(o, s), f) };

export const DEGRADATIONS: Degradation[] = [
  { name: 'gaussian blur σ2', judges: ['sharpness'], make: (o, s, f) => encode(shrink(o, s).blur(2), f) },
  { name: 'motion blur 9 px', judges: ['sharpness'], make: (o, s, f) => encode(shrink(o, s).convolve(MOTION_KERNEL), f) },
  { name: 'blur σ2 saved as JPEG q75', judges: ['sharpness'], make: (o, s) => shrink(o, s).blur(2).jpeg({ quality: 75 }).toBuffer() },
  { name: 'over-exposed ×2.5', judges: ['exposure'], make: (o, s, f) => encode(shrink(o, s).linear(2.5, 0), f) },
  { name: 'under-exposed ×0.3', judges: ['exposure'], make: (o, s, f) => encode(shrink(o, s).linear(0.3, 0), f) },
  { name: 'washed out (40% of range)', judges: ['contrast'], make: (o, s, f) => encode(shrink(o, s).linear(0.4, 0.3 * 255), f) },
  {
    name: 'JPEG quality 3',
    judges: ['compression_artifacts'],
    // Saved as q3 JPEG; the "png" variant is that JPEG's pixels stored losslessly.
    make: async (o, s, f) => {
      const q3 = await shrink(o, s).jpeg({ quality: 3 }).toBuffer();
      return f === 'png' ? sharp(q3).png().toBuffer() : q3;
    },
  },
  { name: 'gaussian noise σ25', judges: ['noise'], make: async (o, s, f) => encode(await addNoise(shrink(o, s), 25), f) },
  {
    name: 'enlarged from 256 px',
    judges: ['resolution', 'effective_resolution'],
    make: async (o, s, f) => {
      const small = await shrink(o, 256).png().toBuffer();
      return encode(sharp(small).resize(s, s, { fit: 'inside' }), f);
    },
  },
  {
    // PIL and OpenCV enlarge between pixel centres; sharp (the row above) keeps source pixels.
    name: 'enlarged 2× centred (PIL-style)',
    judges: ['resolution', 'effective_resolution'],
    make: async (o, s, f) => encode(await enlargeCentred2x(shrink(o, s / 2)), f),
  },
  {
    name: 'truncated file',
    judges: ['image_decode'],
    make: async (o, s, f) => {
      const full = await encode(shrink(o, s), f);
      return full.subarray(0, Math.floor(full.length * 0.6));
    },
  },
  {
    name: 'wrong aspect ratio (1:1 asked)',
    judges: ['aspect_ratio'],
    attributes: { aspect_ratio: '1:1' },
    make: (o, s, f) => encode(shrink(o, s), f),
  },
];

export const readPhoto = (name: string) => readFile(join(PHOTO_DIR, name));

export interface Row {
  name: string;
  total: number;
  /** The verdict failed (or, for clean photos, passed). */
  ok: number;
  /** The verdict failed by a judge named for the defect. */
  right: number;
  misses: string[];
}

/** The table the photo test prints: clean pass rate, then per defect caught / by the right judge. */
export function formatTable(rows: Row[]): string {
  const lines = ['| images | n | verdict as expected | by the judge named for it |', '|---|---|---|---|'];
  for (const r of rows) {
    const pct = (k: number) => `${k}/${r.total} (${Math.round((100 * k) / Math.max(1, r.total))}%)`;
    lines.push(`| ${r.name} | ${r.total} | ${pct(r.ok)} | ${r.name === 'clean' ? '—' : pct(r.right)} |`);
  }
  return lines.join('\n');
}
