import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RunflowClient } from '../../src/api/client.js';
import { uploadFile } from '../../src/api/uploads.js';
import type { Clock } from '../../src/clock.js';
import { AssetCache } from '../../src/images/asset-cache.js';
import { classifyImage } from '../../src/images/classify.js';
import { resolveImageForSubmit } from '../../src/images/resolve.js';
import type { FakeApi } from '../helpers/fake-api.js';
import { useFakeApi } from '../helpers/use-fake-api.js';
import { makeTempDir, tinyImage } from '../images/helpers.js';

// The same flow against the project's shared stateful fake API, which checks the request shapes
// (extra fields, declared vs received size, Content-Type vs the presigned signature).
const instantClock: Clock = { now: () => Date.now(), sleep: async () => {} };

let dir: string;
let cleanup: () => Promise<void>;
let webp: Buffer;
let webpPath: string;
let api: FakeApi;
let client: RunflowClient;

beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
  webp = await tinyImage('webp');
  webpPath = path.join(dir, 'render.webp');
  await writeFile(webpPath, webp);
});
afterAll(async () => {
  await cleanup();
});
const fake = useFakeApi();
beforeEach(() => {
  api = fake.api;
  client = new RunflowClient({ baseUrl: api.url, apiKey: 'test-key', userAgent: 'runflow-eval/test', clock: instantClock });
});
afterEach(() => client.close());

describe('upload flow against FakeApi', () => {
  it('stores and confirms the file, with the declared type and no key on the storage PUT', async () => {
    const result = await uploadFile(client, { absPath: webpPath, displayName: 'render.webp', size: webp.length, mime: 'image/webp' });
    const upload = api.uploads.get(result.asset_id)!;
    expect(upload).toMatchObject({ filename: 'render.webp', mime_type: 'image/webp', size_bytes: webp.length, received: webp.length, contentType: 'image/webp', confirmed: true });
    expect(upload.headers.authorization).toBeUndefined();
    expect(result.ref).toBe(`runflow://assets/${result.asset_id}`);
    expect(result.asset.id).toBe(result.asset_id);
    expect(api.requests.map((r) => `${r.method} ${r.status}`)).toEqual(['POST 201', 'PUT 200', 'POST 201']);
  });

  it('recovers from an expired presigned URL (403 on the PUT) with one new session', async () => {
    api.fault({ method: 'PUT', path: /^\/storage\//, status: 403, body: '<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>' });
    const result = await uploadFile(client, { absPath: webpPath, displayName: 'render.webp', size: webp.length, mime: 'image/webp' });
    expect(api.requests.map((r) => `${r.method} ${r.status}`)).toEqual(['POST 201', 'PUT 403', 'POST 201', 'PUT 200', 'POST 201']);
    expect(api.uploads.get(result.asset_id)!.confirmed).toBe(true);
  });

  it('resolves a local file with --upload once, then reuses the cached reference', async () => {
    const cache = new AssetCache(path.join(dir, 'cfg'));
    const ctx = { client, cache, forceUpload: true, baseUrl: api.url };
    const first = await resolveImageForSubmit(classifyImage(webpPath), ctx);
    const second = await resolveImageForSubmit(classifyImage(webpPath), ctx);
    expect(second.url).toBe(first.url);
    expect(second.reused).toBe(true);
    expect(api.requests.filter((r) => r.method === 'PUT')).toHaveLength(1);
  });
});
