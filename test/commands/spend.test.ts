/**
 * Spend control (SPEC §3 "Reruns, spend and the cache", gate --max-failures): the submission
 * record in the cache folder, the balance preflight, and --max-failures, against the fake API.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeApi } from '../helpers/fake-api.js';
import { runCli, tempDir } from '../helpers/run-cli.js';

const KEY = 'test-key-SECRET-0123456789';
let api: FakeApi;
let env: Record<string, string>;
let dir: string;

const url = (name: string) => `https://img.example.com/${name}.png`;
const posts = () => api.find('POST', '/v1/evaluations');
const balanceReads = () => api.find('GET', '/v1/billing/balance');

beforeAll(async () => {
  api = await FakeApi.start({ apiKeys: [KEY] });
  dir = tempDir('rfe-spend-');
  for (const [name, color] of [['a.png', '#ff0000'], ['b.png', '#00ff00'], ['c.png', '#0000ff']] as const) {
    await sharp({ create: { width: 32, height: 32, channels: 3, background: color } }).png().toFile(path.join(dir, name));
  }
});
afterAll(async () => {
  await api.close();
});
// Every test ends with no request to an unknown route and no queued fault left unmatched.
afterEach(() => api.verify());
beforeEach(() => {
  api.reset();
  api.setOutcome((body: { generated_image_url: string }) =>
    body.generated_image_url.includes('fail') ? { overall_passed: false, weighted_pass_rate: 0.3, durationMs: 30 } : { durationMs: 30 },
  );
  env = { RUNFLOW_BASE_URL: api.url, RUNFLOW_API_KEY: KEY, RUNFLOW_CONFIG_DIR: tempDir(), RUNFLOW_CACHE_DIR: tempDir('rfe-cache-') };
});

/** Every file under a folder, recursively, with its content. */
function filesUnder(root: string): Array<{ file: string; text: string }> {
  const out: Array<{ file: string; text: string }> = [];
  if (!fs.existsSync(root)) return out;
  for (const entry of fs.readdirSync(root, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    out.push({ file, text: fs.readFileSync(file, 'latin1') });
  }
  return out;
}

describe('the submission record', () => {
  it('a gate rerun after the service forgot its keys creates no evaluation: it reads them back by id', async () => {
    const images = [url('a'), url('b'), path.join(dir, 'a.png')];
    const first = await runCli(['gate', ...images, '--task-type', 't', '--json'], env);
    expect(first.code).toBe(0);
    expect(posts()).toHaveLength(3);
    expect(JSON.parse(first.stdout).counts.reused).toBe(0);

    api.forgetIdempotencyKeys();
    const before = api.evaluations.size;
    const again = await runCli(['gate', ...images, '--task-type', 't', '--json'], env);
    expect(again.code).toBe(0);
    expect(posts()).toHaveLength(3);
    expect(api.evaluations.size).toBe(before);
    const doc = JSON.parse(again.stdout);
    expect(doc.counts).toMatchObject({ total: 3, passed: 3, reused: 3 });
    expect(doc.results.map((r: { evaluation_id: string }) => r.evaluation_id)).toEqual(JSON.parse(first.stdout).results.map((r: { evaluation_id: string }) => r.evaluation_id));
    expect(doc.results.every((r: { reused?: boolean }) => r.reused === true)).toBe(true);

    // The human summary says so too.
    const human = await runCli(['gate', ...images, '--task-type', 't'], env);
    expect(human.stdout).toMatch(/3\/3 passed, threshold 0\.00, total cost \S+ \(3 reused from the cache, not billed again\)/);
  });

  it('a submit rerun reads the recorded evaluation instead of posting; --resubmit posts and the next rerun reuses the new one', async () => {
    const first = await runCli(['submit', url('s'), '--task-type', 't'], env);
    expect(first.code).toBe(0);
    api.forgetIdempotencyKeys();
    const again = await runCli(['submit', url('s'), '--task-type', 't', '--json'], env);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).id).toBe(first.stdout.trim());
    expect(posts()).toHaveLength(1);
    expect(again.stderr).toContain('reusing evaluation');

    const fresh = await runCli(['submit', url('s'), '--task-type', 't', '--resubmit'], env);
    expect(posts()).toHaveLength(2);
    expect(fresh.stdout.trim()).not.toBe(first.stdout.trim());
    const third = await runCli(['submit', url('s'), '--task-type', 't'], env);
    expect(third.stdout.trim()).toBe(fresh.stdout.trim());
    expect(posts()).toHaveLength(2);
  });

  it('a recorded id the service no longer knows (404) is submitted again with the same key', async () => {
    const first = await runCli(['gate', url('a'), '--task-type', 't', '--json'], env);
    const id = JSON.parse(first.stdout).results[0].evaluation_id;
    const key = posts()[0].headers['idempotency-key'];
    api.forgetEvaluation(id);

    const again = await runCli(['gate', url('a'), '--task-type', 't', '--json'], env);
    expect(again.code).toBe(0);
    expect(api.find('GET', `/v1/evaluations/${id}`).some((r) => r.status === 404)).toBe(true);
    expect(posts()).toHaveLength(2);
    expect(posts()[1].headers['idempotency-key']).toBe(key);
    const doc = JSON.parse(again.stdout);
    expect(doc.results[0].evaluation_id).not.toBe(id);
    expect(doc.counts.reused).toBe(0);

    // The record now holds the new id: a third run posts nothing.
    const third = await runCli(['gate', url('a'), '--task-type', 't', '--json'], env);
    expect(JSON.parse(third.stdout).results[0].evaluation_id).toBe(doc.results[0].evaluation_id);
    expect(posts()).toHaveLength(2);
  });

  it('--resubmit bypasses the record', async () => {
    await runCli(['gate', url('a'), '--task-type', 't'], env);
    const r = await runCli(['gate', url('a'), '--task-type', 't', '--resubmit', '--json'], env);
    expect(r.code).toBe(0);
    expect(posts()).toHaveLength(2);
    expect(JSON.parse(r.stdout).counts.reused).toBe(0);
  });

  it('two gates writing the record at once lose nothing', async () => {
    const left = Array.from({ length: 40 }, (_, i) => url(`left-${i}`));
    const right = Array.from({ length: 40 }, (_, i) => url(`right-${i}`));
    const [a, b] = await Promise.all([
      runCli(['gate', ...left, '--task-type', 't', '--json'], env),
      runCli(['gate', ...right, '--task-type', 't', '--json'], env),
    ]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(posts()).toHaveLength(80);

    api.forgetIdempotencyKeys();
    const r = await runCli(['gate', ...left, ...right, '--task-type', 't', '--json'], env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).counts.reused).toBe(80);
    expect(posts()).toHaveLength(80);
  });

  it('never holds the API key, and lives in RUNFLOW_CACHE_DIR, not beside the credentials', async () => {
    await runCli(['gate', url('a'), path.join(dir, 'b.png'), '--task-type', 't', '--upload'], env);
    const files = filesUnder(env.RUNFLOW_CACHE_DIR);
    expect(files.some((f) => f.file.includes(`${path.sep}submissions${path.sep}`))).toBe(true);
    expect(files.some((f) => f.file.endsWith('assets.json'))).toBe(true);
    for (const f of files) expect(f.text).not.toContain(KEY);
    expect(fs.readdirSync(env.RUNFLOW_CONFIG_DIR)).not.toContain('assets.json');
  });

  it('defaults to $XDG_CACHE_HOME/runflow-eval, else ~/.cache/runflow-eval', async () => {
    const home = tempDir('rfe-home-');
    const xdg = tempDir('rfe-xdg-');
    const { RUNFLOW_CACHE_DIR: _unused, ...rest } = env;
    await runCli(['gate', url('a'), '--task-type', 't'], { ...rest, HOME: home, XDG_CACHE_HOME: xdg, RUNFLOW_CACHE_DIR: undefined });
    expect(fs.existsSync(path.join(xdg, 'runflow-eval', 'submissions'))).toBe(true);
    await runCli(['gate', url('b'), '--task-type', 't'], { ...rest, HOME: home, RUNFLOW_CACHE_DIR: undefined });
    expect(fs.existsSync(path.join(home, '.cache', 'runflow-eval', 'submissions'))).toBe(true);
  });

  it('moves uploaded-asset references from the config folder, so an upgrade uploads nothing again', async () => {
    const file = path.join(dir, 'c.png');
    // An older version recorded the upload in the config folder.
    const oldCache = { ...env, RUNFLOW_CACHE_DIR: env.RUNFLOW_CONFIG_DIR };
    await runCli(['submit', file, '--task-type', 't', '--upload'], oldCache);
    expect(fs.existsSync(path.join(env.RUNFLOW_CONFIG_DIR, 'assets.json'))).toBe(true);
    expect(api.find('POST', '/v1/asset-uploads')).toHaveLength(1);

    const r = await runCli(['submit', file, '--task-type', 't', '--upload', '--resubmit'], env);
    expect(r.code).toBe(0);
    expect(api.find('POST', '/v1/asset-uploads')).toHaveLength(1);
    expect(fs.existsSync(path.join(env.RUNFLOW_CACHE_DIR, 'assets.json'))).toBe(true);
    expect(fs.existsSync(path.join(env.RUNFLOW_CONFIG_DIR, 'assets.json'))).toBe(false);
  });

  it('--sandbox neither reads nor writes the cache folder', async () => {
    const r = await runCli(['gate', path.join(dir, 'a.png'), '--sandbox', '--task-type', 't', '--attr', 'min_side:=16', '--json'], env);
    expect(JSON.parse(r.stdout).counts.total).toBe(1);
    expect(filesUnder(env.RUNFLOW_CACHE_DIR)).toEqual([]);
  });
});

