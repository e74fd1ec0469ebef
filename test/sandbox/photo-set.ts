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
