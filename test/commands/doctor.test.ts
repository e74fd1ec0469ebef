import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/doctor/checks.js';
import { nodeCheck } from '../../src/doctor/local.js';
import { maskProxyUrl, proxyCheck } from '../../src/doctor/proxy.js';
import type { FakeApi } from '../helpers/fake-api.js';
import { runCli, tempDir } from '../helpers/run-cli.js';
import { useFakeApi } from '../helpers/use-fake-api.js';

interface DoctorDoc {
  ok: boolean;
  exit_code: number;
  checks: CheckResult[];
}

const ORDER = ['node', 'config', 'project', 'api_key', 'base_url', 'proxy', 'health', 'auth', 'read_scope', 'price', 'balance'];

const fake = useFakeApi();
let api: FakeApi;
beforeEach(() => {
  api = fake.api;
});

async function doctor(env: Record<string, string | undefined>, args: string[] = []) {
  const r = await runCli(['doctor', '--json', ...args], env);
  const doc = JSON.parse(r.stdout) as DoctorDoc;
  const byId = Object.fromEntries(doc.checks.map((c) => [c.id, c])) as Record<string, CheckResult>;
  return { ...r, doc, byId };
}

const goodEnv = () => ({ RUNFLOW_BASE_URL: api.url, RUNFLOW_API_KEY: 'test-key' });

/** A port nobody listens on: bind one, then let it go. */
async function deadPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('doctor against a working API', () => {
  it('passes every check in order and exits 0', async () => {
    const r = await doctor(goodEnv());
    expect(r.code).toBe(0);
    expect(r.doc.ok).toBe(true);
    expect(r.doc.exit_code).toBe(0);
    expect(r.doc.checks.map((c) => c.id)).toEqual(ORDER);
    for (const c of r.doc.checks) expect(c.status, `${c.id}: ${c.detail}`).not.toBe('fail');
    expect(r.byId.api_key!.detail).toContain('RUNFLOW_API_KEY');
    expect(r.byId.base_url!.detail).toContain(api.url);
    expect(r.byId.health!.status).toBe('pass');
    expect(r.byId.health!.latency_ms).toEqual(expect.any(Number));
    expect(r.byId.auth!.detail).toContain('Test Organization');
    expect(r.byId.read_scope!.status).toBe('pass');
    expect(r.byId.price!).toMatchObject({ status: 'pass', detail: 'standard: 0.400000 USD per evaluation' });
    expect(api.find('GET', '/v1/health')).toHaveLength(1);
    expect(api.find('GET', '/v1/auth/me')).toHaveLength(1);
    expect(api.unexpected).toEqual([]);
  });

  it('prints one aligned line per check for humans, greppable by status', async () => {
    const r = await runCli(['doctor'], goodEnv());
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => /^(PASS|WARN|FAIL) /.test(l));
    expect(lines).toHaveLength(ORDER.length);
    expect(r.stdout).toMatch(new RegExp(`^PASS  API reachable +${api.url.replace(/[.]/g, '\\.')}/v1/health answered 200 in \\d+ ms$`, 'm'));
    expect(r.stdout).toMatch(/^PASS  job class price +standard: 0\.400000 USD per evaluation$/m);
    expect(r.stdout).not.toContain('\u001b['); // not a TTY: no colour
  });

  it('warns when the default job class is missing or inactive, without failing', async () => {
    api.options.jobClasses = { items: [{ code: 'premium', price: '1.00', currency_code: 'USD', is_active: true }] };
    const missing = await doctor(goodEnv());
    expect(missing.code).toBe(0);
    expect(missing.byId.price).toMatchObject({ status: 'warn' });
    expect(missing.byId.price!.detail).toContain('premium');
    api.options.jobClasses = { items: [{ code: 'standard', price: '0.40', currency_code: 'USD', is_active: false }] };
    const inactive = await doctor(goodEnv());
    expect(inactive.byId.price!.detail).toMatch(/inactive/);
  });

  it('warns when auth/me reports a key without the evaluations scopes', async () => {
    api.options.scopes = { 'test-key': ['evaluations:read'] };
    const r = await doctor(goodEnv());
    expect(r.code).toBe(0);
    expect(r.byId.auth).toMatchObject({ status: 'warn' });
    expect(r.byId.auth!.detail).toContain('evaluations:create');
  });
});

