/** Images with known properties, made in the tests with sharp (nothing here is a fixture file). */
import sharp from 'sharp';
import { drawScene, random } from './make-fixtures.mjs';

export interface Raw {
  data: Buffer;
  width: number;
  height: number;
}

export function png(raw: Raw): Promise<Buffer> {
  return sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: 3 } }).png().toBuffer();
}

/** The drawn house scene (hard edges, gradients, text-like bars) at any size. */
export function scene(width = 768, height = 576, seed = 42): Promise<Buffer> {
  return png(drawScene(width, height, seed));
}

/**
 * A "natural-ish" picture: soft overlapping coloured ellipses over a gradient, with fine grain,
 * like an out-of-studio photo rather than flat vector art. Deterministic for a seed.
 */
export async function natural(width = 640, height = 480, seed = 7): Promise<Buffer> {
  const rnd = random(seed);
  const data = Buffer.alloc(width * height * 3);
  const blobs = Array.from({ length: 14 }, () => ({
    x: rnd() * width,
    y: rnd() * height,
    rx: 20 + rnd() * width * 0.2,
    ry: 20 + rnd() * height * 0.2,
    colour: [rnd() * 255, rnd() * 255, rnd() * 255],
  }));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let c = [60 + (120 * y) / height, 90 + (60 * x) / width, 140];
      for (const b of blobs) {
        const d = ((x - b.x) / b.rx) ** 2 + ((y - b.y) / b.ry) ** 2;
        if (d < 1) c = b.colour;
      }
      const grain = (rnd() - 0.5) * 24;
      for (let k = 0; k < 3; k++) data[(y * width + x) * 3 + k] = Math.max(0, Math.min(255, Math.round(c[k] + grain)));
    }
  }
  // A light blur first: real edges are never one pixel wide.
  return sharp(data, { raw: { width, height, channels: 3 } }).blur(0.6).png().toBuffer();
}

export const blurred = (image: Buffer, sigma = 3) => sharp(image).blur(sigma).png().toBuffer();
/** Levels pushed down: mean luma falls far below 50 and the shadows crush to black. */
export const darkened = (image: Buffer) => sharp(image).linear(0.3, -22).png().toBuffer();
export const brightened = (image: Buffer) => sharp(image).linear(0.5, 190).png().toBuffer();

export function flat(width: number, height: number, level: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: level, g: level, b: level } } }).png().toBuffer();
}

export const resized = (image: Buffer, width: number, height: number) =>
  sharp(image).resize(width, height, { fit: 'fill' }).png().toBuffer();

export const dataUri = (bytes: Buffer, mime = 'image/png') => `data:${mime};base64,${bytes.toString('base64')}`;
