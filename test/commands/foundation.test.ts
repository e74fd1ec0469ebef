import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { FakeApi } from '../helpers/fake-api.js';
import { fastClock, runCli, tempDir } from '../helpers/run-cli.js';
import { useFakeApi } from '../helpers/use-fake-api.js';

const KEY = 'test-key';
const fake = useFakeApi();
let api: FakeApi;
let env: Record<string, string>;
beforeEach(() => ({ api, env } = fake));

const ID = '3c90c3cc-0d44-4b50-8888-8dd25736052a';

describe('price', () => {
  it('prints a plain table when piped', async () => {
    const r = await runCli(['price'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^CLASS\s+NAME\s+PRICE\s+CURRENCY\s+ACTIVE/);
    expect(r.stdout).toContain('standard');
    expect(r.stdout).toContain('0.400000');
    expect(r.stdout).not.toMatch(/\u001b\[/);
  });

  it('passes the API response through unchanged with --json', async () => {
    const r = await runCli(['price', '--json'], env);
    expect(r.code).toBe(0);
    const body = api.requests.find((q) => q.path === '/v1/evaluations/job-classes');
    expect(body).toBeDefined();
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(JSON.stringify((await fetch(`${api.url}/v1/evaluations/job-classes`, { headers: { authorization: `Bearer ${KEY}` } }).then((x) => x.json())))));
  });

  it('shows an unknown response shape raw instead of failing', async () => {
    const odd = await FakeApi.start({ jobClasses: { classes: 'soon' } });
    try {
      const r = await runCli(['price'], { ...env, RUNFLOW_BASE_URL: odd.url });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('"classes"');
      expect(r.stderr).toContain('unexpected shape');
      odd.verify();
    } finally {
      await odd.close();
    }
  });
});

describe('get', () => {
  it('renders an evaluation with judges and asks for the default embeds', async () => {
    const submit = await runCli(['submit', 'https://example.com/a.png', '--task-type', 'headshot'], env);
    expect(submit.code).toBe(0);
    const id = submit.stdout.trim();
    await new Promise((r) => setTimeout(r, 120));
    const r = await runCli(['get', id], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('completed');
    expect(r.stdout).toMatch(/Verdict\s+PASS/);
    expect(r.stdout).toContain('Judges');
    const req = api.requests.filter((q) => q.method === 'GET' && q.path === `/v1/evaluations/${id}`).pop()!;
    expect(req.query.get('embed')).toBe('judges,action,gate_failures');
  });

  it('--json prints the record exactly as the API sent it', async () => {
    const record = { id: ID, zeta: 1, status_code: 'completed', alpha: { nested: [1, 2] }, weighted_pass_rate: 0.5, unknown_field: 'kept' };
    api.putRecord(record);
    const r = await runCli(['get', ID, '--json'], env);
    expect(r.code).toBe(0);
    const parsed = JSON.parse(r.stdout);
    expect(Object.keys(parsed)).toEqual(Object.keys(record));
    expect(parsed).toEqual(record);
  });

  it('survives the placeholder record of the reference page', async () => {
    const placeholder = {
      id: ID,
      status_code: 'completed',
      overall_passed: true,
      weighted_pass_rate: 123,
      top_issues: ['<string>', 42, null],
      top_strengths: null,
      cost: '<string>',
      judges: [{ name: '<string>', passed: true, confidence: 123, weight: 123, issues: [{ category: '<string>', subcategory: null }] }, null, 'odd'],
      gate_failures: [{ module: '<string>', reason: '<string>' }],
      action: { primary_action: '<string>', improved_prompt: '\u001b[31mred\u001b[0m prompt' },
      parent_evaluation: null,
    };
    api.putRecord(placeholder);
    const r = await runCli(['get', ID], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('<string>');
    expect(r.stdout).not.toContain('\u001b[31m');
    expect(r.stderr).toBe('');
  });

  it('refuses a malformed id before sending anything', async () => {
    const r = await runCli(['get', 'not-a-uuid'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not a UUID');
    expect(api.requests).toHaveLength(0);
  });

  it('an unknown id exits 5 with the API message', async () => {
    const r = await runCli(['get', ID], env);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/404|not found/i);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
  });
});

describe('errors and exit codes', () => {
  it.each([
    [401, 4],
    [402, 4],
    [403, 4],
    [404, 5],
    [409, 5],
    [422, 5],
    [400, 5],
  ])('HTTP %i exits %i with one line and a hint, never the key', async (status, code) => {
    api.fault({ path: '/v1/evaluations/job-classes', status, body: { code: 'X_CODE', message: `server says ${status}`, errors: status === 422 ? [{ loc: ['body', 'task_type'], msg: 'field required' }] : null } });
    const r = await runCli(['price'], env);
    expect(r.code).toBe(code);
    expect(r.stderr).toContain(`server says ${status}`);
    if (status === 422) expect(r.stderr).toContain('body.task_type: field required');
    expect(r.stdout + r.stderr).not.toContain(KEY);
  });

  it('--json errors go to stdout as one document, the message to stderr', async () => {
    api.fault({ path: '/v1/evaluations/job-classes', status: 403, body: { code: 'PERMISSION_DENIED', message: 'nope' } });
    const r = await runCli(['price', '--json'], env);
    expect(r.code).toBe(4);
    const doc = JSON.parse(r.stdout);
    expect(doc.error).toMatchObject({ code: 'PERMISSION_DENIED', status: 403, exit_code: 4 });
    expect(r.stderr).toContain('nope');
  });

  it('retries a reset and a 503, then succeeds', async () => {
    api.fault({ path: '/v1/evaluations/job-classes', reset: true });
    api.fault({ path: '/v1/evaluations/job-classes', status: 503 });
    const r = await runCli(['price'], env, { clock: fastClock() });
    expect(r.code).toBe(0);
    expect(api.find('GET', '/v1/evaluations/job-classes')).toHaveLength(3);
  });

  it('waits out a 429 Retry-After', async () => {
    api.fault({ path: '/v1/evaluations/job-classes', status: 429, headers: { 'retry-after': '1' }, body: { code: 'RATE_LIMITED', message: 'slow down' } });
    const started = Date.now();
    const r = await runCli(['price'], env);
    expect(r.code).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('malformed JSON and an HTML 502 page exit 5 with one line', async () => {
    api.fault({ path: '/v1/evaluations/job-classes', status: 200, body: '{"items": [', headers: { 'content-type': 'application/json' } });
    let r = await runCli(['price'], env, { clock: fastClock() });
    expect(r.code).toBe(5);
    api.fault({ path: '/v1/evaluations/job-classes', status: 502, times: 5, body: '<html><head><title>502 Bad Gateway</title></head><body>' + 'x'.repeat(5000) + '</body></html>' });
    r = await runCli(['price'], env, { clock: fastClock() });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('502 Bad Gateway');
    expect(r.stderr).not.toContain('xxxxxxxxxx');
  });

  it('no key exits 4 naming RUNFLOW_API_KEY and login', async () => {
    const r = await runCli(['price'], { RUNFLOW_BASE_URL: api.url, RUNFLOW_CONFIG_DIR: tempDir() });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('RUNFLOW_API_KEY');
    expect(r.stderr).toContain('runflow-eval login');
    expect(api.requests).toHaveLength(0);
  });

  it('http:// to a non-loopback host exits 2 before any request', async () => {
    const r = await runCli(['price', '--base-url', 'http://api.example.com'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('http://');
    expect(api.requests).toHaveLength(0);
  });

  it('--base-url beats RUNFLOW_BASE_URL', async () => {
    const other = await FakeApi.start();
    try {
      const r = await runCli(['price', '--base-url', other.url], env);
      expect(r.code).toBe(0);
      expect(other.requests).toHaveLength(1);
      expect(api.requests).toHaveLength(0);
      other.verify();
    } finally {
      await other.close();
    }
  });

  it('unknown commands and flags exit 2 with usage on stderr', async () => {
    let r = await runCli(['frobnicate'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command/);
    r = await runCli(['price', '--nope'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option/);
    expect(r.stdout).toBe('');
  });

  it('help exit-codes prints the table; --help and --version exit 0', async () => {
    let r = await runCli(['help', 'exit-codes'], env);
    expect(r.code).toBe(0);
    for (const c of ['0', '1', '2', '3', '4', '5', '6', '130']) expect(r.stdout).toMatch(new RegExp(`^${c}\\s`, 'm'));
    r = await runCli(['--help'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('gate');
    r = await runCli(['--version'], env);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('under GITHUB_ACTIONS the key is masked before anything else', async () => {
    const r = await runCli(['price'], { ...env, GITHUB_ACTIONS: 'true' });
    expect(r.stderr.startsWith(`::add-mask::${KEY}\n`)).toBe(true);
    expect(r.stdout).not.toContain(KEY);
  });

  it('--verbose logs requests with the key shown as ***', async () => {
    const r = await runCli(['price', '--verbose'], env);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('GET');
    expect(r.stderr).not.toContain(KEY);
  });

  it('sends the documented headers', async () => {
    await runCli(['price', '--org', 'org-123'], env);
    const h = api.requests[0].headers;
    expect(h.authorization).toBe(`Bearer ${KEY}`);
    expect(h.accept).toBe('application/json');
    expect(h['user-agent']).toMatch(/^runflow-eval\/\d+\.\d+\.\d+ node\/\d+/);
    expect(h['x-organization-id']).toBe('org-123');
  });
});

describe('login, logout and config', () => {
  it('login from a pipe verifies and stores the key with mode 0600; later commands use it', async () => {
    const dir = path.join(tempDir(), 'nested', 'cfg');
    const base = { RUNFLOW_BASE_URL: api.url, RUNFLOW_CONFIG_DIR: dir };
    const r = await runCli(['login'], base, { stdin: `${KEY}\n` });
    expect(r.code).toBe(0);
    expect(api.find('GET', '/v1/auth/me')).toHaveLength(1);
    const file = path.join(dir, 'config.json');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(r.stdout + r.stderr).not.toContain(KEY);
    const price = await runCli(['price'], base);
    expect(price.code).toBe(0);
    const list = await runCli(['config', 'list'], base);
    expect(list.stdout).toMatch(/api-key\s+\(set\)\s+config/);
    expect(list.stdout).not.toContain(KEY);
    const out = await runCli(['logout'], base);
    expect(out.code).toBe(0);
    expect((await runCli(['price'], base)).code).toBe(4);
  });

  it('login with a bad key stores nothing and exits 4', async () => {
    const dir = tempDir();
    const r = await runCli(['login'], { RUNFLOW_BASE_URL: api.url, RUNFLOW_CONFIG_DIR: dir }, { stdin: 'wrong-key\n' });
    expect(r.code).toBe(4);
    expect(fs.existsSync(path.join(dir, 'config.json'))).toBe(false);
  });

  it('config set api-key is refused; set/get/unset/path work', async () => {
    let r = await runCli(['config', 'set', 'api-key', 'abc'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('login');
    r = await runCli(['config', 'set', 'org-id', 'org-9'], env);
    expect(r.code).toBe(0);
    r = await runCli(['config', 'get', 'org-id'], env);
    expect(r.stdout.trim()).toBe('org-9');
    r = await runCli(['config', 'list', '--json'], env);
    const doc = JSON.parse(r.stdout);
    expect(doc.settings.find((s: { key: string }) => s.key === 'org-id')).toMatchObject({ value: 'org-9', source: 'config' });
    expect(doc.settings.find((s: { key: string }) => s.key === 'api-key')).toMatchObject({ source: 'env', origin: 'RUNFLOW_API_KEY' });
    r = await runCli(['config', 'unset', 'org-id'], env);
    expect(r.code).toBe(0);
    r = await runCli(['config', 'path'], env);
    expect(r.stdout.trim()).toBe(path.join(env.RUNFLOW_CONFIG_DIR, 'config.json'));
    r = await runCli(['config', 'set', 'base-url', 'http://evil.example.com'], env);
    expect(r.code).toBe(2);
  });

  it('a corrupt config file is an error naming it, and is never wiped', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'config.json');
    fs.writeFileSync(file, '{ not json');
    const r = await runCli(['price'], { RUNFLOW_BASE_URL: api.url, RUNFLOW_CONFIG_DIR: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(file);
    expect(fs.readFileSync(file, 'utf8')).toBe('{ not json');
    const set = await runCli(['config', 'set', 'org-id', 'x'], { RUNFLOW_CONFIG_DIR: dir });
    expect(set.code).toBe(2);
    expect(fs.readFileSync(file, 'utf8')).toBe('{ not json');
  });
});
