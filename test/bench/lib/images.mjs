/**
 * Test images made at bench time with sharp: one smooth 600x600 PNG (small on disk, passes the
 * sandbox's resolution judge), cloned into N files that each differ by a few pixels, so every
 * file hashes differently and gets its own idempotency key (no replays between inputs).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';

const SIDE = 600;
const CHANNELS = 3;

/** A gradient with a few shapes: real structure for the judges, a few tens of KB as PNG. */
function basePixels() {
  const px = Buffer.alloc(SIDE * SIDE * CHANNELS);
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      const i = (y * SIDE + x) * CHANNELS;
      const inSquare = x > 150 && x < 300 && y > 200 && y < 350;
      const inDisc = (x - 420) ** 2 + (y - 300) ** 2 < 90 ** 2;
      px[i] = inSquare ? 230 : Math.round((x / SIDE) * 200) + 20;
      px[i + 1] = inDisc ? 40 : Math.round((y / SIDE) * 180) + 30;
      px[i + 2] = inSquare || inDisc ? 60 : 140;
    }
  }
  return px;
}

/** The `index`-th variant: its number written into the red channel of the first 4 pixels. */
function variant(base, index) {
  const px = Buffer.from(base);
  for (let k = 0; k < 4; k++) px[k * CHANNELS] = (index >>> (8 * k)) & 0xff;
  return px;
}

function encode(px) {
  return sharp(px, { raw: { width: SIDE, height: SIDE, channels: CHANNELS } }).png({ compressionLevel: 6 }).toBuffer();
}

/** Writes `count` distinct PNGs `img-00001.png`… into `dir`; returns their paths in name order. */
export async function writeImageSet(dir, count) {
  await mkdir(dir, { recursive: true });
  const base = basePixels();
  const paths = new Array(count);
  let next = 0;
  // Two encoders at a time: one per core of the reference machine.
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const path = join(dir, `img-${String(i + 1).padStart(5, '0')}.png`);
      await writeFile(path, await encode(variant(base, i + 1)));
      paths[i] = path;
    }
  };
  await Promise.all([worker(), worker()]);
  return paths;
}

/** One small PNG as a data: URI (for evaluations the bench creates directly). */
export async function smallPngDataUri(seed = 0) {
  const png = await encode(variant(basePixels(), 1_000_000 + seed));
  return `data:image/png;base64,${png.toString('base64')}`;
}

/**
 * A PNG of random noise (incompressible: stored with compression 0) of about `targetBytes`,
 * never above it; used for the upload figure. Returns its size.
 */
export async function writeLargePng(path, targetBytes) {
  const width = 2048;
  // Raw rows (+1 filter byte each) plus zlib/chunk overhead stay under the target with 1% margin.
  const height = Math.floor((targetBytes * 0.99) / (width * CHANNELS + 1));
  const png = await sharp(randomBytes(width * height * CHANNELS), { raw: { width, height, channels: CHANNELS } })
    .png({ compressionLevel: 0, adaptiveFiltering: false })
    .toBuffer();
  if (png.length > targetBytes) throw new Error(`generated PNG is ${png.length} bytes, above ${targetBytes}`);
  await writeFile(path, png);
  return png.length;
}
