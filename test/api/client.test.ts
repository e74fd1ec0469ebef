import net from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RunflowClient, type ClientOptions } from '../../src/api/client.js';
import { redact } from '../../src/api/redact.js';
import {
  ApiError,
  ConflictError,
  ConnectionError,
  NotFoundError,
  PaymentRequiredError,
  PermissionDeniedError,
  RateLimitError,
  RequestTimeoutError,
  ResponseFormatError,
  ServerError,
  StorageUploadError,
  UnauthorizedError,
  ValidationError,
} from '../../src/api/errors.js';
import { proxySettings } from '../../src/api/proxy.js';
import type { Clock } from '../../src/clock.js';
import { systemClock } from '../../src/clock.js';
import { CliError, UsageError } from '../../src/errors.js';
import { ExitCode } from '../../src/exit-codes.js';
import { FakeApi } from '../helpers/fake-api.js';

const KEY = 'rf_live_s3cr3tKEY42';
const UA = 'runflow-eval/9.9.9 node/20.0.0';
const BODY = { generated_image_url: 'https://example.com/a.png', task_type: 'headshot' };

/** A clock whose sleeps are instant but recorded, and whose time moves by what was slept. */
function recordingClock(realMsPerSleep = 0): Clock & { sleeps: number[] } {
  let now = Date.now();
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms, signal) => {
      signal?.throwIfAborted();
      sleeps.push(ms);
      now += ms;
      if (realMsPerSleep > 0) await systemClock.sleep(realMsPerSleep, signal);
    },
  };
}

let fake: FakeApi;
const clients: RunflowClient[] = [];

function client(over: Partial<ClientOptions> = {}): RunflowClient {
  const c = new RunflowClient({
    baseUrl: fake.url,
    apiKey: KEY,
    userAgent: UA,
    clock: recordingClock(),
    random: () => 0,
    env: {},
    ...over,
  });
  clients.push(c);
  return c;
}

async function failure(promise: Promise<unknown>): Promise<CliError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'the call should have failed').toBeInstanceOf(CliError);
  return err as CliError;
}

beforeAll(async () => {
  fake = await FakeApi.start({ apiKeys: [KEY, 'read-only'], scopes: { 'read-only': ['evaluations:read'] } });
});
afterEach(async () => {
  // No request to an unknown route, no queued fault left unmatched.
  fake.verify();
  fake.reset();
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await fake.close();
});

describe('headers and bodies', () => {
  it('sends auth, Accept, User-Agent, organization, JSON body and idempotency key', async () => {
    const res = await client({ orgId: 'org-123' }).request<{ id: string; status_code: string }>('POST', '/v1/evaluations', {
      body: BODY,
      idempotencyKey: 'key-1',
    });
    expect(res.status).toBe(202);
    expect(res.data.status_code).toBe('pending');
    expect(JSON.parse(res.text)).toEqual(res.data);
    const [req] = fake.requests;
    expect(req.headers).toMatchObject({
      authorization: `Bearer ${KEY}`,
      accept: 'application/json',
      'user-agent': UA,
      'x-organization-id': 'org-123',
      'content-type': 'application/json',
      'idempotency-key': 'key-1',
    });
    expect(JSON.parse(req.body)).toEqual(BODY);
  });

  it('sends no X-Organization-Id or Content-Type when there is no org or body, and drops undefined query values', async () => {
    await client().request('GET', '/v1/evaluations/job-classes', { query: { a: 'x y', b: undefined } });
    const [req] = fake.requests;
    expect(req.headers['x-organization-id']).toBeUndefined();
    expect(req.headers['content-type']).toBeUndefined();
    expect([...req.query.entries()]).toEqual([['a', 'x y']]);
  });

  it('treats an empty 2xx body as null data', async () => {
    fake.fault({ path: '/v1/health', status: 200, body: '' });
    const res = await client().request('GET', '/v1/health');
    expect(res.data).toBeNull();
  });

  it('reports every response (X-RateLimit-Remaining) to onResponse', async () => {
    fake.options.rateLimit = { limit: 10, windowMs: 60_000 };
    const seen: string[] = [];
    const c = client();
    for (let i = 0; i < 3; i++) {
      await c.request('GET', '/v1/auth/me', { onResponse: ({ headers }) => seen.push(headers['x-ratelimit-remaining']) });
    }
    expect(seen).toEqual(['9', '8', '7']);
  });
});

