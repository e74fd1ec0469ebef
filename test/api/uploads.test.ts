import { createHash } from 'node:crypto';
import { open, writeFile } from 'node:fs/promises';
import path from 'node:path';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RunflowClient } from '../../src/api/client.js';
import { isAcceptableUploadUrl, uploadFile, uploadTimeoutMs } from '../../src/api/uploads.js';
import type { Clock } from '../../src/clock.js';
import { CliError, UsageError } from '../../src/errors.js';
import { ExitCode } from '../../src/exit-codes.js';
import { makeTempDir, tinyImage } from '../images/helpers.js';
import { startUploadServer, type UploadServer } from '../images/upload-server.js';

// Retries without waiting: the backoff policy is the client's business and tested there.
const instantClock: Clock = { now: () => Date.now(), sleep: async () => {} };

let dir: string;
let cleanup: () => Promise<void>;
let png: Buffer;
let pngPath: string;
let server: UploadServer;
let client: RunflowClient;

beforeAll(async () => {
  ({ dir, cleanup } = await makeTempDir());
  png = await tinyImage('png');
  pngPath = path.join(dir, 'shot.png');
  await writeFile(pngPath, png);
});
afterAll(() => cleanup());

beforeEach(async () => {
  server = await startUploadServer();
  client = new RunflowClient({ baseUrl: server.url, apiKey: 'test-key', userAgent: 'runflow-eval/test', clock: instantClock, maxAttempts: 3 });
});
afterEach(async () => {
  await client.close();
  await server.close();
});

const pngUpload = () => ({ absPath: pngPath, displayName: 'shot.png', size: png.length, mime: 'image/png' });

async function sparseFile(name: string, size: number): Promise<string> {
  const file = path.join(dir, name);
  const handle = await open(file, 'w');
  await handle.truncate(size);
  await handle.close();
  return file;
}

