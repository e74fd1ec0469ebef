import { createHash } from 'node:crypto';
import { mkdir, open, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { hashFile, inspectLocalImage } from '../../src/images/local-file.js';
import { makeTempDir, tinyImage, writeTinyImage } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
});
afterAll(() => cleanup());

async function refusal(file: string, name = path.basename(file)): Promise<UsageError> {
  const err = await inspectLocalImage(file, name).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UsageError);
  return err as UsageError;
}

describe('inspectLocalImage detects images by content', () => {
  it.each([
    ['png', 'image/png', 'png'],
    ['jpeg', 'image/jpeg', 'jpg'],
    ['webp', 'image/webp', 'webp'],
    ['gif', 'image/gif', 'gif'],
  ] as const)('%s', async (format, mime, ext) => {
    const bytes = await tinyImage(format);
    const file = path.join(dir, `tiny-${format}.bin`); // the name says nothing; the bytes do
    await writeFile(file, bytes);
    await expect(inspectLocalImage(file, 'tiny')).resolves.toEqual({ size: bytes.length, mime, ext });
  });

  it('goes by content even when the extension lies', async () => {
    const file = path.join(dir, 'actually-jpeg.png');
    await writeFile(file, await tinyImage('jpeg'));
    await expect(inspectLocalImage(file, 'actually-jpeg.png')).resolves.toMatchObject({ mime: 'image/jpeg' });
  });

  it('accepts TIFF too', async () => {
    const file = path.join(dir, 'scan.tif');
    await writeFile(file, await sharp({ create: { width: 4, height: 4, channels: 3, background: 'blue' } }).tiff().toBuffer());
    await expect(inspectLocalImage(file, 'scan.tif')).resolves.toMatchObject({ mime: 'image/tiff' });
  });
});

describe('inspectLocalImage refusals', () => {
  it('a missing file', async () => {
    expect((await refusal(path.join(dir, 'nope.png'), 'nope.png')).message).toBe('nope.png: no such file');
  });

  it('a folder', async () => {
    const folder = path.join(dir, 'folder.png');
    await mkdir(folder);
    expect((await refusal(folder, 'folder.png')).message).toBe('folder.png is a folder, not an image file');
  });

  it('an empty file', async () => {
    const file = path.join(dir, 'empty.png');
    await writeFile(file, '');
    expect((await refusal(file)).message).toBe('empty.png is empty');
  });

  it('a text file named .png', async () => {
    const file = path.join(dir, 'x.png');
    await writeFile(file, 'this is not really a picture\n');
    expect((await refusal(file)).message).toBe('x.png is not an image (content looks like text)');
  });

  it('binary noise', async () => {
    const file = path.join(dir, 'noise.png');
    await writeFile(file, Buffer.from([0, 1, 2, 3, 0, 255, 254, 7, 0, 0, 9, 9, 9, 9, 0, 1]));
    expect((await refusal(file)).message).toBe('noise.png is not an image (content looks like unknown data)');
  });

  it('a known non-image format names what it is', async () => {
    const file = path.join(dir, 'doc.png');
    await writeFile(file, Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(200, 0x20)]));
    expect((await refusal(file)).message).toBe('doc.png is not an image (content looks like application/pdf)');
  });

  it('a file over 50 MiB, checked from its size without reading it (sparse)', async () => {
    const file = path.join(dir, 'huge.png');
    const handle = await open(file, 'w');
    await handle.truncate(52_428_801);
    await handle.close();
    const before = process.memoryUsage().rss;
    const err = await refusal(file);
    expect(err.message).toBe('huge.png is 52,428,801 bytes, over the upload limit of 50 MiB (52,428,800 bytes)');
    expect(err.hint).toMatch(/https:\/\/ URL/);
    // Loose: the check must not have read the 50 MiB into memory.
    expect(process.memoryUsage().rss - before).toBeLessThan(40 * 1024 * 1024);
  });

  it('exactly 50 MiB passes the size check (then fails on content, zeros are no image)', async () => {
    const file = path.join(dir, 'edge.png');
    const handle = await open(file, 'w');
    await handle.truncate(52_428_800);
    await handle.close();
    expect((await refusal(file)).message).toMatch(/is not an image/);
  });
});

describe('hashFile', () => {
  it('matches sha256 of the bytes', async () => {
    const bytes = await tinyImage('png');
    const file = await writeTinyImage(dir, 'hashme.png', 'png');
    expect(await hashFile(file)).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect((await stat(file)).size).toBe(bytes.length);
  });

  it('streams a larger file in chunks and still agrees', async () => {
    const bytes = Buffer.alloc(3 * 1024 * 1024 + 17, 0xab);
    const file = path.join(dir, 'big.bin');
    await writeFile(file, bytes);
    expect(await hashFile(file)).toBe(createHash('sha256').update(bytes).digest('hex'));
  });
});