describe('the balance preflight', () => {
  it('reads the balance once before the first submission', async () => {
    const r = await runCli(['gate', url('a'), url('b'), '--task-type', 't'], env);
    expect(r.code).toBe(0);
    expect(balanceReads()).toHaveLength(1);
    const firstPost = api.requests.findIndex((q) => q.method === 'POST' && q.path === '/v1/evaluations');
    expect(api.requests.findIndex((q) => q.path === '/v1/billing/balance')).toBeLessThan(firstPost);
  });

  for (const shape of ['decimal', 'cents'] as const) {
    it(`balance too low (${shape} shape) exits 4 before sending anything, naming balance, amount and count`, async () => {
      api.options.balance = '1.00';
      api.options.balanceShape = shape;
      const r = await runCli(['gate', url('a'), url('b'), url('c'), '--task-type', 't'], env);
      expect(r.code).toBe(4);
      expect(posts()).toHaveLength(0);
      // 3 × 0.400000 = 1.200000 against 1.00
      expect(r.stderr).toMatch(/balance 1\.00( USD)? is below the 1\.200000( USD)? needed for 3 new evaluations/);
    });

    it(`a balance that covers the run (${shape} shape) goes on`, async () => {
      api.options.balance = '1.20';
      api.options.balanceShape = shape;
      const r = await runCli(['gate', url('a'), url('b'), url('c'), '--task-type', 't'], env);
      expect(r.code).toBe(0);
      expect(posts()).toHaveLength(3);
      expect(r.stderr).not.toContain('balance');
    });
  }

  it('reused evaluations cost nothing: a rerun needs no balance and reads none', async () => {
    await runCli(['gate', url('a'), url('b'), '--task-type', 't'], env);
    api.options.balance = '0.00';
    const r = await runCli(['gate', url('a'), url('b'), '--task-type', 't', '--json'], env);
    expect(r.code).toBe(0);
    expect(balanceReads()).toHaveLength(1);
    // One new image among reused ones: only its price is needed.
    api.options.balance = '0.50';
    const more = await runCli(['gate', url('a'), url('b'), url('c'), '--task-type', 't', '--json'], env);
    expect(more.code).toBe(0);
    expect(posts()).toHaveLength(3);
  });

  const unreadable: Array<[string, () => void, RegExp]> = [
    ['the key lacks the scope (403)', () => (api.options.scopes = { [KEY]: ['evaluations:create', 'evaluations:read'] }), /403/],
    ['the endpoint is missing (404)', () => (api.options.balance = null), /404/],
    ['another shape', () => (api.options.balanceBody = { credits: 12 }), /neither "balance"/],
    ['another currency than the price', () => Object.assign(api.options, { balanceShape: 'cents', balanceCurrency: 'EUR', balance: '0.01' }), /EUR.*USD/],
  ];
  for (const [what, setUp, reason] of unreadable) {
    it(`an unreadable balance (${what}) is said once on stderr and the gate goes on`, async () => {
      setUp();
      const r = await runCli(['gate', url('a'), url('b'), '--task-type', 't', '--json'], env);
      expect(r.code).toBe(0);
      expect(posts()).toHaveLength(2);
      const warnings = r.stderr.split('\n').filter((l) => l.includes('could not check the balance'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(reason);
    });
  }

  it('--no-balance-check reads no balance', async () => {
    api.options.balance = '0.00';
    const r = await runCli(['gate', url('a'), '--task-type', 't', '--no-balance-check'], env);
    expect(r.code).toBe(0);
    expect(balanceReads()).toHaveLength(0);
  });

  it('--dry-run shows the balance, whether it covers the run, and what is reused', async () => {
    await runCli(['gate', url('a'), '--task-type', 't'], env);
    api.options.balance = '0.50';
    const r = await runCli(['gate', url('a'), url('b'), url('c'), '--task-type', 't', '--dry-run', '--json'], env);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ dry_run: true, evaluations: 2, price: '0.400000', total: '0.800000', reused: 1, balance: '0.50', covered: false });
    expect(posts()).toHaveLength(1);

    api.options.balanceShape = 'cents';
    api.options.balance = '124.50';
    const human = await runCli(['gate', url('a'), url('b'), url('c'), '--task-type', 't', '--dry-run'], env);
    expect(human.stdout).toContain('balance: 124.50 USD; covers the 0.800000 needed for 2 new evaluations');
    expect(human.stdout).toContain('1 already evaluated');
  });

  it('--max-cost counts only new evaluations', async () => {
    await runCli(['gate', url('a'), url('b'), '--task-type', 't'], env);
    const r = await runCli(['gate', url('a'), url('b'), url('c'), '--task-type', 't', '--max-cost', '0.5'], env);
    expect(r.code).toBe(0);
    const over = await runCli(['gate', url('a'), url('d'), url('e'), '--task-type', 't', '--max-cost', '0.5'], env);
    expect(over.code).toBe(2);
    expect(over.stderr).toContain('2 evaluations');
  });

  it('doctor shows the balance', async () => {
    api.options.balanceShape = 'cents';
    api.options.balance = '124.50';
    const r = await runCli(['doctor', '--json'], env);
    const check = JSON.parse(r.stdout).checks.find((c: { id: string }) => c.id === 'balance');
    expect(check).toMatchObject({ status: 'pass', detail: '124.50 USD' });
    api.options.balance = null;
    const missing = await runCli(['doctor', '--json'], env);
    expect(JSON.parse(missing.stdout).checks.find((c: { id: string }) => c.id === 'balance')).toMatchObject({ status: 'warn' });
    expect(missing.code).toBe(0);
  });
});

