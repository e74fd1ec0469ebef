/**
 * The sandbox's handling of large request bodies: read into one buffer, hashed and decoded in
 * slices. Each must give exactly what the plain whole-string operation gives.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, request, type IncomingMessage } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MAX_JSON_BODY_BYTES, readJson, HttpError } from '../../src/sandbox/http.js';
import { spillDataUri } from '../../src/sandbox/media.js';
import { bodyHash } from '../../src/sandbox/store.js';

/** The canonical form the hash is defined on: keys sorted, JSON.stringify for everything else. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe('bodyHash', () => {
  test('a multi-megabyte data: URI hashes as its JSON text does', () => {
    const uri = `data:image/png;base64,${randomBytes(3_000_000).toString('base64')}`;
    const body = { task_type: 'x', generated_image_url: uri, reference_images: [{ url: uri, kind: 'style' }] };
    expect(bodyHash(body)).toBe(sha256(canonical(body)));
  });

  test('long strings that JSON escapes (quotes, backslashes, control and non-ASCII characters) too', () => {
    const chunk = 'a"b\\c\n\u00e9\u2603\ud83d\ude00'.repeat(200_000);
    for (const s of [chunk, `${'x'.repeat(2_000_000)}"`, `${'y'.repeat(1_500_000)}\ud800`]) {
      expect(bodyHash({ s })).toBe(sha256(canonical({ s })));
    }
  });
});

describe('spillDataUri', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rfe-spill-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  test('decodes in pieces to the same bytes, padded or not, across piece boundaries', async () => {
    for (const size of [0, 1, 2, 3, 786_431, 786_432, 786_433, 2_500_001]) {
      const bytes = randomBytes(size);
      const padded = bytes.toString('base64');
      for (const payload of [padded, padded.replace(/=+$/, '')]) {
        if (payload.length === 0) continue;
        const source = await spillDataUri(dir, { mime: 'image/png', payload });
        expect(source.kind).toBe('file');
        if (source.kind !== 'file') continue;
        expect((await readFile(source.path)).equals(bytes)).toBe(true);
      }
    }
  });
});

describe('readJson', () => {
  let url: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    const server = createServer((req, res) => {
      readJson(req as IncomingMessage).then(
        (body) => {
          const text = JSON.stringify({ parsed: body === undefined ? null : sha256(canonical(body)) });
          res.writeHead(200, { 'Content-Type': 'application/json' }).end(text);
        },
        (err) => {
          const status = err instanceof HttpError ? err.status : 500;
          res.writeHead(status, { 'Content-Type': 'application/json', Connection: 'close' }).end(JSON.stringify({ error: String(err.message) }));
        },
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;
    close = () => new Promise((resolve) => server.close(() => resolve()));
  });
  afterAll(() => close());

  /** Sends `pieces` one write at a time, with a Content-Length or chunked (none). */
  function send(pieces: Buffer[], withLength: boolean): Promise<{ status: number; body: Record<string, unknown> }> {
    return new Promise((resolve, reject) => {
      const total = pieces.reduce((n, p) => n + p.length, 0);
      const headers: Record<string, string | number> = { 'Content-Type': 'application/json' };
      if (withLength) headers['Content-Length'] = total;
      const req = request(url, { method: 'POST', headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) }));
      });
      req.on('error', reject);
      for (const p of pieces) req.write(p);
      req.end();
    });
  }

  test('the same document whether the body comes with a Content-Length or chunked, in many pieces', async () => {
    const doc = { generated_image_url: `data:image/png;base64,${randomBytes(1_500_000).toString('base64')}`, task_type: 'é ☃' };
    const text = Buffer.from(JSON.stringify(doc));
    const pieces: Buffer[] = [];
    for (let i = 0; i < text.length; i += 65_537) pieces.push(text.subarray(i, i + 65_537));
    for (const withLength of [true, false]) {
      const r = await send(pieces, withLength);
      expect(r.status).toBe(200);
      expect(r.body.parsed).toBe(sha256(canonical(doc)));
    }
    expect((await send([], true)).body.parsed).toBeNull();
  });

  test('a body over the limit is refused with 413, with or without a Content-Length', async () => {
    const piece = Buffer.alloc(4 * 1024 * 1024, 0x20);
    const pieces = Array.from({ length: Math.ceil(MAX_JSON_BODY_BYTES / piece.length) + 1 }, () => piece);
    for (const withLength of [true, false]) {
      const r = await send(pieces, withLength).catch((err: Error) => ({ status: -1, body: { error: err.message } }));
      // The server may close the connection before the client has written everything.
      expect([413, -1]).toContain(r.status);
      if (r.status === 413) expect(String(r.body.error)).toContain(String(MAX_JSON_BODY_BYTES));
    }
  }, 30_000);
});