describe('doctor failures', () => {
  it('no key: fails with exit 4 and the fix, still checks reachability, skips the rest', async () => {
    const r = await doctor({ RUNFLOW_BASE_URL: api.url });
    expect(r.code).toBe(4);
    expect(r.doc).toMatchObject({ ok: false, exit_code: 4 });
    expect(r.byId.api_key).toMatchObject({ status: 'fail', fix: 'set RUNFLOW_API_KEY or run `runflow-eval login`', exit_code: 4 });
    expect(r.byId.health!.status).toBe('pass');
    expect(r.byId.auth).toMatchObject({ status: 'warn', detail: 'skipped: no API key' });
    expect(r.byId.read_scope!.detail).toMatch(/^skipped: /);
    expect(api.find('GET', '/v1/health')).toHaveLength(1);
    expect(api.find('GET', '/v1/auth/me')).toHaveLength(0);
  });

  it('a rejected key: exit 4 with a fix, skips the read checks, never prints the key', async () => {
    const key = 'rf_live_wrongwrongwrong123';
    const r = await doctor({ RUNFLOW_BASE_URL: api.url, RUNFLOW_API_KEY: key });
    expect(r.code).toBe(4);
    expect(r.byId.auth).toMatchObject({ status: 'fail', exit_code: 4 });
    expect(r.byId.auth!.fix).toMatch(/runflow-eval login/);
    expect(r.byId.read_scope!.detail).toBe('skipped: the key was not accepted');
    expect(r.stdout + r.stderr).not.toContain(key);
    expect(r.stdout + r.stderr).not.toContain(key.slice(0, 8));
    const human = await runCli(['doctor'], { RUNFLOW_BASE_URL: api.url, RUNFLOW_API_KEY: key });
    expect(human.code).toBe(4);
    expect(human.stdout).toMatch(/^FAIL  key valid .*\n {6}fix: .*runflow-eval login/m);
    expect(human.stdout + human.stderr).not.toContain(key);
  });

  it('a key without evaluations:read: exit 4 naming the scope', async () => {
    api.fault({ method: 'GET', path: '/v1/evaluations/job-classes', status: 403, body: { code: 'PERMISSION_DENIED', message: 'Token lacks scope for this operation.', errors: null } });
    const r = await doctor(goodEnv());
    expect(r.code).toBe(4);
    expect(r.byId.read_scope).toMatchObject({ status: 'fail', exit_code: 4 });
    expect(r.byId.read_scope!.detail).toContain('key lacks evaluations:read');
    expect(r.byId.price!.detail).toMatch(/^skipped: /);
  });

  it('plain http to a non-loopback host: exit 2, and nothing is sent', async () => {
    const r = await doctor({ RUNFLOW_BASE_URL: 'http://api.example.com', RUNFLOW_API_KEY: 'test-key' });
    expect(r.code).toBe(2);
    expect(r.byId.base_url).toMatchObject({ status: 'fail', exit_code: 2 });
    expect(r.byId.base_url!.detail).toContain('RUNFLOW_BASE_URL');
    for (const id of ['health', 'auth', 'read_scope', 'price', 'balance']) expect(r.byId[id]!.detail).toMatch(/^skipped: /);
  });

  it('an unreachable API: exit 5, and the checks behind it are skipped', async () => {
    const port = await deadPort();
    const r = await doctor({ RUNFLOW_BASE_URL: `http://127.0.0.1:${port}`, RUNFLOW_API_KEY: 'test-key' });
    expect(r.code).toBe(5);
    expect(r.byId.health).toMatchObject({ status: 'fail', exit_code: 5 });
    expect(r.byId.health!.detail).toMatch(/ECONNREFUSED/);
    expect(r.byId.health!.fix).toBeTruthy();
    expect(r.byId.auth!.detail).toBe('skipped: the API is not reachable');
  });

  it('a health endpoint that answers 404: fails reachability (exit 5) but still checks the key', async () => {
    api.fault({ method: 'GET', path: '/v1/health', status: 404, body: { code: 'NOT_FOUND', message: 'no such route', errors: null } });
    const r = await doctor(goodEnv());
    expect(r.code).toBe(5);
    expect(r.byId.health!.fix).toMatch(/--base-url/);
    expect(r.byId.auth!.status).toBe('pass');
  });
});

