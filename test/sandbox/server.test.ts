import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startSandbox, type RunningSandbox } from '../../src/sandbox/server.js';
import { blurred, dataUri, scene } from './images.js';
import { call, expectDocumentedShape, KEY, submit, upload, waitTerminal } from './http-helpers.js';

let good: Buffer;
let goodUri: string;

beforeAll(async () => {
  good = await scene();
  goodUri = dataUri(good);
});

describe('sandbox: basics, auth and validation', () => {
  let sb: RunningSandbox;
  beforeAll(async () => {
    sb = await startSandbox();
  });
  afterAll(() => sb.close());

  test('listens on a loopback port and reports health without a key', async () => {
    expect(sb.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const r = await call(sb.url, 'GET', '/v1/health', { key: null });
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('ok');
  });

  test('any bearer key is accepted; none gets 401 with the error envelope', async () => {
    const denied = await call(sb.url, 'GET', '/v1/auth/me', { key: null });
    expect(denied.status).toBe(401);
    expect(denied.body).toMatchObject({ code: 'UNAUTHORIZED', errors: null });
    expect(typeof denied.body.message).toBe('string');
    const me = await call(sb.url, 'GET', '/v1/auth/me', { key: 'anything_at_all' });
    expect(me.status).toBe(200);
    expect(me.body.email).toBe('sandbox@localhost');
    expect((await call(sb.url, 'POST', '/v1/evaluations', { key: null, body: {} })).status).toBe(401);
    expect((await call(sb.url, 'GET', '/v1/auth/me', { key: null, headers: { Authorization: 'Bearer ' } })).status).toBe(401);
  });

  test('job classes carry a decimal-string price; only standard is active', async () => {
    const r = await call<{ items: Array<Record<string, unknown>> }>(sb.url, 'GET', '/v1/evaluations/job-classes');
    expect(r.status).toBe(200);
    expect(r.body.items).toEqual([
      expect.objectContaining({ code: 'standard', name: 'Standard', price: '0.000000', currency_code: 'CREDITS', is_active: true }),
      expect.objectContaining({ code: 'quick', is_active: false }),
    ]);
  });

  const cases: Array<[string, Record<string, unknown>, Array<string | number>, string]> = [
    ['task_type missing', { task_type: undefined }, ['body', 'task_type'], 'missing'],
    ['generated_image_url missing', { generated_image_url: undefined }, ['body', 'generated_image_url'], 'missing'],
    ['task_type not a string', { task_type: 42 }, ['body', 'task_type'], 'string_type'],
    ['task_type too long', { task_type: 'x'.repeat(101) }, ['body', 'task_type'], 'string_too_long'],
    ['task_type empty', { task_type: '' }, ['body', 'task_type'], 'string_too_short'],
    ['task_description over 4,000', { task_description: 'x'.repeat(4001) }, ['body', 'task_description'], 'string_too_long'],
    ['generation_prompt over 10,000', { generation_prompt: 'x'.repeat(10_001) }, ['body', 'generation_prompt'], 'string_too_long'],
    ['evaluation_instructions over 4,000', { evaluation_instructions: 'x'.repeat(4001) }, ['body', 'evaluation_instructions'], 'string_too_long'],
    ['client_ref over 255', { client_ref: 'x'.repeat(256) }, ['body', 'client_ref'], 'string_too_long'],
    ['http:// image', { generated_image_url: 'http://example.com/a.png' }, ['body', 'generated_image_url'], 'value_error'],
    ['ftp image', { generated_image_url: 'ftp://example.com/a.png' }, ['body', 'generated_image_url'], 'value_error'],
    ['data URI that is not an image', { generated_image_url: 'data:text/plain;base64,aGk=' }, ['body', 'generated_image_url'], 'value_error'],
    ['data URI without base64', { generated_image_url: 'data:image/png;base64,@@@' }, ['body', 'generated_image_url'], 'value_error'],
    ['bad runflow reference', { generated_image_url: 'runflow://assets/nope' }, ['body', 'generated_image_url'], 'value_error'],
    ['five references', { reference_images: Array.from({ length: 5 }, () => ({ url: 'https://example.com/r.png' })) }, ['body', 'reference_images'], 'too_long'],
    ['reference without url', { reference_images: [{ kind: 'style' }] }, ['body', 'reference_images', 0, 'url'], 'missing'],
    ['http reference', { reference_images: [{ url: 'http://example.com/r.png' }] }, ['body', 'reference_images', 0, 'url'], 'value_error'],
    ['run_id not a UUID', { run_id: 'run-1' }, ['body', 'run_id'], 'uuid_parsing'],
    ['inactive job class', { job_class: 'quick' }, ['body', 'job_class'], 'value_error'],
    ['job_class over 50', { job_class: 'x'.repeat(51) }, ['body', 'job_class'], 'string_too_long'],
    ['http callback', { callback_url: 'http://example.com/hook' }, ['body', 'callback_url'], 'value_error'],
    ['callback over 2,048', { callback_url: `https://example.com/${'x'.repeat(2048)}` }, ['body', 'callback_url'], 'string_too_long'],
    ['attributes not an object', { input_attributes: ['a'] }, ['body', 'input_attributes'], 'dict_type'],
  ];
  for (const [name, patch, loc, type] of cases) {
    test(`422 for ${name}`, async () => {
      const r = await submit(sb.url, { generated_image_url: goodUri, task_type: 'photo', ...patch });
      expect(r.status).toBe(422);
      expect(r.body.code).toBe('VALIDATION_ERROR');
      expect(typeof r.body.message).toBe('string');
      expect(r.body.errors).toContainEqual(expect.objectContaining({ loc, type, msg: expect.any(String) }));
    });
  }

  test('422 for an unknown asset reference, with the service message', async () => {
    const ref = 'runflow://assets/3c90c3cc-0d44-4b50-8888-8dd25736052a';
    const r = await submit(sb.url, { generated_image_url: ref, task_type: 'photo' });
    expect(r.status).toBe(422);
    expect(JSON.stringify(r.body.errors)).toContain(`asset not found or expired: ${ref}`);
  });

  test('422 for malformed JSON and for a body that is not an object', async () => {
    expect((await call(sb.url, 'POST', '/v1/evaluations', { body: '{"task_type":' })).status).toBe(422);
    const arr = await submit(sb.url, [1, 2]);
    expect(arr.status).toBe(422);
    expect(arr.body.errors).toEqual([expect.objectContaining({ loc: ['body'], type: 'dict_type' })]);
  });

  test('generated_image_url is capped at 12,000,000 characters; a long valid one is checked quickly', async () => {
    const over = await submit(sb.url, { generated_image_url: `data:image/png;base64,${'A'.repeat(12_000_001 - 22)}`, task_type: 'photo' });
    expect(over.status).toBe(422);
    expect(over.body.errors).toContainEqual(expect.objectContaining({ loc: ['body', 'generated_image_url'], type: 'string_too_long' }));
    const started = Date.now();
    const atCap = await submit(sb.url, { generated_image_url: `data:image/png;base64,${'A'.repeat(12_000_000 - 22)}`, task_type: 'photo' });
    expect(atCap.status).toBe(202);
    expect(Date.now() - started).toBeLessThan(10_000);
    // All zero bytes: not an image, so it fails as the service would, without holding the payload.
    const { record } = await waitTerminal(sb.url, String(atCap.body.id));
    expect(record).toMatchObject({ status_code: 'failed', failure_code: 'invalid_media' });
    expect(String(record.generated_image_url).length).toBeLessThan(100);
  });

  test('X-Organization-Id sets the org; idempotency keys are per org', async () => {
    const org = '11111111-2222-4333-8444-555555555555';
    const body = { generated_image_url: goodUri, task_type: 'photo' };
    const a = await submit(sb.url, body, { 'X-Organization-Id': org, 'Idempotency-Key': 'shared' });
    expect(a.body.org_id).toBe(org);
    const b = await submit(sb.url, { ...body, client_ref: 'other org' }, { 'Idempotency-Key': 'shared' });
    expect(b.status).toBe(202);
    expect(b.body.id).not.toBe(a.body.id);
    await waitTerminal(sb.url, String(a.body.id));
    await waitTerminal(sb.url, String(b.body.id));
  });

  test('exactly four references and the caps themselves are accepted', async () => {
    const r = await submit(sb.url, {
      generated_image_url: goodUri,
      task_type: 'x'.repeat(100),
      client_ref: 'c'.repeat(255),
      reference_images: Array.from({ length: 4 }, () => ({ url: goodUri, kind: 'style', description: null })),
      run_id: '3c90c3cc-0d44-4b50-8888-8dd25736052a',
      job_class: 'standard',
      callback_url: 'https://example.com/hook',
      unknown_field: 'ignored',
    });
    expect(r.status).toBe(202);
    await waitTerminal(sb.url, String(r.body.id));
  });

  test('unknown ids are 404, malformed ids 422, unknown routes 404, wrong methods 405', async () => {
    expect((await call(sb.url, 'GET', '/v1/evaluations/3c90c3cc-0d44-4b50-8888-8dd25736052a')).status).toBe(404);
    expect((await call(sb.url, 'GET', '/v1/evaluations/not-a-uuid')).status).toBe(422);
    const missing = await call(sb.url, 'GET', '/v1/nothing-here');
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('NOT_FOUND');
    const wrong = await call(sb.url, 'DELETE', '/v1/evaluations');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
  });
});

describe('sandbox: evaluations', () => {
  let sb: RunningSandbox;
  beforeAll(async () => {
    sb = await startSandbox({ maxInflight: 50 });
  });
  afterAll(() => sb.close());

  test('a data: URI submit answers 202 pending, then completes with a verdict', async () => {
    const r = await submit(sb.url, {
      generated_image_url: goodUri,
      task_type: 'illustration',
      generation_prompt: 'a red house on a hill',
      client_ref: 'job-1',
    });
    expect(r.status).toBe(202);
    expect(r.body.status_code).toBe('pending');
    expect(r.body).toMatchObject({ client_ref: 'job-1', job_class_code: 'standard', cost: null, overall_passed: null });
    expect(r.body.generated_image_url).toBe(`data:image/png;base64,…(${goodUri.length - 'data:image/png;base64,'.length} chars)`);
    expect(r.body).not.toHaveProperty('judges');
    expectDocumentedShape(r.body);

    const { record } = await waitTerminal(sb.url, String(r.body.id));
    expectDocumentedShape(record);
    expect(record).toMatchObject({ status_code: 'completed', overall_passed: true, weighted_pass_rate: 1, cost: '0.000000', failure_code: null });
    expect(typeof record.eval_duration_ms).toBe('number');
    expect(record.check_summary).toMatchObject({ offline: true });
    expect(String((record.check_summary as Record<string, unknown>).note)).toMatch(/prompt adherence and semantic judging are not done offline/);
  });

  test('embed adds judges, action and gate_failures only when asked', async () => {
    const r = await submit(sb.url, { generated_image_url: dataUri(await blurred(good)), task_type: 'illustration', generation_prompt: 'a red house' });
    const id = String(r.body.id);
    await waitTerminal(sb.url, id);
    const plain = await call(sb.url, 'GET', `/v1/evaluations/${id}`);
    for (const k of ['judges', 'action', 'gate_failures']) expect(plain.body).not.toHaveProperty(k);
    const some = await call(sb.url, 'GET', `/v1/evaluations/${id}?embed=judges`);
    expect(some.body).toHaveProperty('judges');
    expect(some.body).not.toHaveProperty('action');
    const all = await call(sb.url, 'GET', `/v1/evaluations/${id}?embed=judges,action,gate_failures`);
    expectDocumentedShape(all.body);
    const judges = all.body.judges as Array<Record<string, unknown>>;
    expect(judges.map((j) => j.name)).toEqual([
      'image_decode', 'resolution', 'effective_resolution', 'sharpness', 'exposure', 'contrast', 'compression_artifacts', 'noise', 'aspect_ratio', 'prompt_adherence',
    ]);
    const sharpness = judges.find((j) => j.name === 'sharpness')!;
    expect(sharpness.passed).toBe(false);
    expect(sharpness.issues).toEqual([expect.objectContaining({ category: 'technical', subcategory: 'blur' })]);
    expect(all.body.action).toMatchObject({ primary_action: 'regenerate', improved_prompt: 'a red house, sharp focus, crisp fine details' });
    expect(all.body.primary_action_code).toBe('regenerate');
    expect(all.body.gate_failures).toEqual([]);
  });

  test('the same image gives the same judges every time', async () => {
    const strip = (judges: Array<Record<string, unknown>>) =>
      judges.map(({ id, evaluation_id, created_at, issues, ...rest }) => ({
        ...rest,
        issues: (issues as Array<Record<string, unknown>>).map(({ category, subcategory, detail }) => ({ category, subcategory, detail })),
      }));
    const body = { generated_image_url: goodUri, task_type: 'illustration', input_attributes: { aspect_ratio: '16:9' } };
    const a = await submit(sb.url, body);
    const b = await submit(sb.url, body);
    const ra = await waitTerminal(sb.url, String(a.body.id), { embed: 'judges' });
    const rb = await waitTerminal(sb.url, String(b.body.id), { embed: 'judges' });
    expect(a.body.id).not.toBe(b.body.id);
    expect(strip(ra.record.judges as Array<Record<string, unknown>>)).toEqual(strip(rb.record.judges as Array<Record<string, unknown>>));
    expect(ra.record.weighted_pass_rate).toBe(rb.record.weighted_pass_rate);
    expect(ra.record.overall_passed).toBe(false);
  });

  test('bytes that are not an image end failed with invalid_media, unbilled', async () => {
    const r = await submit(sb.url, { generated_image_url: dataUri(Buffer.from('not an image at all')), task_type: 'photo' });
    expect(r.status).toBe(202);
    const { record } = await waitTerminal(sb.url, String(r.body.id), { embed: 'judges,action,gate_failures' });
    expectDocumentedShape(record);
    expect(record).toMatchObject({
      status_code: 'failed',
      failure_code: 'invalid_media',
      overall_passed: null,
      weighted_pass_rate: null,
      cost: null,
      judges: [],
      gate_failures: [],
      action: null,
    });
    expect(String((record.check_summary as Record<string, unknown>).error)).toContain('generated_image_url could not be decoded');
  });

  test('an https:// image that cannot be fetched ends failed with invalid_media, quickly', async () => {
    const started = Date.now();
    const r = await submit(sb.url, { generated_image_url: 'https://127.0.0.1:1/image.png?sig=secret', task_type: 'photo' });
    const { record } = await waitTerminal(sb.url, String(r.body.id));
    expect(record).toMatchObject({ status_code: 'failed', failure_code: 'invalid_media' });
    const error = String((record.check_summary as Record<string, unknown>).error);
    expect(error).toContain('could not fetch https://127.0.0.1:1/image.png');
    expect(error).not.toContain('secret');
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  test('an unreadable reference also fails the evaluation with invalid_media', async () => {
    const r = await submit(sb.url, {
      generated_image_url: goodUri,
      task_type: 'headshot',
      reference_images: [{ url: dataUri(Buffer.from('nope')), kind: 'source_face' }],
    });
    const { record } = await waitTerminal(sb.url, String(r.body.id));
    expect(record).toMatchObject({ status_code: 'failed', failure_code: 'invalid_media' });
    expect(String((record.check_summary as Record<string, unknown>).error)).toContain('reference_images[0]');
  });

  test('references are judged one by one', async () => {
    const r = await submit(sb.url, {
      generated_image_url: goodUri,
      task_type: 'product',
      reference_images: [{ url: goodUri, kind: 'style', description: 'the same scene' }],
    });
    const { record } = await waitTerminal(sb.url, String(r.body.id), { embed: 'judges' });
    const judge = (record.judges as Array<Record<string, unknown>>).find((j) => j.name === 'reference_similarity_1')!;
    expect(judge).toMatchObject({ passed: true, category: 'reference' });
    expect(record.reference_images).toEqual([
      { url: expect.stringMatching(/^data:image\/png;base64,…\(\d+ chars\)$/), kind: 'style', description: 'the same scene' },
    ]);
  });

  test('feedback can be set and cleared once the evaluation finished', async () => {
    const r = await submit(sb.url, { generated_image_url: goodUri, task_type: 'photo' });
    const id = String(r.body.id);
    const early = await call(sb.url, 'PATCH', `/v1/evaluations/${id}/feedback`, { body: { is_positive: true } });
    // Judging a small image can win the race; both answers are the service's.
    expect([200, 409]).toContain(early.status);
    await waitTerminal(sb.url, id);
    const set = await call(sb.url, 'PATCH', `/v1/evaluations/${id}/feedback`, { body: { is_positive: false, reason: 'too dark' } });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ id, feedback_is_positive: false, feedback_reason: 'too dark' });
    expectDocumentedShape(set.body);
    const cleared = await call(sb.url, 'PATCH', `/v1/evaluations/${id}/feedback`, { body: { is_positive: null, reason: null } });
    expect(cleared.body).toMatchObject({ feedback_is_positive: null, feedback_reason: null });
    expect((await call(sb.url, 'PATCH', `/v1/evaluations/${id}/feedback`, { body: { is_positive: 'yes' } })).status).toBe(422);
    expect((await call(sb.url, 'PATCH', '/v1/evaluations/3c90c3cc-0d44-4b50-8888-8dd25736052a/feedback', { body: { is_positive: true } })).status).toBe(404);
  });
});

describe('sandbox: statuses, idempotency and the in-flight limit', () => {
  let sb: RunningSandbox;
  beforeAll(async () => {
    sb = await startSandbox({ maxInflight: 2, evalTimeMs: 1_500 });
  });
  afterAll(() => sb.close());

  test('statuses move pending → running → completed, no sooner than --eval-time', async () => {
    const r = await submit(sb.url, { generated_image_url: goodUri, task_type: 'photo' });
    expect(r.body.status_code).toBe('pending');
    const { record, seen } = await waitTerminal(sb.url, String(r.body.id));
    expect(seen[0]).toBe('pending');
    expect(seen).toContain('running');
    expect(seen[seen.length - 1]).toBe('completed');
    expect(seen.filter((s) => s === 'pending')).toHaveLength(1);
    // A few ms of timer rounding allowed, as below.
    expect(record.eval_duration_ms as number).toBeGreaterThanOrEqual(1_490);
    expect(Date.parse(String(record.completed_at)) - Date.parse(String(record.submitted_at))).toBeGreaterThanOrEqual(1_490);
  });

  test('same key + same body replays; same key + other body is 409; 429 beyond the limit', async () => {
    const body = { task_type: 'photo', generated_image_url: goodUri, client_ref: 'a' };
    const first = await submit(sb.url, body, { 'Idempotency-Key': 'key-1' });
    expect(first.status).toBe(202);
    // Same JSON value with its keys in another order is the same body.
    const reordered = { client_ref: 'a', generated_image_url: goodUri, task_type: 'photo' };
    const replay = await submit(sb.url, reordered, { 'Idempotency-Key': 'key-1' });
    expect(replay.status).toBe(202);
    expect(replay.body.id).toBe(first.body.id);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');

    const conflict = await submit(sb.url, { ...body, client_ref: 'b' }, { 'Idempotency-Key': 'key-1' });
    expect(conflict.status).toBe(409);
    expect(conflict.body.code).toBe('IDEMPOTENCY_CONFLICT');

    const second = await submit(sb.url, body, { 'Idempotency-Key': 'key-2' });
    expect(second.status).toBe(202);
    expect(second.body.id).not.toBe(first.body.id);

    const limited = await submit(sb.url, body);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.body).toMatchObject({ code: 'RATE_LIMITED', message: 'too many evaluations in flight (limit 2)' });

    // A replay is not a new evaluation: it is answered even at the limit.
    expect((await submit(sb.url, body, { 'Idempotency-Key': 'key-1' })).status).toBe(202);

    await waitTerminal(sb.url, String(first.body.id));
    await waitTerminal(sb.url, String(second.body.id));
    const after = await submit(sb.url, body);
    expect(after.status).toBe(202);
    const done = await submit(sb.url, body, { 'Idempotency-Key': 'key-1' });
    expect(done.body).toMatchObject({ id: first.body.id, status_code: 'completed' });
    await waitTerminal(sb.url, String(after.body.id));
  });
});

