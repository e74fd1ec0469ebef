/**
 * Deviations from SPEC found by a black-box review of the built CLI, one `describe` each, against
 * the fake API (and, where the point is the sandbox, against --sandbox).
 */
import path from 'node:path';
import sharp from 'sharp';
import { beforeEach, describe, expect, it } from 'vitest';
import type { FakeApi } from '../helpers/fake-api.js';
import { memoryIO } from '../helpers/memory-io.js';
import { fastClock, runCli, tempDir } from '../helpers/run-cli.js';
import { useFakeApi } from '../helpers/use-fake-api.js';

const KEY = 'test-key';
const fake = useFakeApi();
let api: FakeApi;
let env: Record<string, string>;
beforeEach(() => {
  ({ api, env } = fake);
});

const posts = () => api.find('POST', '/v1/evaluations');

describe('length caps count characters as the API does (code points, not UTF-16 units)', () => {
  it('accepts 100 emoji as a task type and refuses 101, naming 101 characters', async () => {
    const ok = await runCli(['submit', 'https://example.com/a.png', '--task-type', '😀'.repeat(100)], env);
    expect(ok.code).toBe(0);
    expect(posts()).toHaveLength(1);
    const over = await runCli(['submit', 'https://example.com/a.png', '--task-type', '😀'.repeat(101)], env);
    expect(over.code).toBe(2);
    expect(over.stderr).toContain('--task-type is 101 characters; the limit is 100');
    expect(posts()).toHaveLength(1);
  });
});

describe('a server that echoes the API key back never gets it into our output (SPEC §2)', () => {
  const SECRET = 'rf_live_review_secret_42';
  const secretEnv = () => ({ ...env, RUNFLOW_API_KEY: SECRET });

  it('an error message, a field error, an HTML title and a request id that quote the key are masked', async () => {
    api.fault({
      method: 'POST', path: '/v1/evaluations', status: 401,
      body: { code: 'UNAUTHORIZED', message: `invalid key ${SECRET}`, errors: [{ loc: ['header', 'authorization'], msg: `bad token ${SECRET}`, input: `Bearer ${SECRET}` }] },
    });
    const human = await runCli(['submit', 'https://example.com/a.png', '--task-type', 't'], secretEnv());
    expect(human.code).toBe(4);
    expect(human.stderr).toContain('invalid key ***');
    api.fault({
      method: 'POST', path: '/v1/evaluations', status: 401,
      body: { code: 'UNAUTHORIZED', message: `invalid key ${SECRET}`, errors: [{ loc: ['header', 'authorization'], msg: `bad token ${SECRET}`, input: `Bearer ${SECRET}` }] },
    });
    const json = await runCli(['submit', 'https://example.com/a.png', '--task-type', 't', '--json', '--verbose'], secretEnv());
    expect(json.code).toBe(4);
    expect(JSON.parse(json.stdout).error.details.errors[0].input).toBe('Bearer ***');
    api.fault({ method: 'GET', path: '/v1/evaluations/job-classes', status: 401, body: `<html><title>Bad key ${SECRET}</title></html>`, headers: { 'x-request-id': SECRET } });
    const html = await runCli(['price'], secretEnv());
    expect(html.code).toBe(4);
    expect(html.stderr).toContain('Bad key ***');
    for (const r of [human, json, html]) expect(r.stdout + r.stderr).not.toContain(SECRET);
  });

  it('login masks the key it was given when the check quotes it', async () => {
    api.fault({ method: 'GET', path: '/v1/auth/me', status: 401, body: { code: 'UNAUTHORIZED', message: `unknown key ${SECRET}` } });
    const r = await runCli(['login'], env, { stdin: `${SECRET}\n` });
    expect(r.code).toBe(4);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
    expect(r.stderr).toContain('unknown key ***');
  });
});

describe('a terminal that reports 0 columns (an unsized pseudo-terminal) does not hang the spinner', () => {
  it('gate finishes with plain progress lines, wait finishes without a spinner', async () => {
    const io = memoryIO({ tty: true });
    // ora divides by the stream's columns: 0 made it clear lines forever.
    (io.stderr as unknown as { columns: number }).columns = 0;
    const gate = await runCli(['gate', 'https://example.com/a.png', '--task-type', 't'], env, { io, clock: fastClock() });
    expect(gate.code).toBe(0);
    expect(gate.stderr).toMatch(/^gate: 0\/1 done/m);
    expect(gate.stderr).not.toContain('\u001b[1A');
    const id = api.find('POST', '/v1/evaluations')[0] && (await runCli(['submit', 'https://example.com/b.png', '--task-type', 't'], env)).stdout.trim();
    const io2 = memoryIO({ tty: true });
    (io2.stderr as unknown as { columns: number }).columns = 0;
    const wait = await runCli(['wait', id!], env, { io: io2, clock: fastClock() });
    expect(wait.code).toBe(0);
  }, 20_000);
});