describe('doctor and the config file', () => {
  const KEY = 'rf_live_fromconfigfile999';

  function configDir(contents: string, mode: number): string {
    const dir = path.join(tempDir('rfe-doctor-'), 'cfg');
    fs.mkdirSync(dir, { mode: 0o700 });
    fs.chmodSync(dir, 0o700);
    const file = path.join(dir, 'config.json');
    fs.writeFileSync(file, contents);
    fs.chmodSync(file, mode);
    return dir;
  }

  it('a 0600 file holding the key passes and the key is used, not printed', async () => {
    const dir = configDir(JSON.stringify({ 'api-key': 'test-key', 'base-url': api.url }), 0o600);
    const r = await doctor({ RUNFLOW_CONFIG_DIR: dir });
    expect(r.code).toBe(0);
    expect(r.byId.config).toMatchObject({ status: 'pass' });
    expect(r.byId.config!.detail).toMatch(/holds api-key, base-url, mode 0600/);
    expect(r.byId.api_key!.detail).toMatch(/config file/);
    expect(r.byId.base_url!.detail).toContain('config base-url');
  });

  it.skipIf(process.platform === 'win32')('a key in a file other users can read fails with exit 2 and the chmod fix', async () => {
    const dir = configDir(JSON.stringify({ 'api-key': KEY }), 0o644);
    const r = await doctor({ RUNFLOW_CONFIG_DIR: dir, RUNFLOW_BASE_URL: api.url });
    expect(r.code).toBe(2);
    expect(r.byId.config).toMatchObject({ status: 'fail', exit_code: 2 });
    expect(r.byId.config!.fix).toContain('chmod 600');
    expect(r.stdout + r.stderr).not.toContain(KEY);
  });

  it('a corrupt file fails with exit 2 naming it, and the other checks still run', async () => {
    const dir = configDir('{"api-key": ', 0o600);
    const r = await doctor({ RUNFLOW_CONFIG_DIR: dir, ...goodEnv() });
    expect(r.code).toBe(2);
    expect(r.byId.config!.detail).toContain(path.join(dir, 'config.json'));
    expect(r.byId.config!.detail).toMatch(/not valid JSON/);
    expect(r.byId.health!.status).toBe('pass');
    expect(r.byId.auth!.status).toBe('pass');
  });

  it('warns about keys it does not know (a typo would silently do nothing)', async () => {
    const dir = configDir(JSON.stringify({ apikey: KEY }), 0o600);
    const r = await doctor({ RUNFLOW_CONFIG_DIR: dir, ...goodEnv() });
    expect(r.byId.config).toMatchObject({ status: 'warn' });
    expect(r.byId.config!.detail).toContain('apikey');
    expect(r.stdout).not.toContain(KEY);
  });
});

describe('doctor and proxies', () => {
  it('shows the proxy with its credentials masked; loopback bypasses it', async () => {
    const r = await doctor({ ...goodEnv(), HTTPS_PROXY: 'http://alice:s3cretpass@proxy.corp.example:3128', NO_PROXY: 'internal.example' });
    expect(r.code).toBe(0);
    expect(r.byId.proxy!.detail).toContain('HTTPS_PROXY=http://***@proxy.corp.example:3128');
    expect(r.byId.proxy!.detail).toContain('loopback');
    expect(r.stdout).not.toContain('s3cretpass');
    expect(r.stdout).not.toContain('alice');
  });

  it('an invalid proxy URL fails with exit 2 without echoing it', async () => {
    const r = await doctor({ ...goodEnv(), HTTPS_PROXY: 'not a url:secretish' });
    expect(r.code).toBe(2);
    expect(r.byId.proxy).toMatchObject({ status: 'fail', exit_code: 2 });
    expect(r.stdout).not.toContain('secretish');
    expect(r.byId.health!.detail).toMatch(/^skipped: /);
  });

  it('says whether requests to the API go through the proxy', () => {
    const env = { https_proxy: 'http://proxy:3128', NO_PROXY: '.corp.example,other:8443' };
    expect(proxyCheck(env, 'https://api.runflow.io').detail).toContain('requests to api.runflow.io go through https_proxy');
    expect(proxyCheck(env, 'https://api.corp.example').detail).toContain('matches NO_PROXY');
    expect(proxyCheck(env, 'https://other').detail).toContain('go through'); // port 443, not 8443
    expect(proxyCheck({ HTTP_PROXY: 'http://proxy:3128' }, 'https://api.runflow.io').detail).toContain('go through HTTP_PROXY');
    expect(proxyCheck({}, 'https://api.runflow.io')).toMatchObject({ status: 'pass', detail: 'none (direct connection)' });
    expect(maskProxyUrl('https://user:pw@p.example:8080/x')).toBe('https://***@p.example:8080/x');
    expect(maskProxyUrl('::nope')).toBeUndefined();
  });
});

describe('doctor --sandbox', () => {
  it('passes every check that can pass against the built-in API', async () => {
    const r = await doctor({}, ['--sandbox']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.doc.checks.map((c) => c.id)).toEqual(ORDER);
    for (const c of r.doc.checks) {
      // Node 20 is supported but end-of-life: the only warning allowed here.
      if (c.id === 'node' && process.versions.node.startsWith('20.')) expect(c.status).toBe('warn');
      else expect(c.status, `${c.id}: ${c.detail}`).toBe('pass');
    }
  });
});

describe('nodeCheck', () => {
  it('fails below 20.18.1, warns on Node 20, passes on 22 and later', () => {
    expect(nodeCheck('20.18.0')).toMatchObject({ status: 'fail', exit_code: 2 });
    expect(nodeCheck('18.20.4').status).toBe('fail');
    expect(nodeCheck('20.18.1')).toMatchObject({ status: 'warn', detail: expect.stringContaining('Node 22 or 24 recommended') });
    expect(nodeCheck('22.12.0').status).toBe('pass');
    expect(nodeCheck('24.0.0').status).toBe('pass');
  });
});
