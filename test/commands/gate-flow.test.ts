/**
 * Flow control (SPEC §3 gate "Flow control", §6) against the fake's models of the service: a
 * worker queue with a request-rate limit answered without headers (the documented service), an
 * early burst of 429s, mixed faults, and an older deployment's in-flight limit with Retry-After.
 * Bounds are ratios to the fake's ideal makespan with generous slack (the machine is shared);
 * the bench states the tight figures.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeApi, type FakeApiOptions } from '../helpers/fake-api.js';
import { runCli, tempDir } from '../helpers/run-cli.js';

const KEY = 'test-key';
let api: FakeApi | undefined;

afterEach(async () => {
  // Every test ends with no request to an unknown route and no queued fault left unmatched.
  try {
    api?.verify();
  } finally {
    await api?.close();
    api = undefined;
  }
});

const images = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `https://img.example.com/${prefix}-${i}.png`);

async function gate(opts: FakeApiOptions, inputs: string[], extra: string[] = [], durations?: (i: number) => number) {
  api = await FakeApi.start(opts);
  if (durations) api.setOutcome((_body, i) => ({ durationMs: durations(i) }));
  const env = { RUNFLOW_BASE_URL: api.url, RUNFLOW_API_KEY: KEY, RUNFLOW_CONFIG_DIR: tempDir() };
  const started = Date.now();
  // The balance preflight's reads (price, balance) share the gate's request budget: they count.
  const r = await runCli(['gate', ...inputs, '--task-type', 't', '--json', ...extra], env);
  return { r, api, took: Date.now() - started, doc: JSON.parse(r.stdout || '{}') };
}

/** Every input created exactly one evaluation, and every retry of a submission kept its key. */
function expectExactlyOnce(fake: FakeApi, doc: { results: Array<{ evaluation_id: string }> }, n: number) {
  expect(fake.evaluations.size).toBe(n);
  expect(new Set(doc.results.map((x) => x.evaluation_id)).size).toBe(n);
  const keysByBody = new Map<string, Set<string>>();
  for (const q of fake.find('POST', '/v1/evaluations')) {
    const hash = createHash('sha256').update(q.body).digest('hex');
    const keys = keysByBody.get(hash) ?? new Set<string>();
    keys.add(q.headers['idempotency-key']);
    keysByBody.set(hash, keys);
  }
  expect(keysByBody.size).toBe(n);
  for (const keys of keysByBody.values()) expect(keys.size).toBe(1);
}

describe('gate flow control', () => {
  it('documented service (worker queue, 429 without headers): the queue never idles, few requests, few 429s', async () => {
    const n = 24;
    const { r, api: fake, took, doc } = await gate(
      { workers: 4, rateLimit: { limit: 15, windowMs: 1000, headers: false }, apiKeys: [KEY] },
      images(n, 'doc'),
      [],
      (i) => 600 + ((i * 37) % 5) * 200,
    );
    expect(r.code).toBe(0);
    expectExactlyOnce(fake, doc, n);
    // The service's workers had work whenever more was to come.
    expect(fake.workerBusyShare()).toBeGreaterThan(0.8);
    expect(took).toBeLessThan(fake.idealMakespan() * 2 + 4000);
    expect(fake.requests.length / n).toBeLessThan(4);
    expect(fake.rateLimited().share).toBeLessThan(0.15);
  }, 60_000);

  it('recovers after a burst of 429s on the first submissions: the early 429s do not cap the run', async () => {
    const n = 32;
    api = await FakeApi.start({ workers: 16, evalMs: 1000 });
    api.fault({ method: 'POST', path: '/v1/evaluations', status: 429, times: 5 });
    const env = { RUNFLOW_BASE_URL: api.url, RUNFLOW_API_KEY: KEY, RUNFLOW_CONFIG_DIR: tempDir() };
    const started = Date.now();
    const r = await runCli(['gate', ...images(n, 'burst'), '--task-type', 't', '--json'], env);
    const took = Date.now() - started;
    expect(r.code).toBe(0);
    expectExactlyOnce(api, JSON.parse(r.stdout), n);
    // Pinned at one in flight this would take n × 1 s; the queue was kept full instead.
    expect(api.peakInflight).toBeGreaterThanOrEqual(16);
    expect(took).toBeLessThan(api.idealMakespan() * 2 + 4000);
  }, 60_000);

  it('mixed faults (resets, lost responses, 5xx, 429, slow): each image exactly once, same key on every retry', async () => {
    const n = 30;
    // Without the balance preflight: a fault there only makes it warn; the submissions are the point.
    const { r, api: fake, doc } = await gate({ workers: 8, evalMs: 300, chaos: { rate: 0.2, seed: 5, slowMs: 800 } }, images(n, 'chaos'), ['--no-balance-check']);
    expect(r.code).toBe(0);
    expect(fake.requests.filter((q) => q.chaos).length).toBeGreaterThan(5);
    expectExactlyOnce(fake, doc, n);
  }, 90_000);

  it('honours Retry-After when it is sent: no request goes out before it has passed', async () => {
    api = await FakeApi.start({ evalMs: 1500 });
    api.fault({ method: 'GET', path: /^\/v1\/evaluations\/[^/]+$/, status: 429, headers: { 'retry-after': '2' } });
    const env = { RUNFLOW_BASE_URL: api.url, RUNFLOW_API_KEY: KEY, RUNFLOW_CONFIG_DIR: tempDir() };
    const r = await runCli(['gate', ...images(3, 'ra'), '--task-type', 't', '--json'], env);
    expect(r.code).toBe(0);
    const limited = api.requests.find((q) => q.status === 429);
    expect(limited).toBeDefined();
    // Requests already on their way when the 429 was answered are fine; none may start after it
    // until the Retry-After has passed.
    const early = api.requests.filter((q) => q.time > limited!.time + 100 && q.time < limited!.time + 1950);
    expect(early).toEqual([]);
  }, 30_000);

  it('an in-flight limit (429 + Retry-After on submissions while polls succeed): settles near the limit, never above it for long', async () => {
    const n = 16;
    const { r, api: fake, took, doc } = await gate({ maxInflight: 4, evalMs: 600 }, images(n, 'inflight'));
    expect(r.code).toBe(0);
    expectExactlyOnce(fake, doc, n);
    expect(fake.peakInflight).toBe(4);
    expect(took).toBeLessThan(fake.idealMakespan() * 1.75 + 1000);
    // Refusals are probes, not a storm: far fewer than the submissions.
    expect(fake.rateLimited().count).toBeLessThan(n);
  }, 30_000);
});