describe('retries', () => {
  it('reuses the Idempotency-Key across a lost response and a 503: exactly one evaluation', async () => {
    // The first attempt is processed (the evaluation exists) but its response never arrives.
    fake.fault({ method: 'POST', path: '/v1/evaluations', reset: true, afterHandling: true });
    fake.fault({ method: 'POST', path: '/v1/evaluations', status: 503 });
    const clock = recordingClock();
    const res = await client({ clock }).request<{ id: string }>('POST', '/v1/evaluations', { body: BODY, idempotencyKey: 'same-key' });

    const posts = fake.find('POST', '/v1/evaluations');
    expect(posts).toHaveLength(3);
    expect(new Set(posts.map((p) => p.headers['idempotency-key']))).toEqual(new Set(['same-key']));
    expect(fake.evaluations.size).toBe(1);
    expect(fake.evaluations.has(res.data.id)).toBe(true);
    expect(clock.sleeps).toEqual([1000, 2000]);
  });

  it('honours Retry-After on 429 and tells onRateLimited', async () => {
    fake.fault({ path: '/v1/evaluations/job-classes', status: 429, headers: { 'Retry-After': '3' } });
    const clock = recordingClock();
    const limited: Array<{ retryAfterMs?: number }> = [];
    const res = await client({ clock }).request('GET', '/v1/evaluations/job-classes', { onRateLimited: (i) => limited.push(i) });
    expect(res.status).toBe(200);
    expect(clock.sleeps).toEqual([3000]);
    expect(limited).toEqual([{ retryAfterMs: 3000 }]);
  });

  it('gives up after 5 attempts and reports the last status', async () => {
    fake.fault({ path: '/v1/auth/me', status: 503, times: 10 });
    const clock = recordingClock();
    const err = await failure(client({ clock }).request('GET', '/v1/auth/me'));
    expect(err).toBeInstanceOf(ServerError);
    expect(err.exitCode).toBe(ExitCode.Api);
    expect(fake.requests).toHaveLength(5);
    expect(clock.sleeps).toEqual([1000, 2000, 4000, 8000]);
  });

  it('retries a submit 429 until the deadline, not 5 times, and succeeds once an evaluation finishes', async () => {
    fake.options.maxInflight = 1;
    // Long enough that 5 attempts (40 ms of real time per sleep) cannot outlast it.
    fake.options.evalMs = 500;
    const c = client({ clock: recordingClock(40) });
    await c.request('POST', '/v1/evaluations', { body: BODY, idempotencyKey: 'first' });
    const clock = recordingClock(40);
    const second = client({ clock });
    const res = await second.request('POST', '/v1/evaluations', {
      body: { ...BODY, client_ref: 'second' },
      idempotencyKey: 'second',
      retry429Until: clock.now() + 600_000,
    });
    expect(res.status).toBe(202);
    expect(fake.evaluations.size).toBe(2);
    expect(fake.find('POST', '/v1/evaluations').filter((r) => r.status === 429).length).toBeGreaterThan(5);
  });

  it('stops retrying a submit 429 at the deadline with a rate-limit error', async () => {
    fake.options.maxInflight = 0;
    const clock = recordingClock();
    const err = await failure(
      client({ clock }).request('POST', '/v1/evaluations', { body: BODY, idempotencyKey: 'k', retry429Until: clock.now() + 10_000 }),
    );
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err.exitCode).toBe(ExitCode.Api);
    // Retry-After: 1 (plus no jitter) ten seconds' worth: more than the 5 attempts of other errors.
    expect(fake.requests.length).toBeGreaterThan(5);
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(10_000);
    expect(err.hint).toMatch(/in flight/);
  });

  it('retries a slow response as a timeout, then fails with RequestTimeoutError', async () => {
    fake.fault({ path: '/v1/auth/me', delayMs: 3000, times: 5 });
    const started = Date.now();
    const err = await failure(client({ timeoutMs: 150 }).request('GET', '/v1/auth/me'));
    expect(err).toBeInstanceOf(RequestTimeoutError);
    expect(err.exitCode).toBe(ExitCode.Api);
    expect(err.message).toBe('GET /v1/auth/me timed out after 150ms (5 attempts)');
    expect(fake.requests).toHaveLength(5);
    expect(Date.now() - started).toBeLessThan(2900);
  });

  it('recovers when only the first attempt is slow', async () => {
    fake.fault({ path: '/v1/auth/me', delayMs: 3000 });
    const res = await client({ timeoutMs: 150 }).request('GET', '/v1/auth/me');
    expect(res.status).toBe(200);
    expect(fake.requests).toHaveLength(2);
  });

  it('reports a refused connection after retries, naming host and errno', async () => {
    const port = await closedPort();
    const clock = recordingClock();
    const err = await failure(client({ baseUrl: `http://127.0.0.1:${port}`, clock }).request('GET', '/v1/health'));
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.exitCode).toBe(ExitCode.Api);
    expect(err.message).toBe(`could not connect to 127.0.0.1:${port}: ECONNREFUSED (after 5 attempts)`);
    expect(clock.sleeps).toHaveLength(4);
  });
});

