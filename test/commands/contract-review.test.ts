/**
 * Deviations from SPEC found by a black-box review of the built CLI, one `describe` each, against
 * the fake API (and, where the point is the sandbox, against --sandbox).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeApi } from '../helpers/fake-api.js';
import { runCli, tempDir } from '../helpers/run-cli.js';

const KEY = 'test-key';
let api: FakeApi;
let env: Record<string, string>;

beforeAll(async () => {
  api = await FakeApi.start();
});
afterAll(async () => {
  await api.close();
});
beforeEach(() => {
  api.reset();
  api.setOutcome(undefined);
  env = { RUNFLOW_BASE_URL: api.url, RUNFLOW_API_KEY: KEY, RUNFLOW_CONFIG_DIR: tempDir(), RUNFLOW_CACHE_DIR: tempDir() };
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