describe('--max-failures', () => {
  it('stops submitting once N images failed; the rest are not_submitted', async () => {
    const images = [url('fail-1'), url('fail-2'), ...Array.from({ length: 10 }, (_, i) => url(`ok-${i}`))];
    const r = await runCli(['gate', ...images, '--task-type', 't', '--max-failures', '2', '--concurrency', '1', '--json'], env);
    expect(r.code).toBe(1);
    expect(posts()).toHaveLength(2);
    const doc = JSON.parse(r.stdout);
    expect(doc.results.slice(2).every((x: { status_code: string; evaluation_id: null }) => x.status_code === 'not_submitted' && x.evaluation_id === null)).toBe(true);
    expect(doc.counts).toMatchObject({ total: 12, passed: 0, failed: 2 });
  });

  it('a run broken from the start pays for N images, not for a whole --concurrency sent before the first verdict', async () => {
    const images = Array.from({ length: 12 }, (_, i) => url(`fail-${i}`));
    const r = await runCli(['gate', ...images, '--task-type', 't', '--max-failures', '3', '--json'], env);
    expect(r.code, r.stderr).toBe(1);
    expect(posts()).toHaveLength(3);
    const doc = JSON.parse(r.stdout);
    expect(doc.counts).toMatchObject({ total: 12, failed: 3, interrupted: 9 });
    expect(doc.results.slice(3).every((x: { status_code: string }) => x.status_code === 'not_submitted')).toBe(true);
  });

  it('a healthy run opens up as its images pass, and gates them all', async () => {
    const images = [url('fail-1'), ...Array.from({ length: 24 }, (_, i) => url(`ok-${i}`))];
    const r = await runCli(['gate', ...images, '--task-type', 't', '--max-failures', '2', '--json'], env);
    expect(r.code, r.stderr).toBe(1);
    expect(posts()).toHaveLength(25);
    expect(JSON.parse(r.stdout).counts).toMatchObject({ total: 25, passed: 24, failed: 1, interrupted: 0 });
  });

  it('does not stop below N', async () => {
    const r = await runCli(['gate', url('fail-1'), url('ok-1'), url('ok-2'), '--task-type', 't', '--max-failures', '2', '--json'], env);
    expect(r.code).toBe(1);
    expect(posts()).toHaveLength(3);
  });

  it('refuses a value that is not a whole number of at least 1', async () => {
    const r = await runCli(['gate', url('a'), '--task-type', 't', '--max-failures', '0'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--max-failures');
    expect(api.requests).toHaveLength(0);
  });
});
