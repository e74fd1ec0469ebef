/**
 * The fake is what every other test trusts, so its own behaviour is pinned here: routes, the
 * lifecycle, idempotency, limits, uploads and faults. Plain undici calls, no client in between.
 */
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeApi } from './fake-api.js';

let fake: FakeApi;
let now = Date.now();

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: any;
  text: string;
}

async function call(
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
  path: string,
  opts: { body?: unknown; headers?: Record<string, string>; key?: string | null; raw?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.key !== null) headers.authorization = `Bearer ${opts.key ?? 'test-key'}`;
  let body: string | undefined = opts.raw;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  const res = await request(path.startsWith('http') ? path : fake.url + path, { method, headers, body });
  const text = await res.body.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, json, text };
}

const submit = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  call('POST', '/v1/evaluations', { body: { generated_image_url: 'https://example.com/a.png', task_type: 'headshot', ...body }, headers });

beforeAll(async () => {
  fake = await FakeApi.start({ now: () => now, evalMs: 1000 });
});
afterEach(() => {
  fake.reset();
  now = Date.now();
});
afterAll(async () => {
  await fake.close();
});

describe('auth and basic routes', () => {
  it('serves health without a key and refuses /v1 routes without a valid key', async () => {
    expect((await call('GET', '/v1/health', { key: null })).json).toEqual({ status: 'ok' });
    const missing = await call('GET', '/v1/auth/me', { key: null });
    expect(missing.status).toBe(401);
    expect(missing.json.code).toBe('UNAUTHORIZED');
    expect((await call('GET', '/v1/auth/me', { key: 'nope' })).status).toBe(401);
    const me = await call('GET', '/v1/auth/me');
    expect(me.status).toBe(200);
    expect(me.json.org_id).toBe(fake.options.orgId);
    expect(me.text).not.toContain('test-key');
  });

  it('serves the default job classes', async () => {
    const res = await call('GET', '/v1/evaluations/job-classes');
    expect(res.json).toEqual({ items: [{ code: 'standard', name: 'Standard', price: '0.400000', currency_code: 'USD', is_active: true }] });
  });

  it('answers unknown routes 404 and records them as unexpected', async () => {
    const res = await call('GET', '/v1/nothing-here');
    expect(res.status).toBe(404);
    expect((await call('DELETE', '/v1/evaluations/job-classes')).status).toBe(405);
    expect(fake.unexpected.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v1/nothing-here', 'DELETE /v1/evaluations/job-classes']);
  });

  it('logs every request with headers, body and size, and gives each answer a request id', async () => {
    const res = await submit({}, { 'Idempotency-Key': 'k1' });
    expect(res.headers['x-request-id']).toMatch(/^req_\d+$/);
    const [logged] = fake.requests;
    expect(logged).toMatchObject({ method: 'POST', path: '/v1/evaluations', status: 202 });
    expect(logged.headers['idempotency-key']).toBe('k1');
    expect(logged.bodySize).toBe(Buffer.byteLength(logged.body));
  });
});

describe('POST /v1/evaluations', () => {
  it('answers 202 with a pending record in the seeds field order, without embeds', async () => {
    const res = await submit({ client_ref: 'job-1', generation_prompt: 'studio lighting' });
    expect(res.status).toBe(202);
    const keys = Object.keys(res.json);
    expect(keys.slice(0, 8)).toEqual(['id', 'org_id', 'run_id', 'target_type_code', 'model_id', 'flow_id', 'comfyui_workflow_id', 'status_code']);
    expect(keys.indexOf('overall_passed')).toBeLessThan(keys.indexOf('top_issues'));
    expect(keys.slice(keys.indexOf('cost'), keys.indexOf('cost') + 3)).toEqual(['cost', 'failure_code', 'job_class_code']);
    expect(keys).not.toContain('judges');
    expect(res.json).toMatchObject({ status_code: 'pending', client_ref: 'job-1', job_class_code: 'standard', cost: null, overall_passed: null });
  });

  it('validates like the seeds: required fields, URL forms, caps, references, run_id, callback_url, extra keys', async () => {
    const res = await call('POST', '/v1/evaluations', {
      body: {
        generated_image_url: 'http://example.com/a.png',
        task_type: '',
        task_description: 'x'.repeat(4001),
        generation_prompt: 'x'.repeat(10_001),
        evaluation_instructions: 'x'.repeat(4001),
        client_ref: 'x'.repeat(256),
        job_class: 'x'.repeat(51),
        callback_url: 'http://example.com/hook',
        reference_images: [1, 2, 3, 4, 5].map(() => ({ url: 'https://example.com/r.png' })),
        run_id: 'not-a-uuid',
        promt: 'typo',
      },
    });
    expect(res.status).toBe(422);
    expect(res.json.code).toBe('VALIDATION_ERROR');
    const fields = res.json.errors.map((e: { loc: string[] }) => e.loc.join('.'));
    expect(fields.sort()).toEqual(
      [
        'body.promt',
        'body.generated_image_url',
        'body.task_type',
        'body.task_description',
        'body.generation_prompt',
        'body.evaluation_instructions',
        'body.client_ref',
        'body.job_class',
        'body.callback_url',
        'body.reference_images',
        'body.run_id',
      ].sort(),
    );
    expect(fake.evaluations.size).toBe(0);
  });

  it('accepts the three image forms and a run_id, at the caps exactly', async () => {
    for (const url of ['https://example.com/a.png', `runflow://assets/${crypto.randomUUID()}`, 'data:image/png;base64,iVBORw0KGgo=']) {
      const res = await submit({ generated_image_url: url, task_type: 'x'.repeat(100), client_ref: 'c'.repeat(255), run_id: crypto.randomUUID() });
      expect(res.status, url).toBe(202);
    }
  });

  it('replays the same evaluation for the same key and body, and 409s for a different body', async () => {
    const first = await submit({ client_ref: 'a' }, { 'Idempotency-Key': 'k' });
    // Same content, different key order: still the same request.
    const replay = await call('POST', '/v1/evaluations', {
      body: { client_ref: 'a', task_type: 'headshot', generated_image_url: 'https://example.com/a.png' },
      headers: { 'Idempotency-Key': 'k' },
    });
    expect(replay.status).toBe(202);
    expect(replay.json.id).toBe(first.json.id);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    const conflict = await submit({ client_ref: 'b' }, { 'Idempotency-Key': 'k' });
    expect(conflict.status).toBe(409);
    expect(conflict.json.code).toBe('IDEMPOTENCY_CONFLICT');
    expect(fake.evaluations.size).toBe(1);
  });

  it('refuses more than maxInflight pending/running evaluations with 429 and Retry-After, until one finishes', async () => {
    fake.options.maxInflight = 2;
    await submit({});
    await submit({});
    const limited = await submit({});
    expect(limited.status).toBe(429);
    expect(limited.json.code).toBe('RATE_LIMITED');
    expect(limited.headers['retry-after']).toBe('1');
    fake.options.retryAfter = null;
    expect((await submit({})).headers['retry-after']).toBeUndefined();
    now += 1000;
    expect((await submit({})).status).toBe(202);
  });

  it('charges credit: 402 INSUFFICIENT_CREDIT once the balance is used up', async () => {
    fake.options.creditEvaluations = 1;
    expect((await submit({})).status).toBe(202);
    const res = await submit({ client_ref: 'second' });
    expect(res.status).toBe(402);
    expect(res.json.code).toBe('INSUFFICIENT_CREDIT');
  });

  it('checks scopes per key', async () => {
    fake.options.apiKeys = ['reader'];
    fake.options.scopes = { reader: ['evaluations:read'] };
    const res = await call('POST', '/v1/evaluations', { key: 'reader', body: { generated_image_url: 'https://e.com/a.png', task_type: 't' } });
    expect(res.status).toBe(403);
    expect(res.json.code).toBe('PERMISSION_DENIED');
  });

  it('sends X-RateLimit-* and 429s past a request-rate limit', async () => {
    fake.options.rateLimit = { limit: 2, windowMs: 60_000 };
    const a = await call('GET', '/v1/auth/me');
    expect(a.headers['x-ratelimit-remaining']).toBe('1');
    await call('GET', '/v1/auth/me');
    const limited = await call('GET', '/v1/auth/me');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
  });
});

describe('lifecycle and GET /v1/evaluations/:id', () => {
  it('moves pending → running → completed with time, with judges/action/gate_failures only when embedded', async () => {
    const { json: created } = await submit({ generation_prompt: 'studio lighting' });
    const get = (embed?: string) => call('GET', `/v1/evaluations/${created.id}${embed ? `?embed=${embed}` : ''}`);
    expect((await get()).json.status_code).toBe('pending');
    now += 300;
    expect((await get()).json.status_code).toBe('running');
    now += 700;
    const bare = (await get()).json;
    expect(bare).toMatchObject({ status_code: 'completed', overall_passed: true, weighted_pass_rate: 0.9, cost: '0.400000', failure_code: null });
    expect(bare).not.toHaveProperty('judges');
    const full = (await get('judges,action,gate_failures')).json;
    expect(full.judges.length).toBeGreaterThanOrEqual(2);
    expect(full.judges.some((j: { issues: unknown[] }) => j.issues.length > 0)).toBe(true);
    expect(full.action.improved_prompt).toContain('studio lighting');
    expect(full.gate_failures).toEqual([]);
    const onlyJudges = (await get('judges')).json;
    expect(onlyJudges).toHaveProperty('judges');
    expect(onlyJudges).not.toHaveProperty('action');
  });

  it('applies setOutcome: failures with failure_code, verdicts, durations that never end', async () => {
    fake.setOutcome((body, index) =>
      body.client_ref === 'bad'
        ? { failure_code: 'invalid_media' }
        : index === 1
          ? { overall_passed: false, weighted_pass_rate: 0.4, durationMs: 10 }
          : { durationMs: Infinity },
    );
    const bad = (await submit({ client_ref: 'bad' })).json;
    const low = (await submit({ client_ref: 'low' })).json;
    const stuck = (await submit({ client_ref: 'stuck' })).json;
    now += 60_000;
    expect(fake.evaluation(bad.id)).toMatchObject({ status_code: 'failed', failure_code: 'invalid_media', overall_passed: null, cost: null });
    expect(fake.evaluation(low.id)).toMatchObject({ status_code: 'completed', overall_passed: false, weighted_pass_rate: 0.4 });
    expect(fake.evaluation(stuck.id)).toMatchObject({ status_code: 'running' });
    fake.finishNow(stuck.id);
    expect(fake.evaluation(stuck.id)).toMatchObject({ status_code: 'completed' });
  });

  it('fails an undecodable data: URI with invalid_media and hosts decodable ones', async () => {
    const broken = (await submit({ generated_image_url: 'data:image/png;base64,@@@' })).json;
    const fine = (await submit({ generated_image_url: 'data:image/png;base64,iVBORw0KGgo=' })).json;
    now += 5000;
    expect(fake.evaluation(broken.id)).toMatchObject({ status_code: 'failed', failure_code: 'invalid_media' });
    expect(fake.evaluation(fine.id)!.generated_image_url).toMatch(/^https:\/\/assets\.runflow\.test\/.+\.png$/);
  });

  it('404s unknown ids, 422s malformed ids and unknown embeds, and scopes records to their organization', async () => {
    const unknown = await call('GET', `/v1/evaluations/${crypto.randomUUID()}`);
    expect(unknown.status).toBe(404);
    expect(unknown.json.code).toBe('EVALUATION_NOT_FOUND');
    expect((await call('GET', '/v1/evaluations/not-a-uuid')).status).toBe(422);
    const { json: created } = await submit({});
    expect((await call('GET', `/v1/evaluations/${created.id}?embed=judges,bogus`)).status).toBe(422);
    expect((await call('GET', `/v1/evaluations/${created.id}`, { headers: { 'x-organization-id': crypto.randomUUID() } })).status).toBe(404);
  });

  it('serves seeded odd records verbatim', async () => {
    const odd = { id: 'placeholder-id', status_code: '<string>', weighted_pass_rate: 123, judges: [{}], top_issues: null };
    fake.putRecord(odd);
    expect((await call('GET', '/v1/evaluations/placeholder-id')).json).toEqual(odd);
  });

  it('sets and clears feedback', async () => {
    const { json: created } = await submit({});
    const up = await call('PATCH', `/v1/evaluations/${created.id}/feedback`, { body: { is_positive: true, reason: 'great' } });
    expect(up.status).toBe(200);
    expect(up.json).toMatchObject({ feedback_is_positive: true, feedback_reason: 'great' });
    const cleared = await call('PATCH', `/v1/evaluations/${created.id}/feedback`, { body: { is_positive: null } });
    expect(cleared.json).toMatchObject({ feedback_is_positive: null, feedback_reason: null });
    expect((await call('PATCH', `/v1/evaluations/${created.id}/feedback`, { body: { is_positive: 'yes' } })).status).toBe(422);
  });
});

describe('uploads', () => {
  it('runs the three steps: session, presigned PUT (counted, no auth), confirmation', async () => {
    const session = await call('POST', '/v1/asset-uploads', { body: { filename: 'a.png', mime_type: 'image/png', size_bytes: 5 } });
    expect(session.status).toBe(201);
    const { asset_id, upload_url } = session.json;
    expect(upload_url.startsWith(`${fake.url}/storage/${asset_id}`)).toBe(true);

    const early = await call('POST', `/v1/asset-uploads/${asset_id}/confirmations`, { body: {} });
    expect(early.status).toBe(409);

    const wrongType = await call('PUT', upload_url, { key: null, raw: '12345', headers: { 'content-type': 'image/jpeg' } });
    expect(wrongType.status).toBe(403);
    const withAuth = await call('PUT', upload_url, { raw: '12345', headers: { 'content-type': 'image/png' } });
    expect(withAuth.status).toBe(400);
    const put = await call('PUT', upload_url, { key: null, raw: '12345', headers: { 'content-type': 'image/png' } });
    expect(put.status).toBe(200);
    expect(fake.uploads.get(asset_id)).toMatchObject({ received: 5, contentType: 'image/png' });

    const confirmed = await call('POST', `/v1/asset-uploads/${asset_id}/confirmations`, { body: {} });
    expect(confirmed.status).toBe(201);
    expect(confirmed.json).toMatchObject({ id: asset_id, name: 'a.png', mime_type: 'image/png', size_bytes: 5 });
    expect(confirmed.json.url).toMatch(/^https:\/\//);
  });

  it('refuses sizes outside 1..52428800 and a PUT that does not match the declared size', async () => {
    for (const size_bytes of [0, 52_428_801, 1.5]) {
      expect((await call('POST', '/v1/asset-uploads', { body: { filename: 'a.png', mime_type: 'image/png', size_bytes } })).status).toBe(422);
    }
    const { json } = await call('POST', '/v1/asset-uploads', { body: { filename: 'a.png', mime_type: 'image/png', size_bytes: 10 } });
    await call('PUT', json.upload_url, { key: null, raw: 'short', headers: { 'content-type': 'image/png' } });
    expect((await call('POST', `/v1/asset-uploads/${json.asset_id}/confirmations`, { body: {} })).status).toBe(422);
  });

  it('can require asset references to be known', async () => {
    fake.options.requireKnownAssets = true;
    const res = await submit({ generated_image_url: `runflow://assets/${crypto.randomUUID()}` });
    expect(res.status).toBe(422);
    expect(res.json.errors[0].msg).toMatch(/asset not found/);
  });
});

describe('faults', () => {
  it('applies faults in order, by method and path, the given number of times', async () => {
    fake.fault({ method: 'GET', path: '/v1/auth/me', status: 503, times: 2 });
    fake.fault({ path: /job-classes$/, status: 500, body: '<html><title>oops</title></html>' });
    expect((await call('POST', '/v1/evaluations', { body: {} })).status).toBe(422);
    expect((await call('GET', '/v1/auth/me')).status).toBe(503);
    expect((await call('GET', '/v1/auth/me')).json.code).toBe('SERVICE_UNAVAILABLE');
    expect((await call('GET', '/v1/auth/me')).status).toBe(200);
    const html = await call('GET', '/v1/evaluations/job-classes');
    expect(html.status).toBe(500);
    expect(html.headers['content-type']).toMatch(/text\/html/);
    expect(fake.pendingFaults).toBe(0);
  });

  it('verify() fails on a request to an unknown route and on a fault no request matched, as httpmock.Registry.Verify does', async () => {
    expect(() => fake.verify()).not.toThrow();
    fake.fault({ method: 'GET', path: '/v1/auth/me', status: 503, times: 3 });
    fake.fault({ path: '/v1/evaluations/job-classes', status: 500 });
    expect(() => fake.verify()).toThrow('fault never used: GET /v1/auth/me (status 503); fault never used: any method /v1/evaluations/job-classes (status 500)');
    await call('GET', '/v1/auth/me');
    await call('GET', '/v1/evaluations/job-classes');
    // A fault that fired once counts as used, even with repeats left.
    expect(() => fake.verify()).not.toThrow();
    await call('GET', '/v1/nothing-here');
    expect(() => fake.verify()).toThrow('unexpected request: GET /v1/nothing-here');
  });

  it('resets the socket, before or after handling', async () => {
    fake.fault({ path: '/v1/evaluations', reset: true });
    await expect(submit({})).rejects.toThrow();
    expect(fake.evaluations.size).toBe(0);
    fake.fault({ path: '/v1/evaluations', reset: true, afterHandling: true });
    await expect(submit({})).rejects.toThrow();
    expect(fake.evaluations.size).toBe(1);
  });

  it('answers slowly, then normally', async () => {
    fake.fault({ path: '/v1/health', delayMs: 150 });
    const started = Date.now();
    const res = await call('GET', '/v1/health', { key: null });
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });
});

describe('models of the service: worker queue, rate limit without headers, chaos, ideal makespan', () => {
  it('runs `workers` evaluations at once in submission order; later ones stay pending until a worker is free', async () => {
    fake.options.workers = 2;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await submit({ client_ref: `q${i}` })).json.id);
    const status = async (id: string) => (await call('GET', `/v1/evaluations/${id}`)).json;
    now += 10;
    expect((await status(ids[0])).status_code).toBe('running');
    expect((await status(ids[1])).status_code).toBe('running');
    expect((await status(ids[2])).status_code).toBe('pending');
    now += 1000;
    expect((await status(ids[0])).status_code).toBe('completed');
    expect((await status(ids[2])).status_code).toBe('running');
    now += 1000;
    const third = await status(ids[2]);
    expect(third.status_code).toBe('completed');
    // eval_duration_ms is the time on a worker, not the wait in the queue.
    expect(third.eval_duration_ms).toBe(1000);
    expect(Date.parse(third.completed_at) - Date.parse(third.submitted_at)).toBe(2000);
    expect(fake.idealMakespan()).toBe(2000);
    expect(fake.peakInflight).toBe(3);
    expect(fake.workerBusyShare()).toBe(1);
  });

  it('idealMakespan: every evaluation submitted at once, the same times on the same workers', async () => {
    const { idealMakespan } = await import('./fake-api.js');
    expect(idealMakespan([1000, 1000, 1000, 1000, 1000], 2)).toBe(3000);
    expect(idealMakespan([3000, 1000, 1000, 1000], 2)).toBe(3000);
    expect(idealMakespan([500, 700], Infinity)).toBe(700);
    expect(idealMakespan([], 4)).toBe(0);
  });

  it('a request-rate limit without headers: 429 RATE_LIMITED with no Retry-After or X-RateLimit-*', async () => {
    fake.options.rateLimit = { limit: 2, windowMs: 1000, headers: false };
    expect((await call('GET', '/v1/auth/me')).headers['x-ratelimit-remaining']).toBeUndefined();
    await call('GET', '/v1/auth/me');
    const limited = await call('GET', '/v1/auth/me');
    expect(limited.status).toBe(429);
    expect(limited.json.code).toBe('RATE_LIMITED');
    expect(limited.headers['retry-after']).toBeUndefined();
    expect(Object.keys(limited.headers).filter((h) => h.startsWith('x-ratelimit'))).toEqual([]);
    now += 1000;
    expect((await call('GET', '/v1/auth/me')).status).toBe(200);
    expect(fake.rateLimited()).toEqual({ count: 1, share: 0.25 });
  });

  it('chaos faults a share of /v1 requests, the same ones for the same seed; a lost response still created the evaluation', async () => {
    const run = async () => {
      fake.reset();
      fake.options.chaos = { rate: 0.5, seed: 3, slowMs: 10 };
      const kinds: Array<string | undefined> = [];
      for (let i = 0; i < 12; i++) {
        await submit({ client_ref: `c${i}` }, { 'Idempotency-Key': `chaos-${i}` }).catch(() => undefined);
        kinds.push(fake.requests[fake.requests.length - 1].chaos);
      }
      return kinds;
    };
    const first = await run();
    expect(await run()).toEqual(first);
    expect(first.filter(Boolean).length).toBeGreaterThan(2);
    const lost = fake.requests.filter((r) => r.chaos === 'lost-response' || r.chaos === 'slow' || r.chaos === undefined).length;
    expect(fake.evaluations.size).toBe(lost);
  });
});