describe('bodies built per attempt (lazyBody)', () => {
  const lazy = (body: unknown, size?: number) => {
    const bytes = Buffer.from(JSON.stringify(body));
    const made: number[] = [];
    return {
      made,
      body: {
        size: size ?? bytes.length,
        encode: async () => {
          made.push(Date.now());
          return Buffer.from(bytes);
        },
      },
    };
  };

  it('makes the body again for every attempt, the same bytes under the same Idempotency-Key', async () => {
    fake.fault({ method: 'POST', path: '/v1/evaluations', reset: true, afterHandling: true });
    fake.fault({ method: 'POST', path: '/v1/evaluations', status: 503 });
    const { made, body } = lazy(BODY);
    const res = await client().request<{ id: string }>('POST', '/v1/evaluations', { lazyBody: body, idempotencyKey: 'lazy-key' });
    const posts = fake.find('POST', '/v1/evaluations');
    expect(posts).toHaveLength(3);
    expect(made).toHaveLength(3);
    for (const post of posts) {
      expect(JSON.parse(post.body)).toEqual(BODY);
      expect(post.headers['content-type']).toBe('application/json');
      expect(post.headers['idempotency-key']).toBe('lazy-key');
    }
    expect(fake.evaluations.size).toBe(1);
    expect(fake.evaluations.has(res.data.id)).toBe(true);
  });

  it('holds at most its allowance of such bodies at once (one alone when each is larger)', async () => {
    const c = client();
    const send = (size: number, i: number) => {
      fake.fault({ method: 'POST', path: '/v1/evaluations', delayMs: 150 });
      return c.request('POST', '/v1/evaluations', { lazyBody: lazy({ ...BODY, client_ref: `r${i}` }, size).body, idempotencyKey: `big-${size}-${i}` });
    };
    // 20 MB each (as declared): two would exceed the client's allowance, so they go one by one.
    await Promise.all([0, 1, 2].map((i) => send(20 * 1024 * 1024, i)));
    expect(fake.peakConcurrentRequests).toBe(1);
    fake.reset();
    // Small bodies are not held back.
    await Promise.all([0, 1, 2].map((i) => send(1000, i)));
    expect(fake.peakConcurrentRequests).toBeGreaterThan(1);
  });

  it('fails with what making the body threw, sending nothing', async () => {
    const err = await failure(
      client().request('POST', '/v1/evaluations', {
        lazyBody: {
          size: 10,
          encode: async () => {
            throw new UsageError('a.png changed after its request was made');
          },
        },
        idempotencyKey: 'k-changed',
      }),
    );
    expect(err.message).toContain('a.png changed');
    expect(fake.requests).toHaveLength(0);
  });
});

