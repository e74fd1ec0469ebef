import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';

/** A fresh temporary folder per test file, removed afterwards. */
export async function makeTempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rfe-images-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export type TinyFormat = 'png' | 'jpeg' | 'webp' | 'gif';

/** A small real image made with sharp, so content detection sees genuine headers. */
export async function tinyImage(format: TinyFormat, width = 8, height = 6, colour = '#c0ffee'): Promise<Buffer> {
  const base = sharp({ create: { width, height, channels: 3, background: colour } });
  return base.toFormat(format).toBuffer();
}

export async function writeTinyImage(dir: string, name: string, format: TinyFormat, colour?: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, await tinyImage(format, 8, 6, colour));
  return file;
}

/** A PNG of pseudo-random pixels: noise does not compress, so the file is about as big as asked. */
export async function noisyPng(width: number, height: number, seed = 1): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  let state = seed;
  for (let i = 0; i < pixels.length; i++) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    pixels[i] = state >>> 16;
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } }).png({ compressionLevel: 0 }).toBuffer();
}