describe('sandbox: uploads', () => {
  let sb: RunningSandbox;
  beforeAll(async () => {
    sb = await startSandbox({ fetchRemote: false });
  });
  afterAll(() => sb.close());

  test('three-step upload, then evaluate the runflow://assets reference', async () => {
    const { ref, asset, uploadUrl } = await upload(sb.url, good, 'image/png', 'house.png');
    expect(uploadUrl.startsWith(`${sb.url}/storage/`)).toBe(true);
    expect(asset).toMatchObject({ name: 'house.png', mime_type: 'image/png', size_bytes: good.length, folder_id: null, thumbnail_url: null });
    const fetched = await call(sb.url, 'GET', `/v1/assets/${String(asset.id)}`);
    expect(fetched.body.id).toBe(asset.id);

    const r = await submit(sb.url, { generated_image_url: ref, task_type: 'illustration', reference_images: [{ url: ref }] });
    expect(r.status).toBe(202);
    expect(r.body.generated_image_url).toBe(ref);
    const { record } = await waitTerminal(sb.url, String(r.body.id));
    expect(record).toMatchObject({ status_code: 'completed', overall_passed: true });
  });

  test('create validates size and names; storage checks the signed Content-Type; confirm needs the file', async () => {
    const tooBig = await call(sb.url, 'POST', '/v1/asset-uploads', { body: { filename: 'a.png', mime_type: 'image/png', size_bytes: 52_428_801 } });
    expect(tooBig.status).toBe(422);
    expect(tooBig.body.errors).toContainEqual(expect.objectContaining({ loc: ['body', 'size_bytes'] }));
    const zero = await call(sb.url, 'POST', '/v1/asset-uploads', { body: { filename: '', mime_type: 'image/png', size_bytes: 0 } });
    expect(zero.status).toBe(422);
    expect((zero.body.errors as unknown[]).length).toBe(2);

    const session = await call(sb.url, 'POST', '/v1/asset-uploads', { body: { filename: 'a.png', mime_type: 'image/png', size_bytes: good.length } });
    const id = String(session.body.asset_id);
    const early = await call(sb.url, 'POST', `/v1/asset-uploads/${id}/confirmations`, { body: {} });
    expect(early.status).toBe(409);
    const wrongType = await fetch(String(session.body.upload_url), { method: 'PUT', headers: { 'Content-Type': 'image/jpeg' }, body: good });
    expect(wrongType.status).toBe(403);
    // The storage URL is presigned: no API key needed.
    const put = await fetch(String(session.body.upload_url), { method: 'PUT', headers: { 'Content-Type': 'image/png' }, body: good });
    expect(put.status).toBe(200);
    const confirmed = await call(sb.url, 'POST', `/v1/asset-uploads/${id}/confirmations`);
    expect(confirmed.status).toBe(201);
    const stored = await fetch(String(confirmed.body.url));
    expect(Buffer.from(await stored.arrayBuffer()).equals(good)).toBe(true);
    expect((await call(sb.url, 'POST', '/v1/asset-uploads/3c90c3cc-0d44-4b50-8888-8dd25736052a/confirmations', { body: {} })).status).toBe(404);
  });

  test('an uploaded file that is not an image ends failed with invalid_media', async () => {
    const { ref } = await upload(sb.url, Buffer.from('plain text'), 'image/png', 'fake.png');
    const r = await submit(sb.url, { generated_image_url: ref, task_type: 'photo' });
    const { record } = await waitTerminal(sb.url, String(r.body.id));
    expect(record).toMatchObject({ status_code: 'failed', failure_code: 'invalid_media' });
  });

  test('with remote fetching off, https:// images fail with invalid_media', async () => {
    const r = await submit(sb.url, { generated_image_url: 'https://example.com/a.png', task_type: 'photo' });
    const { record } = await waitTerminal(sb.url, String(r.body.id));
    expect(record).toMatchObject({ status_code: 'failed', failure_code: 'invalid_media' });
  });
});

