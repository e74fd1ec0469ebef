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