describe('uploadFile', () => {
  it('creates a session, PUTs the bytes, confirms — in that order', async () => {
    const result = await uploadFile(client, pngUpload());
    expect(server.requests.map((r) => `${r.method} ${r.path.replace(/[0-9a-f-]{36}/, ':id')}`)).toEqual([
      'POST /v1/asset-uploads',
      'PUT /storage/:id',
      'POST /v1/asset-uploads/:id/confirmations',
    ]);
    const [create, put, confirm] = server.requests;
    expect(create.json).toEqual({ filename: 'shot.png', mime_type: 'image/png', size_bytes: png.length });
    expect(confirm.json).toEqual({});
    expect(confirm.path).toBe(`/v1/asset-uploads/${result.asset_id}/confirmations`);
    expect(put.path).toBe(`/storage/${result.asset_id}`);
    expect(result.ref).toBe(`runflow://assets/${result.asset_id}`);
    expect(result.asset).toMatchObject({ id: result.asset_id, mime_type: 'image/png', size_bytes: png.length });
  });

  it('sends the declared Content-Type and exact bytes to storage, and never the API key', async () => {
    await uploadFile(client, pngUpload());
    const put = server.requests.find((r) => r.method === 'PUT')!;
    expect(put.headers['content-type']).toBe('image/png');
    expect(put.headers['content-length']).toBe(String(png.length));
    expect(put.headers.authorization).toBeUndefined();
    expect(put.headers['x-organization-id']).toBeUndefined();
    expect(JSON.stringify(put.headers)).not.toContain('test-key');
    expect(put.bodySize).toBe(png.length);
    expect(put.sha256).toBe(createHash('sha256').update(png).digest('hex'));
    // The API calls, on the other hand, are authenticated.
    for (const r of server.requests.filter((x) => x.method === 'POST')) expect(r.headers.authorization).toBe('Bearer test-key');
  });

  it('re-creates the session once when the presigned URL has expired (403)', async () => {
    server.putStatuses.push(403);
    const result = await uploadFile(client, pngUpload());
    const shape = server.requests.map((r) => `${r.method} ${r.path.split('/')[1]}`);
    expect(shape).toEqual(['POST v1', 'PUT storage', 'POST v1', 'PUT storage', 'POST v1']);
    const sessionIds = server.requests.filter((r) => r.method === 'PUT').map((r) => r.path);
    expect(new Set(sessionIds).size).toBe(2);
    // The confirmation and the ref are for the second session, the one that holds the bytes.
    expect(sessionIds[1]).toBe(`/storage/${result.asset_id}`);
    expect(server.requests.at(-1)!.path).toBe(`/v1/asset-uploads/${result.asset_id}/confirmations`);
  });

  it('gives up after a second 403 with exit 5, without a third session', async () => {
    server.putStatuses.push(403, 403);
    const err = await uploadFile(client, pngUpload()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(ExitCode.Api);
    expect((err as CliError).status).toBe(403);
    expect(server.requests.filter((r) => r.path === '/v1/asset-uploads')).toHaveLength(2);
    expect(server.requests.some((r) => r.path.endsWith('/confirmations'))).toBe(false);
  });

  it('retries a transient storage failure with a fresh stream of the whole file', async () => {
    server.putStatuses.push(503);
    await uploadFile(client, pngUpload());
    const puts = server.requests.filter((r) => r.method === 'PUT');
    expect(puts).toHaveLength(2);
    expect(puts[1].bodySize).toBe(png.length);
    expect(puts[1].sha256).toBe(createHash('sha256').update(png).digest('hex'));
    expect(server.requests.filter((r) => r.path === '/v1/asset-uploads')).toHaveLength(1);
  });

  it('retries a transient failure creating the session', async () => {
    server.createStatuses.push(502);
    const result = await uploadFile(client, pngUpload());
    expect(result.ref).toMatch(/^runflow:\/\/assets\//);
    expect(server.requests.filter((r) => r.path === '/v1/asset-uploads')).toHaveLength(2);
  });

  it('refuses an insecure upload_url before sending any bytes, without showing its credentials', async () => {
    server.uploadUrlFor = (id) => `http://storage.example.com/${id}?X-Signature=secret-sig`;
    const err = await uploadFile(client, pngUpload()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(ExitCode.Api);
    expect((err as CliError).message).toMatch(/refusing insecure upload_url/);
    expect((err as CliError).message).toContain('http://storage.example.com');
    expect((err as CliError).message).not.toContain('secret-sig');
    expect(server.requests.map((r) => r.method)).toEqual(['POST']);
  });

  it('refuses a file over 50 MiB before sending anything', async () => {
    const file = await sparseFile('huge.png', 52_428_801);
    const err = await uploadFile(client, { absPath: file, displayName: 'huge.png', size: 52_428_801, mime: 'image/png' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toMatch(/huge\.png.*50 MiB/);
    expect(server.requests).toHaveLength(0);
  });

  it('notices a file that changed size since it was inspected', async () => {
    const file = path.join(dir, 'changing.png');
    await writeFile(file, png);
    const err = await uploadFile(client, { absPath: file, displayName: 'changing.png', size: png.length + 10, mime: 'image/png' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toMatch(/changed while it was being uploaded/);
    expect(server.requests.some((r) => r.method === 'PUT')).toBe(false);
  });

  it('streams a large file in roughly constant memory', async () => {
    const size = 48 * 1024 * 1024;
    const file = await sparseFile('big.png', size);
    await uploadFile(client, pngUpload()); // warm up connections and code paths first
    const gc = exposeGc();
    gc();
    const baseline = process.memoryUsage();
    let peakRss = baseline.rss;
    // Live buffer memory, sampled right after a collection so garbage chunks do not count.
    let peakLiveBuffers = baseline.arrayBuffers;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      gc();
      peakLiveBuffers = Math.max(peakLiveBuffers, process.memoryUsage().arrayBuffers);
    }, 20);
    try {
      await uploadFile(client, { absPath: file, displayName: 'big.png', size, mime: 'image/png' });
    } finally {
      clearInterval(sampler);
    }
    const put = server.requests.filter((r) => r.method === 'PUT').at(-1)!;
    expect(put.bodySize).toBe(size);
    // Holding the file in memory would keep its 48 MiB alive for the whole PUT; streaming keeps
    // a few 64 KiB chunks. The server shares this process, so both sides' chunks count here.
    expect(peakLiveBuffers - baseline.arrayBuffers).toBeLessThan(16 * 1024 * 1024);
    expect(peakRss - baseline.rss).toBeLessThan(60 * 1024 * 1024);
  });
});

/** `global.gc` without restarting the worker with --expose-gc. */
function exposeGc(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('upload helpers', () => {
  it.each([
    ['https://storage.runflow.io/x?sig=1', true],
    ['http://127.0.0.1:9000/x', true],
    ['http://127.8.9.10/x', true],
    ['http://localhost:8080/x', true],
    ['http://[::1]:8080/x', true],
    ['http://storage.runflow.io/x', false],
    ['http://127.0.0.1.evil.test/x', false],
    ['http://10.0.0.1/x', false],
    ['ftp://127.0.0.1/x', false],
    ['not a url', false],
  ])('upload_url %s acceptable: %s', (url, ok) => {
    expect(isAcceptableUploadUrl(url)).toBe(ok);
  });

  it('scales the PUT timeout with size, never under 2 minutes', () => {
    expect(uploadTimeoutMs(1)).toBe(120_000);
    expect(uploadTimeoutMs(50 * 1024 * 1024)).toBe(200_000); // 50 MiB at 256 KiB/s
  });
});