describe('a rerun that reads its recorded evaluations through a rate limit (SPEC §3 reruns, §6)', () => {
  it('a 429 that outlasts the client retries is waited out like a poll, not an exit 5', async () => {
    const first = await runCli(['gate', 'https://example.com/a.png', '--task-type', 't'], env, { clock: fastClock() });
    expect(first.code).toBe(0);
    expect(posts()).toHaveLength(1);
    // Ten 429s in a row on the recorded id's read: twice the client's five attempts.
    api.fault({ method: 'GET', path: /^\/v1\/evaluations\/[0-9a-f-]{36}$/, status: 429, body: { code: 'RATE_LIMITED', message: 'Rate limit exceeded' }, times: 10 });
    const rerun = await runCli(['gate', 'https://example.com/a.png', '--task-type', 't', '--json'], env, { clock: fastClock() });
    expect(api.pendingFaults).toBe(0);
    expect(rerun.code).toBe(0);
    expect(JSON.parse(rerun.stdout).counts.reused).toBe(1);
    expect(posts()).toHaveLength(1);

    api.fault({ method: 'GET', path: /^\/v1\/evaluations\/[0-9a-f-]{36}$/, status: 503, times: 10 });
    const submit = await runCli(['submit', 'https://example.com/a.png', '--task-type', 't'], env, { clock: fastClock(50) });
    expect(submit.code).toBe(0);
    expect(posts()).toHaveLength(1);
  }, 30_000);
});

describe('gate --idempotency-key (SPEC §3 submit / gate options)', () => {
  it('one image: the key itself; several: one key each under the given one, stable across reruns', async () => {
    const one = await runCli(['gate', 'https://example.com/a.png', '--task-type', 't', '--idempotency-key', 'release-42'], env);
    expect(one.code).toBe(0);
    expect(posts().map((p) => p.headers['idempotency-key'])).toEqual(['release-42']);

    const images = ['https://example.com/b.png', 'https://example.com/c.png'];
    const many = await runCli(['gate', ...images, '--task-type', 't', '--idempotency-key', 'release-42', '--no-balance-check'], env);
    expect(many.code).toBe(0);
    const keys = posts().slice(1).map((p) => p.headers['idempotency-key']);
    expect(keys).toHaveLength(2);
    expect(new Set(keys).size).toBe(2);
    for (const key of keys) expect(key).toMatch(/^release-42-[0-9a-f]{16}$/);

    // A rerun under the same key sends the same keys (the service, or the record, answers them).
    const again = await runCli(['gate', ...images, '--task-type', 't', '--idempotency-key', 'release-42', '--resubmit'], env);
    expect(again.code).toBe(2);
    const cache = tempDir();
    const fresh = await runCli(['gate', ...images, '--task-type', 't', '--idempotency-key', 'release-42'], { ...env, RUNFLOW_CACHE_DIR: cache });
    expect(fresh.code).toBe(0);
    expect(posts().slice(3).map((p) => p.headers['idempotency-key']).sort()).toEqual([...keys].sort());

    const manifest = await runCli(['gate', '--manifest', '-', '--task-type', 't'], env, { stdin: '{"image":"https://example.com/a.png","idempotency_key":"k1"}\n' });
    expect(manifest.code).toBe(2);
    expect(manifest.stderr).toContain('give it as --idempotency-key');
  });
});

describe('--interval 0s does not poll as fast as the service answers (SPEC §6: few requests per evaluation)', () => {
  it('wait and gate poll at most every 100 ms', async () => {
    api.setOutcome(() => ({ durationMs: Infinity }));
    const submitted = await runCli(['submit', 'https://example.com/slow.png', '--task-type', 't'], env);
    const id = submitted.stdout.trim();
    const gets = () => api.find('GET', `/v1/evaluations/${id}`).length;
    const wait = await runCli(['wait', id, '--interval', '0s', '--timeout', '1s'], env);
    expect(wait.code).toBe(6);
    // One second at ≥ 100 ms a poll: about 11, never the hundreds a 0 gap gave.
    expect(gets()).toBeLessThanOrEqual(15);
    const before = api.find('GET', /^\/v1\/evaluations\/[0-9a-f-]{36}$/).length;
    const gate = await runCli(['gate', 'https://example.com/slow2.png', '--task-type', 't', '--interval', '0s', '--timeout', '1s'], env);
    expect(gate.code).toBe(6);
    expect(api.find('GET', /^\/v1\/evaluations\/[0-9a-f-]{36}$/).length - before).toBeLessThanOrEqual(15);
  }, 20_000);
});