describe('errors', () => {
  it('summarises an HTML 502 page in one line, exit 5', async () => {
    fake.fault({
      path: '/v1/auth/me',
      status: 502,
      times: 5,
      body: '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>',
    });
    const err = await failure(client().request('GET', '/v1/auth/me'));
    expect(err).toBeInstanceOf(ApiError);
    expect(err.exitCode).toBe(ExitCode.Api);
    expect(err.message).toBe('HTTP 502 from GET /v1/auth/me: the server returned an HTML page ("502 Bad Gateway")');
  });

  it('refuses a 2xx body that is not JSON (exit 5), without retrying', async () => {
    fake.fault({ path: '/v1/evaluations/job-classes', status: 200, body: '{"items": [', headers: { 'content-type': 'application/json' } });
    const err = await failure(client().request('GET', '/v1/evaluations/job-classes'));
    expect(err).toBeInstanceOf(ResponseFormatError);
    expect(err.exitCode).toBe(ExitCode.Api);
    expect(err.message).toContain('not JSON');
    expect(err.message).not.toContain('\n');
    expect(fake.requests).toHaveLength(1);
  });

  it('401: exit 4 with a login hint, not retried', async () => {
    const err = await failure(client({ apiKey: 'wrong-key' }).request('GET', '/v1/auth/me'));
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect(err.exitCode).toBe(ExitCode.Auth);
    expect(err.code).toBe('UNAUTHORIZED');
    expect(err.hint).toContain('runflow-eval login');
    expect(err.hint).toContain('RUNFLOW_API_KEY');
    expect(fake.requests).toHaveLength(1);
  });

  it('402: exit 4 with a top-up hint', async () => {
    fake.options.creditEvaluations = 0;
    const err = await failure(client().request('POST', '/v1/evaluations', { body: BODY, idempotencyKey: 'k' }));
    expect(err).toBeInstanceOf(PaymentRequiredError);
    expect(err.exitCode).toBe(ExitCode.Auth);
    expect(err.code).toBe('INSUFFICIENT_CREDIT');
    expect(err.hint).toMatch(/top up/i);
  });

  it('403: exit 4 naming the API code and the missing scope', async () => {
    const err = await failure(client({ apiKey: 'read-only' }).request('POST', '/v1/evaluations', { body: BODY }));
    expect(err).toBeInstanceOf(PermissionDeniedError);
    expect(err.exitCode).toBe(ExitCode.Auth);
    expect(err.message).toContain('PERMISSION_DENIED');
    expect(err.hint).toContain('evaluations:create');
  });

  it('404: exit 5 with the API code and a request id line', async () => {
    const err = await failure(client().request('GET', '/v1/evaluations/3c90c3cc-0d44-4b50-8888-8dd25736052a'));
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.exitCode).toBe(ExitCode.Api);
    expect(err.code).toBe('EVALUATION_NOT_FOUND');
    expect(err.message).toBe(
      'GET /v1/evaluations/3c90c3cc-0d44-4b50-8888-8dd25736052a failed: HTTP 404 EVALUATION_NOT_FOUND: Evaluation 3c90c3cc-0d44-4b50-8888-8dd25736052a not found.',
    );
    expect(err.lines).toEqual([expect.stringMatching(/^request id: req_\d+$/)]);
  });

  it('422: exit 5 with one line per field error', async () => {
    const err = await failure(
      client().request('POST', '/v1/evaluations', { body: { generated_image_url: 'http://example.com/a.png', promt: 'x' } }),
    );
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.exitCode).toBe(ExitCode.Api);
    expect(err.code).toBe('VALIDATION_ERROR');
    expect(err.lines).toEqual([
      'body.promt: Extra inputs are not permitted',
      'body.generated_image_url: URL must be https://, runflow://assets/{uuid}, or a data:image/ URI',
      'body.task_type: Field required',
      expect.stringMatching(/^request id: /),
    ]);
    expect(err.details).toMatchObject({ method: 'POST', path: '/v1/evaluations', errors: expect.any(Array) });
  });

  it('renders field errors of other shapes, tolerates {error:{code,message}}, and strips control characters', async () => {
    fake.fault({
      path: '/v1/auth/me',
      status: 400,
      body: { error: { code: 'BAD\u001b[31mINPUT', message: 'nope\u001b]0;pwned\u0007 \r\nreally', errors: [{ field: 'x', message: 'bad' }, 'plain', { weird: 1 }] } },
    });
    const err = await failure(client().request('GET', '/v1/auth/me'));
    expect(err.code).toBe('BADINPUT');
    expect(err.message).toBe('GET /v1/auth/me failed: HTTP 400 BADINPUT: nope really');
    expect(err.lines.slice(0, 3)).toEqual(['x: bad', 'plain', '{"weird":1}']);
  });

  it('409 on submit hints at --resubmit', async () => {
    const c = client();
    await c.request('POST', '/v1/evaluations', { body: BODY, idempotencyKey: 'reused' });
    const err = await failure(c.request('POST', '/v1/evaluations', { body: { ...BODY, task_type: 'other' }, idempotencyKey: 'reused' }));
    expect(err).toBeInstanceOf(ConflictError);
    expect(err.exitCode).toBe(ExitCode.Api);
    expect(err.code).toBe('IDEMPOTENCY_CONFLICT');
    expect(err.hint).toContain('--resubmit');
    expect(fake.evaluations.size).toBe(1);
  });
});

