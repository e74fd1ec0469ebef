import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  base64Length,
  dataUriFromFile,
  decodeDataUri,
  fitsInline,
  parseDataUri,
  toDataUri,
} from '../../src/images/data-uri.js';
import { makeTempDir, tinyImage } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
});
afterAll(() => cleanup());

describe('data: URIs', () => {
  it('builds one from a file and decodes back to the same bytes', async () => {
    const bytes = await tinyImage('png');
    const file = path.join(dir, 'a.png');
    await (await import('node:fs/promises')).writeFile(file, bytes);
    const { uri, bytes: read } = await dataUriFromFile(file, 'image/png');
    expect(uri).toBe(`data:image/png;base64,${bytes.toString('base64')}`);
    expect(read.equals(bytes)).toBe(true);
    expect(decodeDataUri(uri)).toEqual({ mime: 'image/png', bytes });
  });

  it('toDataUri respects a subarray view', () => {
    const whole = Buffer.from('xxhelloxx');
    expect(toDataUri(whole.subarray(2, 7), 'image/gif')).toBe(`data:image/gif;base64,${Buffer.from('hello').toString('base64')}`);
  });

  it('parseDataUri reports why a URI is unusable', () => {
    expect(parseDataUri('data:image/png;base64,QUJD')).toEqual({ mime: 'image/png', payload: 'QUJD' });
    expect(parseDataUri('DATA:IMAGE/PNG;BASE64,QUJD')).toEqual({ mime: 'image/png', payload: 'QUJD' });
    expect(parseDataUri('data:image/png;base64,QUI')).toEqual({ mime: 'image/png', payload: 'QUI' }); // unpadded
    expect(parseDataUri('data:text/plain;base64,QUJD')).toBe('not-image-base64');
    expect(parseDataUri('data:image/png;base64,')).toBe('empty');
    expect(parseDataUri('data:image/png;base64,QU JD')).toBe('bad-base64');
    expect(parseDataUri('data:image/png;base64,Q')).toBe('bad-base64');
  });
});

describe('fitsInline', () => {
  it('counts base64 as 4 characters per started 3 bytes', () => {
    expect(base64Length(0)).toBe(0);
    expect(base64Length(1)).toBe(4);
    expect(base64Length(3)).toBe(4);
    expect(base64Length(4)).toBe(8);
  });

  it('draws the line exactly at 12,000,000 characters including the prefix', () => {
    const prefix = 'data:image/png;base64,'.length; // 22
    // Largest byte count whose URI is <= 12,000,000 characters.
    const maxBytes = Math.floor((12_000_000 - prefix) / 4) * 3;
    expect(prefix + base64Length(maxBytes)).toBeLessThanOrEqual(12_000_000);
    expect(fitsInline(maxBytes, 'image/png')).toBe(true);
    expect(fitsInline(maxBytes + 1, 'image/png')).toBe(false);
    expect(fitsInline(8_000_000, 'image/png')).toBe(true);
    expect(fitsInline(9_500_000, 'image/png')).toBe(false);
  });

  it('is conservative without a MIME type', () => {
    const maxPngBytes = Math.floor((12_000_000 - 22) / 4) * 3;
    expect(fitsInline(maxPngBytes)).toBe(false);
    expect(fitsInline(1_000_000)).toBe(true);
  });
});
