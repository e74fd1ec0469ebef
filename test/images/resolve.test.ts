import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RunflowClient } from '../../src/api/client.js';
import type { EvaluationRequest } from '../../src/api/types.js';
import type { Clock } from '../../src/clock.js';
import { UsageError } from '../../src/errors.js';
import { idempotencyKeyFor } from '../../src/evaluations/idempotency.js';
import { AssetCache } from '../../src/images/asset-cache.js';
import { classifyImage } from '../../src/images/classify.js';
import { prepareLocal, resolveImageForSubmit, type ResolveContext } from '../../src/images/resolve.js';
import { makeTempDir, noisyPng, tinyImage } from './helpers.js';
import { startUploadServer, type UploadServer } from './upload-server.js';

const instantClock: Clock = { now: () => Date.now(), sleep: async () => {} };
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const ASSET = 'runflow://assets/3f2b8c1e-9a4d-4e6f-8b2a-1c3d5e7f9a0b';

let dir: string;
let cleanup: () => Promise<void>;
let jpeg: Buffer;
let jpegPath: string;
let server: UploadServer;
let client: RunflowClient;
let cacheDirCount = 0;

beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
  jpeg = await tinyImage('jpeg');
  jpegPath = path.join(dir, 'photo.jpg');
  await writeFile(jpegPath, jpeg);
});
afterAll(() => cleanup());
beforeEach(async () => {
  server = await startUploadServer();
  client = new RunflowClient({ baseUrl: server.url, apiKey: 'test-key', userAgent: 'runflow-eval/test', clock: instantClock });
});
afterEach(async () => {
  await client.close();
  await server.close();
});

function context(extra: Partial<ResolveContext> = {}): ResolveContext {
  return { client, cache: new AssetCache(path.join(dir, `cache-${++cacheDirCount}`)), baseUrl: server.url, ...extra };
}

describe('resolveImageForSubmit', () => {
  it('passes URLs and asset references through, with no content hash', async () => {
    expect(await resolveImageForSubmit(classifyImage('https://x.test/a.png'), context())).toEqual({ url: 'https://x.test/a.png', route: 'url' });
    expect(await resolveImageForSubmit(classifyImage(ASSET), context())).toEqual({ url: ASSET, route: 'asset' });
    expect(server.requests).toHaveLength(0);
  });

  it('passes a data: URI through and hashes its decoded bytes', async () => {
    const uri = `data:image/jpeg;base64,${jpeg.toString('base64')}`;
    expect(await resolveImageForSubmit(classifyImage(uri), context())).toEqual({ url: uri, contentHash: sha(jpeg), route: 'data' });
  });

  it('inlines a small local file as a data: URI, sending nothing', async () => {
    const resolved = await resolveImageForSubmit(classifyImage(jpegPath), context());
    expect(resolved).toEqual({ url: `data:image/jpeg;base64,${jpeg.toString('base64')}`, contentHash: sha(jpeg), route: 'inline' });
    expect(server.requests).toHaveLength(0);
  });

  it('uploads with --upload, remembers the ref, and reuses it on a rerun', async () => {
    const cacheDir = path.join(dir, 'shared-cache');
    const first = await resolveImageForSubmit(classifyImage(jpegPath), context({ forceUpload: true, cache: new AssetCache(cacheDir) }));
    expect(first.route).toBe('upload');
    expect(first.url).toMatch(/^runflow:\/\/assets\/[0-9a-f-]{36}$/);
    expect(first.contentHash).toBe(sha(jpeg));
    expect(server.requests).toHaveLength(3);

    // A rerun (new process, new cache object over the same folder) sends the same reference.
    const again = await resolveImageForSubmit(classifyImage(jpegPath), context({ forceUpload: true, cache: new AssetCache(cacheDir) }));
    expect(again).toEqual({ url: first.url, contentHash: first.contentHash, route: 'upload', reused: true });
    expect(server.requests).toHaveLength(3);

    // The same bytes under another name are the same asset.
    const copy = path.join(dir, 'copy-of-photo.jpg');
    await writeFile(copy, jpeg);
    expect((await resolveImageForSubmit(classifyImage(copy), context({ forceUpload: true, cache: new AssetCache(cacheDir) }))).url).toBe(first.url);

    // Another API (or organization) does not share the reference.
    const other = await resolveImageForSubmit(classifyImage(jpegPath), context({ forceUpload: true, cache: new AssetCache(cacheDir), orgId: 'org-2' }));
    expect(other.url).not.toBe(first.url);
    expect(server.requests).toHaveLength(6);
  });

  it('uploads a file too big for the inline cap without being asked', async () => {
    const big = await noisyPng(1800, 1800); // ~9.7 MB: over the ~9 MB that fits in 12,000,000 characters
    expect(big.length).toBeGreaterThan(9_000_000);
    const file = path.join(dir, 'big.png');
    await writeFile(file, big);
    expect((await prepareLocal(classifyImage(file))).route).toBe('upload');
    const resolved = await resolveImageForSubmit(classifyImage(file), context());
    expect(resolved.route).toBe('upload');
    expect(resolved.contentHash).toBe(sha(big));
    const put = server.requests.find((r) => r.method === 'PUT')!;
    expect(put.bodySize).toBe(big.length);
    expect(put.headers['content-type']).toBe('image/png');
  });

  it('gives the same idempotency key whether the file went inline or uploaded', async () => {
    const bodyFor = (url: string): EvaluationRequest => ({ generated_image_url: url, task_type: 'headshot', generation_prompt: 'a portrait' });
    const inline = await resolveImageForSubmit(classifyImage(jpegPath), context());
    const uploaded = await resolveImageForSubmit(classifyImage(jpegPath), context({ forceUpload: true }));
    expect(inline.url).not.toBe(uploaded.url);
    expect(idempotencyKeyFor(bodyFor(inline.url), { image: inline.contentHash, refs: [] })).toBe(
      idempotencyKeyFor(bodyFor(uploaded.url), { image: uploaded.contentHash, refs: [] }),
    );
  });
});

describe('prepareLocal', () => {
  it('reports the route and detected type without sending', async () => {
    expect(await prepareLocal(classifyImage(jpegPath))).toMatchObject({ route: 'inline', mime: 'image/jpeg', size: jpeg.length });
    expect(await prepareLocal(classifyImage(jpegPath), { forceUpload: true })).toMatchObject({ route: 'upload' });
    expect(await prepareLocal(classifyImage(`data:image/jpeg;base64,${jpeg.toString('base64')}`))).toMatchObject({ route: 'data', mime: 'image/jpeg' });
    expect((await prepareLocal(classifyImage(ASSET))).route).toBe('asset');
    expect(server.requests).toHaveLength(0);
  });

  it('names the flag when a local file is not an image', async () => {
    const file = path.join(dir, 'x.png');
    await writeFile(file, 'plain text, not pixels\n');
    const err = await prepareLocal(classifyImage(file, '--ref')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toBe(`--ref ${file} is not an image (content looks like text)`);
  });

  it('refuses a data: URI whose bytes are not an image', async () => {
    const uri = `data:image/png;base64,${Buffer.from('hello, this is text').toString('base64')}`;
    const err = await prepareLocal(classifyImage(uri, '--ref')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toMatch(/^--ref data:image\/png;base64,.*does not hold an image \(content looks like text\)$/);
  });
});