describe('abort', () => {
  it('surfaces the command signal reason for an in-flight request', async () => {
    fake.fault({ path: '/v1/auth/me', delayMs: 5000 });
    const controller = new AbortController();
    const reason = new Error('interrupted by test');
    setTimeout(() => controller.abort(reason), 100);
    const started = Date.now();
    const err = await client({ signal: controller.signal }).request('GET', '/v1/auth/me').catch((e: unknown) => e);
    expect(err).toBe(reason);
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('surfaces a per-request deadline reason during a retry sleep', async () => {
    fake.fault({ path: '/v1/auth/me', status: 503, headers: { 'retry-after': '20' }, times: 5 });
    const deadline = AbortSignal.timeout(200);
    const started = Date.now();
    const err = await client({ clock: systemClock }).request('GET', '/v1/auth/me', { signal: deadline }).catch((e: unknown) => e);
    expect((err as Error).name).toBe('TimeoutError');
    expect(err).toBe(deadline.reason);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(fake.requests).toHaveLength(1);
  });
});

describe('secrets', () => {
  it('never writes the key to the debug log, and shows Authorization as Bearer ***', async () => {
    const lines: string[] = [];
    fake.fault({ path: '/v1/evaluations', status: 503, body: { code: 'X', message: `echo ${KEY}` } });
    const c = client({ debug: (l) => lines.push(l), orgId: 'org-1' });
    await c.request('POST', '/v1/evaluations', { body: BODY, idempotencyKey: 'k', query: { note: KEY } });
    await c.request('GET', '/v1/auth/me', { headers: { 'x-debug': KEY } }).catch(() => {});
    const log = lines.join('\n');
    expect(log).toContain('Authorization: Bearer ***');
    expect(log).toContain('X-Organization-Id: org-1');
    expect(log).toContain('retrying POST /v1/evaluations in 1.0s (HTTP 503; attempt 2/5)');
    expect(log).toMatch(/response 202 POST \/v1\/evaluations in \d+ms \(request id req_\d+\)/);
    expect(log).not.toContain(KEY);
  });

  it('keeps the key out of error messages, hints, lines and details', async () => {
    fake.fault({ path: '/v1/auth/me', status: 500, times: 5 });
    const err = await failure(client().request('GET', '/v1/auth/me'));
    expect(JSON.stringify([err.message, err.hint, err.lines, err.details])).not.toContain(KEY);
  });

  it('redact() masks the key and any bearer token', () => {
    expect(redact(`x ${KEY} y`, KEY)).toBe('x *** y');
    expect(redact('Authorization: Bearer abc.def', undefined)).toBe('Authorization: Bearer ***');
  });
});

describe('putToStorage', () => {
  async function session(c: RunflowClient, size: number) {
    const res = await c.request<{ asset_id: string; upload_url: string }>('POST', '/v1/asset-uploads', {
      body: { filename: 'a.png', mime_type: 'image/png', size_bytes: size },
    });
    return res.data;
  }

  it('streams the body with Content-Type and Content-Length and no Authorization or org header', async () => {
    const lines: string[] = [];
    const c = client({ orgId: 'org-1', debug: (l) => lines.push(l) });
    const bytes = Buffer.alloc(300_000, 7);
    const { asset_id, upload_url } = await session(c, bytes.length);
    const res = await c.putToStorage(upload_url, () => Readable.from([bytes.subarray(0, 100_000), bytes.subarray(100_000)]), {
      contentType: 'image/png',
      contentLength: bytes.length,
    });
    expect(res.status).toBe(200);
    const upload = fake.uploads.get(asset_id)!;
    expect(upload.received).toBe(bytes.length);
    expect(upload.contentType).toBe('image/png');
    expect(upload.headers.authorization).toBeUndefined();
    expect(upload.headers['x-organization-id']).toBeUndefined();
    expect(upload.headers['content-length']).toBe(String(bytes.length));
    // The presigned query string is a credential: it stays out of the log.
    expect(lines.join('\n')).not.toContain('X-Amz-Signature');
    const confirmed = await c.request<{ id: string; size_bytes: number }>('POST', `/v1/asset-uploads/${asset_id}/confirmations`, { body: {} });
    expect(confirmed.status).toBe(201);
    expect(confirmed.data).toMatchObject({ id: asset_id, size_bytes: bytes.length });
  });

  it('retries a dropped connection with a fresh body', async () => {
    const c = client();
    const bytes = Buffer.from('0123456789');
    const { asset_id, upload_url } = await session(c, bytes.length);
    fake.fault({ method: 'PUT', path: /^\/storage\//, reset: true });
    let made = 0;
    await c.putToStorage(upload_url, () => (made++, Readable.from([bytes])), { contentType: 'image/png', contentLength: bytes.length });
    expect(made).toBe(2);
    expect(fake.uploads.get(asset_id)!.received).toBe(bytes.length);
  });

  it('reports a refused upload (expired URL) as exit 5 with the storage code, not an auth error', async () => {
    const c = client();
    const { upload_url } = await session(c, 3);
    fake.fault({
      method: 'PUT',
      path: /^\/storage\//,
      status: 403,
      body: '<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>',
      headers: { 'content-type': 'application/xml' },
    });
    const err = await failure(c.putToStorage(upload_url, () => Buffer.from('abc'), { contentType: 'image/png', contentLength: 3 }));
    expect(err).toBeInstanceOf(StorageUploadError);
    expect(err.exitCode).toBe(ExitCode.Api);
    expect(err.message).toBe(`upload to ${new URL(upload_url).host} failed: HTTP 403 (AccessDenied: Request has expired)`);
  });
});

describe('proxy', () => {
  it('reads proxy variables (lower case first) and always keeps loopback direct', () => {
    expect(proxySettings({})).toBeUndefined();
    expect(proxySettings({ HTTPS_PROXY: 'http://proxy:3128', https_proxy: 'http://lower:3128', NO_PROXY: 'corp.example' })).toEqual({
      httpProxy: '',
      httpsProxy: 'http://lower:3128',
      noProxy: 'corp.example,localhost,127.0.0.1,[::1]',
    });
    expect(proxySettings({ HTTP_PROXY: 'http://p:1', NO_PROXY: '*' })).toEqual({ httpProxy: 'http://p:1', httpsProxy: 'http://p:1', noProxy: '*' });
  });

  it('tunnels through HTTP_PROXY for a non-loopback host', async () => {
    const proxy = await connectProxy(Number(new URL(fake.url).port));
    try {
      const c = client({ baseUrl: `http://api.runflow.test:${new URL(fake.url).port}`, env: { HTTP_PROXY: proxy.url } });
      const res = await c.request('GET', '/v1/health');
      expect(res.status).toBe(200);
      expect(proxy.targets).toEqual([`api.runflow.test:${new URL(fake.url).port}`]);
    } finally {
      await proxy.close();
    }
  });

  it('goes direct to loopback even with a proxy set', async () => {
    const res = await client({ env: { HTTP_PROXY: `http://127.0.0.1:${await closedPort()}` } }).request('GET', '/v1/health');
    expect(res.status).toBe(200);
  });
});

/** A port with nothing listening. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A minimal CONNECT proxy that sends every tunnel to 127.0.0.1:targetPort and records the asked-for host. */
async function connectProxy(targetPort: number): Promise<{ url: string; targets: string[]; close(): Promise<void> }> {
  const targets: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('data', (chunk) => {
      const m = /^CONNECT (\S+) HTTP\/1\.[01]/.exec(chunk.toString('latin1'));
      if (!m) return socket.end('HTTP/1.1 405 Method Not Allowed\r\n\r\n');
      targets.push(m[1]);
      const upstream = net.connect(targetPort, '127.0.0.1', () => {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        socket.pipe(upstream).pipe(socket);
      });
      sockets.add(upstream);
      upstream.on('error', () => socket.destroy());
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    targets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