describe('gate --resubmit resubmits a transient failure with a fresh key (SPEC §3 "gate")', () => {
  it('a second --resubmit run makes a new retry, not the one the first run made', async () => {
    api.setOutcome(() => ({ failure_code: 'dispatch_failed' }));
    const ids = async () => {
      const r = await runCli(['gate', 'https://example.com/a.png', '--task-type', 't', '--resubmit', '--json'], env, { clock: fastClock() });
      expect(r.code).toBe(3);
      const result = JSON.parse(r.stdout).results[0];
      expect(result.previous_ids).toHaveLength(1);
      return [result.evaluation_id, ...result.previous_ids] as string[];
    };
    const first = await ids();
    const second = await ids();
    expect(posts()).toHaveLength(4);
    const keys = posts().map((p) => p.headers['idempotency-key']);
    expect(new Set(keys).size).toBe(4);
    // Every evaluation of the second run is new: no retry was handed back from the first.
    expect(second.filter((id) => first.includes(id))).toEqual([]);
  }, 20_000);
});

describe('config list shows every setting of SPEC §2 with its source', () => {
  it('the config and cache folders and the debug switch, from the environment or their defaults', async () => {
    const dirs = { ...env, RUNFLOW_DEBUG: '1' };
    const r = await runCli(['config', 'list', '--json'], dirs);
    expect(r.code).toBe(0);
    const settings = JSON.parse(r.stdout).settings as Array<{ key: string; value: string; source: string; origin: string | null }>;
    const find = (key: string) => settings.find((s) => s.key === key);
    expect(find('config-dir')).toMatchObject({ value: env.RUNFLOW_CONFIG_DIR, source: 'env', origin: 'RUNFLOW_CONFIG_DIR' });
    expect(find('cache-dir')).toMatchObject({ value: env.RUNFLOW_CACHE_DIR, source: 'env', origin: 'RUNFLOW_CACHE_DIR' });
    expect(find('debug')).toMatchObject({ value: 'on', source: 'env', origin: 'RUNFLOW_DEBUG' });
    const home = tempDir();
    const defaults = await runCli(['config', 'list'], { RUNFLOW_API_KEY: KEY, RUNFLOW_CONFIG_DIR: '', RUNFLOW_CACHE_DIR: '', HOME: home, XDG_CACHE_HOME: '' });
    expect(defaults.stdout).toMatch(/^cache-dir\s+\S*runflow-eval\s+default$/m);
    expect(defaults.stdout).toMatch(/^debug\s+off\s+default$/m);
    const get = await runCli(['config', 'get', 'cache-dir'], env);
    expect(get.stdout.trim()).toBe(env.RUNFLOW_CACHE_DIR);
  });
});

describe('upload --json: asset_id is the id in the ref', () => {
  it('when the confirmation names the asset by another id than the upload session, both fields follow the asset record', async () => {
    const file = path.join(tempDir(), 'shot.png');
    await sharp({ create: { width: 32, height: 32, channels: 3, background: '#446688' } }).png().toFile(file);
    const assetId = 'aaaaaaaa-0000-4000-8000-000000000001';
    api.fault({ method: 'POST', path: /\/confirmations$/, afterHandling: true, status: 201, body: { id: assetId, mime_type: 'image/png' } });
    const r = await runCli(['upload', file, '--json'], env);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.ref).toBe(`runflow://assets/${assetId}`);
    expect(doc.asset_id).toBe(assetId);
  });
});

describe('a submit refused with 429 until its deadline', () => {
  it('exits 5 with a hint that names the request-rate limit the service documents, not only an in-flight cap', async () => {
    api.fault({ method: 'POST', path: '/v1/evaluations', status: 429, body: { code: 'RATE_LIMITED', message: 'Rate limit exceeded' }, times: 1000 });
    const r = await runCli(['submit', 'https://example.com/a.png', '--task-type', 't', '--timeout', '1s'], env, { clock: fastClock() });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/hint: .*request-rate limit/);
    api.reset();
  });
});

describe('the step summary counts in words that agree with the number', () => {
  it('"1 error", "2 errors"', async () => {
    const summary = tempDir();
    const file = path.join(summary, 'summary.md');
    api.setOutcome(() => ({ failure_code: 'invalid_media' }));
    const r = await runCli(['gate', 'https://example.com/a.png', '--task-type', 't'], { ...env, GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: file }, { clock: fastClock() });
    expect(r.code).toBe(3);
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(file, 'utf8')).toContain('0 below the bar, 1 error, 0 timed out');
  });
});
