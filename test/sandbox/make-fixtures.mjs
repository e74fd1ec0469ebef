#!/usr/bin/env node
/**
 * Draws the sandbox demo images into fixtures/ (run: `node test/sandbox/make-fixtures.mjs`).
 *
 * The scene is drawn pixel by pixel in plain JavaScript with a seeded random generator, so the
 * drawing is the same everywhere; sharp only encodes the PNGs and makes the blurred and dark
 * copies. Each file stays well under 150 KB.
 *
 *   good.png          768×576, crisp and well exposed: passes every sandbox judge
 *   blurry.png        the same scene with a Gaussian blur (sigma 3): fails sharpness
 *   dark.png          the same scene with its levels pushed down: fails exposure
 *   small.png         the scene at 320×240: fails the 512 px resolution gate
 *   not-an-image.png  a text file with an image's name: the evaluation fails with invalid_media
 */
import { writeFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

/** Default size: 4:3, with the shorter side above the sandbox's 512 px resolution gate. */
const WIDTH = 768;
const HEIGHT = 576;
/** The drawing's own coordinates; drawScene scales them to the requested size. */
const DESIGN_WIDTH = 640;
const DESIGN_HEIGHT = 480;
const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, '..', '..', 'fixtures');

/** mulberry32: a tiny seeded generator, so every run draws the same "text". */
export function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function drawScene(width = WIDTH, height = HEIGHT, seed = 42) {
  const rnd = random(seed);
  const px = Buffer.alloc(width * height * 3);
  const sx = width / DESIGN_WIDTH;
  const sy = height / DESIGN_HEIGHT;
  const set = (x, y, [r, g, b]) => {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    const i = (y * width + x) * 3;
    px[i] = r;
    px[i + 1] = g;
    px[i + 2] = b;
  };
  const rect = (x0, y0, x1, y1, colour) => {
    for (let y = Math.round(y0 * sy); y < Math.round(y1 * sy); y++)
        for (let x = Math.round(x0 * sx); x < Math.round(x1 * sx); x++) set(x, y, colour);
  };
  const horizon = 300 * sy;

  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (y < horizon) {
        // Sky: a smooth vertical gradient.
        const t = y / horizon;
        set(x, y, [Math.round(70 + 120 * t), Math.round(130 + 90 * t), Math.round(210 + 30 * t)]);
      } else {
        // Ground: a checkerboard of grass tiles, darker with distance.
        const tile = (Math.floor(x / (32 * sx)) + Math.floor((y - horizon) / (24 * sy))) % 2;
        const shade = 0.8 + (0.2 * (y - horizon)) / (height - horizon);
        const base = tile ? [80, 150, 60] : [105, 175, 75];
        set(x, y, base.map((c) => Math.round(c * shade)));
      }
    }
  }
  // Sun.
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      if ((x / sx - 520) ** 2 + (y / sy - 80) ** 2 < 42 ** 2) set(x, y, [250, 215, 110]);
  // Mountains: a ridge line from two sine waves.
  for (let x = 0; x < width; x++) {
    const u = x / sx;
    const ridge = (255 + 30 * Math.sin(u / 55) + 14 * Math.sin(u / 17 + 1)) * sy;
    for (let y = Math.round(ridge); y < horizon; y++) set(x, y, [72, 88, 104]);
  }
  // House with a roof, brick courses, windows and a door.
  rect(70, 210, 270, 410, [176, 86, 64]);
  for (let yy = 214; yy < 410; yy += 10) rect(70, yy, 270, yy + 2, [120, 60, 48]);
  for (let y = 0; y < height; y++) {
    const v = y / sy;
    if (v < 140 || v >= 210) continue;
    const half = ((v - 140) / 70) * 120;
    rect(170 - half, v, 170 + half, v + 1, [60, 40, 40]);
  }
  for (const wx of [95, 195]) {
    rect(wx - 4, 244, wx + 54, 304, [40, 32, 30]);
    rect(wx, 248, wx + 50, 300, [235, 225, 170]);
    rect(wx + 23, 248, wx + 27, 300, [40, 32, 30]);
    rect(wx, 272, wx + 50, 276, [40, 32, 30]);
  }
  rect(145, 320, 195, 410, [70, 45, 35]);
  rect(183, 362, 189, 368, [230, 200, 90]);
  // A sign with rows of dark bars of random lengths: text-like fine detail.
  rect(330, 320, 610, 460, [90, 70, 50]);
  rect(338, 328, 602, 452, [236, 234, 222]);
  for (let row = 0; row < 9; row++) {
    let x = 350;
    const y = 340 + row * 12;
    while (x < 585) {
      const len = 6 + Math.floor(rnd() * 26);
      rect(x, y, Math.min(x + len, 590), y + 6, [30, 30, 36]);
      x += len + 4 + Math.floor(rnd() * 5);
    }
  }
  // Fence posts across the foreground.
  for (let x = 10; x < 630; x += 22) rect(x, 420, x + 8, 470, [200, 190, 170]);
  rect(0, 432, 640, 437, [200, 190, 170]);
  return { data: px, width, height };
}

const png = (img) =>
  sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).png({ compressionLevel: 9 });

async function main() {
  await mkdir(outDir, { recursive: true });
  const good = await png(drawScene()).toBuffer();
  const files = {
    'good.png': good,
    'blurry.png': await sharp(good).blur(3).png({ compressionLevel: 9 }).toBuffer(),
    // Levels pushed down and the bottom third crushed to black, as a badly underexposed shot.
    'dark.png': await sharp(good).linear(0.3, -22).png({ compressionLevel: 9 }).toBuffer(),
    'small.png': await png(drawScene(320, 240)).toBuffer(),
    'not-an-image.png': Buffer.from('This is a text file with an image name; it is not an image.\n'),
  };
  for (const [name, bytes] of Object.entries(files)) {
    await writeFile(join(outDir, name), bytes);
    process.stdout.write(`${name}\t${bytes.length} bytes\n`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
