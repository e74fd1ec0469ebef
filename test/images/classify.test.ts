import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { ExitCode } from '../../src/exit-codes.js';
import { classifyImage } from '../../src/images/classify.js';
import { makeTempDir, writeTinyImage } from './helpers.js';

const UUID = '3f2b8c1e-9a4d-4e6f-8b2a-1c3d5e7f9a0b';
const PNG_B64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
  await writeTinyImage(dir, 'cat.png', 'png');
  await mkdir(path.join(dir, 'sub'));
  await writeTinyImage(path.join(dir, 'sub'), 'dog.jpg', 'jpeg');
});
afterAll(() => cleanup());

function refusal(input: string, flag?: string): UsageError {
  try {
    classifyImage(input, flag, { baseDir: dir });
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(ExitCode.Usage);
    return err as UsageError;
  }
  throw new Error(`expected ${input} to be refused`);
}

describe('classifyImage: accepted inputs', () => {
  it.each([
    ['https://example.com/a.png', { kind: 'url', url: 'https://example.com/a.png' }],
    ['HTTPS://Example.com/a.png?sig=a%2Fb', { kind: 'url', url: 'HTTPS://Example.com/a.png?sig=a%2Fb' }],
    [`runflow://assets/${UUID}`, { kind: 'asset', ref: `runflow://assets/${UUID}` }],
    [`data:image/png;base64,${PNG_B64}`, { kind: 'data', uri: `data:image/png;base64,${PNG_B64}` }],
    ['data:image/webp;name=x.webp;base64,UklGRg', { kind: 'data', uri: 'data:image/webp;name=x.webp;base64,UklGRg' }],
  ])('%s', (input, expected) => {
    expect(classifyImage(input)).toEqual(expected);
  });

  it('keeps the flag it came with, for later messages', () => {
    expect(classifyImage('https://example.com/a.png', '--ref')).toEqual({ kind: 'url', url: 'https://example.com/a.png', flag: '--ref' });
  });

  it('resolves a relative path against the base folder and keeps it as given', () => {
    expect(classifyImage('sub/dog.jpg', undefined, { baseDir: dir })).toEqual({
      kind: 'file',
      path: 'sub/dog.jpg',
      absPath: path.join(dir, 'sub', 'dog.jpg'),
    });
    // The base folder may also be given as a plain string.
    expect(classifyImage('cat.png', '--ref', dir)).toMatchObject({ kind: 'file', absPath: path.join(dir, 'cat.png'), flag: '--ref' });
  });

  it('takes an absolute path', () => {
    const abs = path.join(dir, 'cat.png');
    expect(classifyImage(abs)).toEqual({ kind: 'file', path: abs, absPath: abs });
  });
});

describe('classifyImage: refusals name the input and the flag', () => {
  it('refuses http:// and says https is required', () => {
    const err = refusal('http://example.com/a.png', '--ref');
    expect(err.message).toContain('--ref http://example.com/a.png');
    expect(err.message).toMatch(/https:\/\/ URL is required/);
  });

  it('refuses an https URL that does not parse', () => {
    expect(refusal('https://exa mple.com/a.png').message).toMatch(/not a valid URL/);
  });

  it.each([
    [`runflow://assets/not-a-uuid`],
    [`runflow://assets/${UUID}x`],
    [`runflow://files/${UUID}`],
    [`runflow://assets/`],
  ])('refuses a bad asset reference %s', (input) => {
    expect(refusal(input, '--ref').message).toMatch(/--ref runflow:.*expected runflow:\/\/assets\/<uuid>/);
  });

  it.each([
    ['data:text/plain;base64,aGVsbG8=', /only data:image\/<type>;base64, URIs/],
    ['data:image/png,rawbytes', /only data:image\/<type>;base64, URIs/],
    ['data:image/png;base64,', /holds no data/],
    ['data:image/png;base64,abc$def', /not valid base64/],
    ['data:image/png;base64,a-_b', /not valid base64/],
    ['data:image/png;base64,abcde', /not valid base64/],
    ['data:image/png;base64,ab=c', /not valid base64/],
  ])('refuses the data URI %s', (input, message) => {
    expect(refusal(input, '--ref').message).toMatch(message);
  });

  it.each(['ftp://example.com/a.png', 'file:///tmp/a.png', 's3://bucket/a.png'])('refuses the scheme of %s', (input) => {
    const err = refusal(input, '--ref');
    expect(err.message).toContain(`--ref ${input}`);
    expect(err.message).toMatch(/unsupported image source/);
  });

  it('refuses a path that does not exist', () => {
    expect(refusal('missing.png').message).toBe('missing.png: no such file');
    expect(refusal('missing.png', '--ref').message).toBe('--ref missing.png: no such file');
    expect(refusal('cat.png/inner.png').message).toMatch(/no such file/);
  });

  it('refuses an empty value', () => {
    expect(refusal('', '--ref').message).toMatch(/^--ref: empty value/);
  });

  it('refuses a URL over the 12,000,000-character cap and shortens it in the message', () => {
    const huge = `data:image/png;base64,${'A'.repeat(12_000_000)}`;
    const err = refusal(huge);
    expect(err.message).toMatch(/over the API's limit of 12,000,000/);
    expect(err.message.length).toBeLessThan(300);
  });
});