describe('sandbox: lifecycle', () => {
  test('close() stops the server and is safe to call twice', async () => {
    const sb = await startSandbox({ log: () => undefined });
    expect((await call(sb.url, 'GET', '/v1/health')).status).toBe(200);
    await Promise.all([sb.close(), sb.close()]);
    await expect(fetch(`${sb.url}/v1/health`)).rejects.toThrow();
  });

  test('the request log has one line per request and never the key', async () => {
    const lines: string[] = [];
    const sb = await startSandbox({ log: (l) => lines.push(l) });
    try {
      await call(sb.url, 'GET', '/v1/evaluations/job-classes');
      await call(sb.url, 'GET', '/v1/auth/me', { key: null });
      await new Promise((r) => setTimeout(r, 20));
      expect(lines).toEqual([
        expect.stringMatching(/^GET \/v1\/evaluations\/job-classes 200 \d+ms$/),
        expect.stringMatching(/^GET \/v1\/auth\/me 401 \d+ms$/),
      ]);
      expect(lines.join('\n')).not.toContain(KEY);
    } finally {
      await sb.close();
    }
  });

  test('a port in use is an error, not a hang', async () => {
    const a = await startSandbox();
    try {
      const port = Number(new URL(a.url).port);
      await expect(startSandbox({ port })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await a.close();
    }
  });
});

describe('sandbox: the service as documented (worker queue, request-rate limit without headers)', () => {
  test('--workers: later submissions wait pending in submission order; eval_duration_ms is the time on a worker', async () => {
    const sb = await startSandbox({ workers: 1, evalTimeMs: 700 });
    try {
      const first = await submit(sb.url, { generated_image_url: goodUri, task_type: 'photo', client_ref: 'w1' });
      const second = await submit(sb.url, { generated_image_url: goodUri, task_type: 'photo', client_ref: 'w2' });
      expect([first.status, second.status]).toEqual([202, 202]);
      await new Promise((r) => setTimeout(r, 300));
      expect((await call(sb.url, 'GET', `/v1/evaluations/${first.body.id}`)).body.status_code).toBe('running');
      expect((await call(sb.url, 'GET', `/v1/evaluations/${second.body.id}`)).body.status_code).toBe('pending');
      const a = (await waitTerminal(sb.url, String(first.body.id))).record;
      const b = (await waitTerminal(sb.url, String(second.body.id))).record;
      expect(Date.parse(String(b.completed_at))).toBeGreaterThanOrEqual(Date.parse(String(a.completed_at)) + 690);
      // Timers and Date.now() round differently: a 700 ms timer can measure 699 ms (seen once).
      // A few ms short is that rounding; an --eval-time not honoured would be hundreds short.
      expect(b.eval_duration_ms as number).toBeGreaterThanOrEqual(690);
      // The time on a worker, not the queue wait: b waited for a's whole run (≥ 690 ms) before it.
      // Relative to b's own submit-to-complete time, so a loaded machine's slow timers cannot fail it.
      const total = Date.parse(String(b.completed_at)) - Date.parse(String(b.submitted_at));
      expect(b.eval_duration_ms as number).toBeLessThanOrEqual(total - 600);
    } finally {
      await sb.close();
    }
  });

  test('--rate: beyond N requests per second per key, 429 RATE_LIMITED without Retry-After or X-RateLimit-*', async () => {
    const sb = await startSandbox({ rate: 3 });
    try {
      const replies = [];
      for (let i = 0; i < 5; i++) replies.push(await call(sb.url, 'GET', '/v1/auth/me'));
      const limited = replies.find((r) => r.status === 429);
      expect(limited).toBeDefined();
      expect(limited!.body).toMatchObject({ code: 'RATE_LIMITED' });
      expect(limited!.headers.get('retry-after')).toBeNull();
      expect([...limited!.headers.keys()].filter((h) => h.startsWith('x-ratelimit'))).toEqual([]);
      // Per key: another key has its own budget; health needs none.
      expect((await call(sb.url, 'GET', '/v1/auth/me', { key: 'other-key' })).status).toBe(200);
      expect((await call(sb.url, 'GET', '/v1/health', { key: null })).status).toBe(200);
      await new Promise((r) => setTimeout(r, 1100));
      expect((await call(sb.url, 'GET', '/v1/auth/me')).status).toBe(200);
    } finally {
      await sb.close();
    }
  });

  test('no in-flight limit by default: busy workers queue instead of refusing', async () => {
    const sb = await startSandbox({ workers: 1, evalTimeMs: 300 });
    try {
      const replies = [];
      for (let i = 0; i < 12; i++) replies.push(await submit(sb.url, { generated_image_url: goodUri, task_type: 'photo', client_ref: `q${i}` }));
      expect(replies.every((r) => r.status === 202)).toBe(true);
    } finally {
      await sb.close();
    }
  });
});
