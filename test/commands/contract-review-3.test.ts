/**
 * Session 3 of the black-box review against SPEC: findings left open by the last review and the
 * audit of the revised sections, one `describe` each, against the fake API.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeApi } from '../helpers/fake-api.js';
import { fastClock, runCli, tempDir } from '../helpers/run-cli.js';

const KEY = 'test-key';
let api: FakeApi;
let env: Record<string, string>;

beforeAll(async () => {
  api = await FakeApi.start();
});
afterAll(async () => {
  await api.close();
});
// Every test ends with no request to an unknown route and no queued fault left unmatched.
afterEach(() => api.verify());
beforeEach(() => {
  api.reset();
  api.setOutcome(undefined);
  env = { RUNFLOW_BASE_URL: api.url, RUNFLOW_API_KEY: KEY, RUNFLOW_CONFIG_DIR: tempDir(), RUNFLOW_CACHE_DIR: tempDir() };
});

const posts = () => api.find('POST', '/v1/evaluations');

describe('a requested report that cannot be written at the end fails the run (not only a warning)', () => {
  // The pre-check passes (the path is free); then, while the gate runs, something takes the path
  // (here a folder), as a full disk or a vanished mount would: the write fails at the end.
  function blockDuringRun(file: string): void {
    api.setOutcome(() => {
      fs.mkdirSync(file, { recursive: true });
      return {};
    });
  }

  it('a passing gate exits 5 naming the flag and the file; the results are still printed and the other reports written', async () => {
    const dir = tempDir();
    const junit = path.join(dir, 'junit.xml');
    const html = path.join(dir, 'report.html');
    blockDuringRun(junit);
    const r = await runCli(['gate', 'https://example.com/a.png', '--task-type', 't', '--junit', junit, '--report', html], env, { clock: fastClock() });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(new RegExp(`error: could not write a requested report: --junit ${junit.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    expect(r.stderr).toMatch(/the gate itself passed/);
    expect(r.stdout).toContain('https://example.com/a.png');
    expect(fs.existsSync(html)).toBe(true);
    expect(posts()).toHaveLength(1);
  });

  it('under --json the one document on stdout and the --json-file (written last) carry exit_code 5; passed stays the verdict', async () => {
    const dir = tempDir();
    const junit = path.join(dir, 'junit.xml');
    const jsonFile = path.join(dir, 'gate.json');
    blockDuringRun(junit);
    const r = await runCli(['gate', 'https://example.com/a.png', '--task-type', 't', '--junit', junit, '--json-file', jsonFile, '--json'], env, { clock: fastClock() });
    expect(r.code).toBe(5);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ passed: true, exit_code: 5 });
    expect(doc.error).toBeUndefined();
    expect(JSON.parse(fs.readFileSync(jsonFile, 'utf8'))).toMatchObject({ passed: true, exit_code: 5 });
  });

  it('a quality failure (1) becomes 5 too, the hint saying what the gate itself decided', async () => {
    const dir = tempDir();
    const jsonFile = path.join(dir, 'gate.json');
    api.setOutcome(() => {
      fs.mkdirSync(jsonFile, { recursive: true });
      return { overall_passed: false };
    });
    const r = await runCli(['gate', 'https://example.com/a.png', '--task-type', 't', '--json-file', jsonFile], env, { clock: fastClock() });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/the gate itself ended with exit 1/);
  });
});

describe('a zero deadline is bad input (exit 2, nothing sent), not a run that times out at once', () => {
  it('gate, wait and submit refuse --timeout 0s / 0 / 0ms naming the flag; a project file timeout of "0s" names the file', async () => {
    const id = '00000000-0000-4000-8000-000000000001';
    for (const value of ['0s', '0', '0ms']) {
      const gate = await runCli(['gate', 'https://example.com/a.png', '--task-type', 't', '--timeout', value], env);
      expect(gate.code).toBe(2);
      expect(gate.stderr).toContain(`--timeout ${value}: a deadline must be longer than 0`);
      const wait = await runCli(['wait', id, '--timeout', value], env);
      expect(wait.code).toBe(2);
      expect(wait.stderr).toContain('--timeout');
      const submit = await runCli(['submit', 'https://example.com/a.png', '--task-type', 't', '--timeout', value], env);
      expect(submit.code).toBe(2);
    }
    expect(api.requests).toHaveLength(0);

    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'runflow-eval.config.json'), JSON.stringify({ 'task-type': 't', timeout: '0s' }));
    const project = await runCli(['gate', 'https://example.com/a.png'], env, { cwd: dir });
    expect(project.code).toBe(2);
    expect(project.stderr).toContain('runflow-eval.config.json');
    expect(project.stderr).toContain('timeout');
    expect(api.requests).toHaveLength(0);

    // A real deadline still works.
    const ok = await runCli(['gate', 'https://example.com/a.png', '--task-type', 't', '--timeout', '30s'], env, { clock: fastClock() });
    expect(ok.code).toBe(0);
  });
});

describe('a proxy that refuses the tunnel is named with its status (not "UND_ERR_ABORTED")', () => {
  async function refusingProxy(status: number): Promise<{ url: string; connects: string[]; close(): Promise<void> }> {
    const http = await import('node:http');
    const connects: string[] = [];
    const server = http.createServer((_req, res) => res.writeHead(status).end());
    server.on('connect', (req, socket) => {
      connects.push(String(req.url));
      socket.end(`HTTP/1.1 ${status} Refused\r\nContent-Length: 0\r\n\r\n`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    return { url: `http://127.0.0.1:${port}`, connects, close: () => new Promise((resolve) => server.close(() => resolve())) };
  }

  it('403 and 407: the message names the proxy (without its password), its variable and status; exit 5; a gate stops after the first input', async () => {
    for (const status of [403, 407]) {
      const proxy = await refusingProxy(status);
      try {
        const proxyUrl = proxy.url.replace('http://', 'http://alice:s3cretpw@');
        const penv = { ...env, RUNFLOW_BASE_URL: 'https://api.runflow.invalid', HTTPS_PROXY: proxyUrl };
        const r = await runCli(['price'], penv, { clock: fastClock() });
        expect(r.code).toBe(5);
        expect(r.stderr).toContain(`could not connect to api.runflow.invalid: the proxy ${proxy.url} (HTTPS_PROXY) refused the connection with HTTP ${status}`);
        expect(r.stderr).toMatch(status === 407 ? /hint: the proxy wants credentials/ : /hint: the proxy does not allow api\.runflow\.invalid/);
        expect(r.stderr + r.stdout).not.toContain('s3cretpw');
        expect(r.stderr).not.toContain('UND_ERR_ABORTED');

        const before = proxy.connects.length;
        const gate = await runCli(['gate', 'https://e.com/a.png', 'https://e.com/b.png', 'https://e.com/c.png', '--task-type', 't', '--no-balance-check', '--json'], penv, { clock: fastClock() });
        expect(gate.code).toBe(5);
        const doc = JSON.parse(gate.stdout);
        expect(doc.error).toMatchObject({ exit_code: 5, details: { proxy: proxy.url, proxy_variable: 'HTTPS_PROXY', proxy_status: status } });
        // The service is out of reach through this proxy: one input tried, not every one.
        expect(proxy.connects.length - before).toBe(1);
      } finally {
        await proxy.close();
      }
    }
  });
});

describe('gate merge keeps inputs that share an evaluation (identical files, items differing in threshold)', () => {
  it('a document merged alone says what the gate said: same counts, same exit code, every input', async () => {
    const dir = tempDir();
    // Two manifest items with the same image and body share one idempotency key, so one evaluation;
    // only their thresholds differ: the strict one fails.
    api.setOutcome(() => ({ overall_passed: true, weighted_pass_rate: 0.7 }));
    const manifest = path.join(dir, 'm.jsonl');
    fs.writeFileSync(manifest, ['{"image":"https://e.com/same.png","threshold":0.5}', '{"image":"https://e.com/same.png","threshold":0.9}', '{"image":"https://e.com/other.png"}'].join('\n'));
    const whole = path.join(dir, 'whole.json');
    const gate = await runCli(['gate', '--manifest', manifest, '--task-type', 't', '--json-file', whole], env, { clock: fastClock() });
    expect(gate.code).toBe(1);
    const doc = JSON.parse(fs.readFileSync(whole, 'utf8'));
    expect(doc.results[0].evaluation_id).toBe(doc.results[1].evaluation_id);

    const merged = await runCli(['gate', 'merge', whole, '--json'], env);
    expect(merged.code).toBe(1);
    const m = JSON.parse(merged.stdout);
    expect(m.counts).toEqual(doc.counts);
    expect(m.results.map((r: { threshold: number; passed: boolean }) => [r.threshold, r.passed])).toEqual([[0.5, true], [0.9, false], [0, true]]);
    expect(merged.stderr).not.toMatch(/counted once/);

    // Shards of it too: the shard holding both items keeps both.
    const shards = [1, 2].map((i) => path.join(dir, `s${i}.json`));
    for (const [i, file] of shards.entries()) {
      await runCli(['gate', '--manifest', manifest, '--task-type', 't', '--shard', `${i + 1}/2`, '--json-file', file], env, { clock: fastClock() });
    }
    const fromShards = await runCli(['gate', 'merge', ...shards, '--json'], env);
    expect(fromShards.code).toBe(1);
    expect(JSON.parse(fromShards.stdout).counts.total).toBe(3);
  });
});

describe('ids left running are listed once each, however many inputs share them', () => {
  it('the deadline message counts and lists evaluations, not inputs', async () => {
    api.setOutcome(() => ({ durationMs: Infinity }));
    const r = await runCli(['gate', 'https://e.com/same.png', 'https://e.com/same.png', 'https://e.com/other.png', '--task-type', 't', '--timeout', '1s'], env, { clock: fastClock() });
    expect(r.code).toBe(6);
    const line = r.stderr.split('\n').find((l) => l.startsWith('deadline passed'))!;
    expect(line).toMatch(/^deadline passed with 2 evaluation\(s\) still pending: [0-9a-f-]{36}, [0-9a-f-]{36}$/);
  });
});

describe('help takes the global flags like every command (SPEC §3)', () => {
  it('help exit-codes --json (or --json before it) prints the table as one JSON document; --verbose/--no-color are accepted', async () => {
    for (const argv of [['help', 'exit-codes', '--json'], ['--json', 'help', 'exit-codes']]) {
      const r = await runCli(argv, env);
      expect(r.code).toBe(0);
      const doc = JSON.parse(r.stdout);
      expect(doc.exit_codes.map((e: { code: number }) => e.code)).toEqual([0, 1, 2, 3, 4, 5, 6, 130, 143]);
      expect(doc.exit_codes[1].meaning).toMatch(/fell below the bar/);
    }
    const plain = await runCli(['help', 'exit-codes', '--verbose', '--no-color'], env);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/^code +meaning/);
    const gate = await runCli(['help', 'gate', '--json'], env);
    expect(gate.code).toBe(0);
    expect(JSON.parse(gate.stdout)).toMatchObject({ topic: 'gate', help: expect.stringContaining('Usage: runflow-eval gate') });
    const unknown = await runCli(['help', 'nosuch', '--json'], env);
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.stdout).error.message).toContain("unknown help topic 'nosuch'");
  });
});

describe('gate --dry-run --json names every input it checked', () => {
  it('inputs keeps SPEC shape for submissions; ids to gate and broken files are added beside it, only when present', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'empty.png'), '');
    const id = '00000000-0000-4000-8000-000000000009';
    const r = await runCli(['gate', 'https://e.com/a.png', dir, '--id', id, '--task-type', 't', '--dry-run', '--json'], env);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.inputs).toEqual([{ image: 'https://e.com/a.png', task_type: 't' }]);
    expect(doc.existing).toEqual([id]);
    expect(doc.invalid).toEqual([{ image: path.join(dir, 'empty.png'), error: expect.stringContaining('is empty') }]);
    const plain = await runCli(['gate', 'https://e.com/a.png', '--task-type', 't', '--dry-run', '--json'], env);
    expect(Object.keys(JSON.parse(plain.stdout))).not.toContain('existing');
    expect(Object.keys(JSON.parse(plain.stdout))).not.toContain('invalid');
    expect(posts()).toHaveLength(0);
  });
});

describe('--threshold hints a percentage only where one is likely', () => {
  it('80 hints 0.8; 1.5 gets no 0.015 guess', async () => {
    const pct = await runCli(['gate', 'https://e.com/a.png', '--task-type', 't', '--threshold', '80'], env);
    expect(pct.code).toBe(2);
    expect(pct.stderr).toContain('did you mean --threshold 0.8?');
    const odd = await runCli(['gate', 'https://e.com/a.png', '--task-type', 't', '--threshold', '1.5'], env);
    expect(odd.code).toBe(2);
    expect(odd.stderr).toContain('--threshold must be a number from 0.0 to 1.0 (got "1.5")');
    expect(odd.stderr).not.toContain('0.015');
  });
});

describe('a server that does not speak TLS gets a hint about the URL, not about certificates', () => {
  it('https:// to a plain http server: exit 5, the hint names the scheme and port of the base URL', async () => {
    const r = await runCli(['price'], { ...env, RUNFLOW_BASE_URL: api.url.replace('http:', 'https:') }, { clock: fastClock() });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/could not connect to 127\.0\.0\.1:\d+: ERR_SSL_WRONG_VERSION_NUMBER/);
    expect(r.stderr).toContain('hint: the server did not answer in TLS: check the scheme and port of --base-url');
    expect(r.stderr).not.toContain('NODE_EXTRA_CA_CERTS');
  });
});

describe('images --max-failures kept from being sent say why in the reports', () => {
  it('the table and JUnit name --max-failures, not "the gate was stopped first" (which reads as an interrupt)', async () => {
    api.setOutcome(() => ({ overall_passed: false, weighted_pass_rate: 0.2 }));
    const junit = path.join(tempDir(), 'junit.xml');
    const r = await runCli(['gate', 'https://e.com/a.png', 'https://e.com/b.png', '--task-type', 't', '--max-failures', '1', '--concurrency', '1', '--junit', junit], env, { clock: fastClock() });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/b\.png +— +NOT_SUBMITTED +not_submitted: never sent, stopped because .*\(--max-failures 1\)/);
    expect(fs.readFileSync(junit, 'utf8')).toContain('--max-failures 1');
  });
});

describe('a gate that ends in an error with no results still leaves its --json-file', () => {
  it('the file holds the error document --json prints; gate merge then names the shard that failed', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'shard.json');
    api.fault({ method: 'POST', path: '/v1/evaluations', status: 401, body: { code: 'UNAUTHORIZED', message: 'Invalid or revoked API key.' } });
    const r = await runCli(['gate', 'https://e.com/a.png', '--task-type', 't', '--json-file', file, '--no-balance-check'], env, { clock: fastClock() });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`wrote ${file}`);
    const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(doc.error).toMatchObject({ code: 'UNAUTHORIZED', exit_code: 4, status: 401 });
    const merged = await runCli(['gate', 'merge', file], env);
    expect(merged.code).toBe(2);
    expect(merged.stderr).toContain('this shard ended with an error and no results (UNAUTHORIZED');
    // Bad input refused before the report paths are checked writes nothing.
    const bad = path.join(dir, 'bad.json');
    const usage = await runCli(['gate', 'https://e.com/a.png', '--task-type', 't', '--json-file', bad, '--threshold', '7'], env);
    expect(usage.code).toBe(2);
    expect(fs.existsSync(bad)).toBe(false);
  });
});

describe('--max-cost refusal names the flag, the limit and the count in words', () => {
  it('one evaluation over the limit reads "1 evaluation", exit 2, nothing sent', async () => {
    const r = await runCli(['gate', 'https://e.com/a.png', '--task-type', 't', '--max-cost', '0'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error: --max-cost 0: 1 evaluation × [\d.]+ = [\d.]+.*over the limit; nothing was sent/);
    expect(posts()).toHaveLength(0);
  });
});
