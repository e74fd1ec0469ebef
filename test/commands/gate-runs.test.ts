import fs from 'node:fs';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { beforeEach, describe, expect, it } from 'vitest';
import type { FakeApi } from '../helpers/fake-api.js';
import { runCli, tempDir } from '../helpers/run-cli.js';
import { useFakeApi } from '../helpers/use-fake-api.js';

/**
 * `--runs N`, `--aggregate`, `--runs-within` (SPEC §3 gate "Repeats") against the fake. Each
 * image's runs get the scores of `plan[name]` in the order the fake creates them, so the
 * aggregate does not depend on which run the scheduler sends first.
 */

const fake = useFakeApi();
let api: FakeApi;
let env: Record<string, string>;
let plan: Record<string, Array<{ score: number; verdict?: boolean; failure?: string; durationMs?: number }>>;
let created: Record<string, number>;

const url = (name: string) => `https://img.example.com/${name}.png`;
const nameOf = (image: string) => /\/([^/]+)\.png$/.exec(image)?.[1] ?? '';
const posts = (name: string) => api.find('POST', '/v1/evaluations').filter((r) => JSON.parse(r.body).generated_image_url === url(name));
const keysOf = (name: string) => [...new Set(posts(name).map((r) => r.headers['idempotency-key']))];

beforeEach(() => {
  ({ api, env } = fake);
  plan = {};
  created = {};
  api.setOutcome((body: { generated_image_url: string }) => {
    const name = nameOf(body.generated_image_url);
    const n = created[name] ?? 0;
    created[name] = n + 1;
    const step = plan[name]?.[n] ?? { score: 0.9 };
    if (step.failure) return { status_code: 'failed', failure_code: step.failure, overall_passed: null, weighted_pass_rate: null, durationMs: 60 };
    return { overall_passed: step.verdict ?? true, weighted_pass_rate: step.score, top_issues: [`score ${step.score}`], durationMs: step.durationMs ?? 60 };
  });
});

describe('gate --runs', () => {
  it('--runs 3 evaluates each image three times with -run<k> keys and judges the median by default', async () => {
    plan = { a: [{ score: 0.6 }, { score: 0.9 }, { score: 0.84 }] };
    const r = await runCli(['gate', url('a'), '--task-type', 't', '--threshold', '0.8', '--runs', '3', '--json'], env);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    const res = doc.results[0];
    expect(res).toMatchObject({ weighted_pass_rate: 0.84, passed: true, overall_passed: true, status_code: 'completed', cost: '1.200000' });
    expect(res.runs).toHaveLength(3);
    expect(Object.keys(res.runs[0])).toEqual(['evaluation_id', 'status_code', 'overall_passed', 'weighted_pass_rate', 'cost']);
    expect(res.runs.map((x: { weighted_pass_rate: number }) => x.weighted_pass_rate).sort()).toEqual([0.6, 0.84, 0.9]);
    // The result names the run nearest the aggregate.
    expect(res.evaluation_id).toBe(res.runs.find((x: { weighted_pass_rate: number }) => x.weighted_pass_rate === 0.84).evaluation_id);
    const keys = keysOf('a');
    expect(keys).toHaveLength(3);
    const base = keys.find((k) => !/-run\d$/.test(k!))!;
    expect(keys.sort()).toEqual([base, `${base}-run2`, `${base}-run3`].sort());
    expect(doc.cost).toBe('1.200000');
  });

  it('--aggregate mean and min judge the same runs differently', async () => {
    const scores = [{ score: 0.6 }, { score: 0.9 }, { score: 0.84 }];
    plan = { a: scores };
    const mean = await runCli(['gate', url('a'), '--task-type', 't', '--threshold', '0.8', '--runs', '3', '--aggregate', 'mean', '--json'], env);
    expect(mean.code).toBe(1);
    expect(JSON.parse(mean.stdout).results[0]).toMatchObject({ weighted_pass_rate: 0.78, passed: false });

    // Fresh evaluations for the same image, with the same scores again.
    created = {};
    const min = await runCli(['gate', url('a'), '--task-type', 't', '--threshold', '0.5', '--runs', '3', '--aggregate', 'min', '--json', '--resubmit'], { ...env, RUNFLOW_CACHE_DIR: tempDir() });
    expect(min.code).toBe(0);
    expect(JSON.parse(min.stdout).results[0]).toMatchObject({ weighted_pass_rate: 0.6, passed: true });
  });

  it('passes only when more than half of the runs passed their verdict', async () => {
    plan = { a: [{ score: 0.95, verdict: false }, { score: 0.95, verdict: false }, { score: 0.95 }] };
    const r = await runCli(['gate', url('a'), '--task-type', 't', '--runs', '3', '--json'], env);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).results[0]).toMatchObject({ weighted_pass_rate: 0.95, overall_passed: false, passed: false });
  });

  it('needs more than half of its runs completed, or it is an error (exit 3)', async () => {
    plan = {
      ok: [{ score: 0.9 }, { score: 0.9, failure: 'processing_failed' }, { score: 0.8 }],
      bad: [{ score: 0.9 }, { score: 0, failure: 'processing_failed' }, { score: 0, failure: 'invalid_media' }],
    };
    const r = await runCli(['gate', url('ok'), url('bad'), '--task-type', 't', '--runs', '3', '--json'], env);
    expect(r.code).toBe(3);
    const [ok, bad] = JSON.parse(r.stdout).results;
    expect(ok).toMatchObject({ passed: true, status_code: 'completed', weighted_pass_rate: 0.85 });
    expect(bad).toMatchObject({ passed: false, status_code: 'failed' });
    expect(['processing_failed', 'invalid_media']).toContain(bad.failure_code);
    expect(bad.runs.filter((x: { status_code: string }) => x.status_code === 'failed')).toHaveLength(2);
  });

  it('--runs-within spends the further runs only on images whose first score is near their threshold', async () => {
    plan = {
      near: [{ score: 0.82 }, { score: 0.7 }, { score: 0.75 }],
      high: [{ score: 0.99 }],
      low: [{ score: 0.3 }],
    };
    const r = await runCli(['gate', url('near'), url('high'), url('low'), '--task-type', 't', '--threshold', '0.8', '--runs', '3', '--runs-within', '0.05', '--json'], env);
    expect(r.code).toBe(1);
    expect([posts('near').length, posts('high').length, posts('low').length]).toEqual([3, 1, 1]);
    const [near, high, low] = JSON.parse(r.stdout).results;
    // The first run said 0.82; the median of 0.82, 0.7, 0.75 says it fails.
    expect(near).toMatchObject({ weighted_pass_rate: 0.75, passed: false });
    expect(near.runs).toHaveLength(3);
    expect(high).toMatchObject({ weighted_pass_rate: 0.99, passed: true });
    expect(high.runs).toHaveLength(1);
    expect(low).toMatchObject({ weighted_pass_rate: 0.3, passed: false });
  });

  it('--runs-within sends an image\'s further runs once its own first score is in, not after every first run', async () => {
    plan = { near: [{ score: 0.82 }, { score: 0.81 }, { score: 0.83 }], slow: [{ score: 0.99, durationMs: 3000 }] };
    const r = await runCli(['gate', url('slow'), url('near'), '--task-type', 't', '--threshold', '0.8', '--runs', '3', '--runs-within', '0.05', '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    expect([posts('near').length, posts('slow').length]).toEqual([3, 1]);
    // The slow image's first run takes 3 s; near's further runs do not wait for it.
    const slowPosted = posts('slow')[0]!.time;
    const nearKeys = posts('near').map((q) => String(q.headers['idempotency-key']));
    expect(nearKeys.filter((k) => /-run[23]$/.test(k))).toHaveLength(2);
    for (const q of posts('near')) expect(q.time).toBeLessThan(slowPosted + 3000);
    expect(JSON.parse(r.stdout).results.map((x: { runs: unknown[] }) => x.runs.length)).toEqual([1, 3]);
  });

  it('a rerun of --runs 3 creates nothing new', async () => {
    plan = { a: [{ score: 0.7 }, { score: 0.8 }, { score: 0.9 }], b: [{ score: 0.9 }, { score: 0.9 }, { score: 0.9 }] };
    const args = ['gate', url('a'), url('b'), '--task-type', 't', '--runs', '3', '--json'];
    const first = await runCli(args, env);
    expect(first.code).toBe(0);
    expect(api.evaluations.size).toBe(6);
    const again = await runCli(args, env);
    expect(again.code).toBe(0);
    expect(api.evaluations.size).toBe(6);
    const ids = (out: string) => JSON.parse(out).results.flatMap((x: { runs: Array<{ evaluation_id: string }> }) => x.runs.map((y) => y.evaluation_id)).sort();
    expect(ids(again.stdout)).toEqual(ids(first.stdout));
  });

  it('each run is looked up in the record on its own: a rerun with more runs pays only for the runs missing', async () => {
    const base = ['gate', url('a'), url('b'), '--task-type', 't'];
    const first = await runCli([...base, '--runs', '2', '--json'], env);
    expect(first.code).toBe(0);
    expect(api.evaluations.size).toBe(4);
    // Only the record can spare a payment now: the service has forgotten every key.
    api.forgetIdempotencyKeys();
    const posted = () => api.find('POST', '/v1/evaluations').length;
    const postsBefore = posted();

    // Runs 1 and 2 are recorded for both images; run 3 is new: 2 evaluations at 0.4.
    const dry = await runCli([...base, '--runs', '3', '--dry-run', '--json'], env);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dry_run: true, evaluations: 2, reused: 4, total: '0.800000', covered: true });
    const human = await runCli([...base, '--runs', '3', '--dry-run'], env);
    expect(human.stdout).toContain('2 evaluations to submit (at most 3 runs per image), 4 already evaluated');

    // --max-cost and the balance check count the same two (counting 2 per image would be refused by both).
    api.options.balance = '0.80';
    const r = await runCli([...base, '--runs', '3', '--max-cost', '0.8', '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(posted() - postsBefore).toBe(2);
    const newKeys = api.find('POST', '/v1/evaluations').slice(postsBefore).map((q) => q.headers['idempotency-key']);
    expect(newKeys.every((k) => /-run3$/.test(String(k)))).toBe(true);
    const doc = JSON.parse(r.stdout);
    expect(doc.counts.reused).toBe(0);
    for (const res of doc.results) {
      expect(res.reused).toBeUndefined();
      expect(res.runs.map((x: { reused?: boolean }) => x.reused === true)).toEqual([true, true, false]);
    }
    const firstIds = JSON.parse(first.stdout).results.flatMap((x: { runs: Array<{ evaluation_id: string }> }) => x.runs.map((y) => y.evaluation_id));
    for (const id of firstIds) expect(doc.results.flatMap((x: { runs: Array<{ evaluation_id: string }> }) => x.runs.map((y) => y.evaluation_id))).toContain(id);

    // A balance below one run refuses when a run is missing, naming the count of runs missing.
    api.forgetIdempotencyKeys();
    api.options.balance = '0.30';
    const short = await runCli(['gate', url('a'), url('c'), '--task-type', 't', '--runs', '3'], env);
    expect(short.code).toBe(4);
    expect(short.stderr).toMatch(/needed for 3 new evaluations/);

    // Everything recorded: nothing new, no balance needed, every image reused.
    const again = await runCli([...base, '--runs', '3', '--json'], env);
    expect(again.code).toBe(0);
    expect(posted() - postsBefore).toBe(2);
    const last = JSON.parse(again.stdout);
    expect(last.counts.reused).toBe(2);
    expect(last.results.map((x: { reused?: boolean }) => x.reused)).toEqual([true, true]);
    const none = await runCli([...base, '--runs', '3', '--dry-run', '--json'], env);
    expect(JSON.parse(none.stdout)).toMatchObject({ evaluations: 0, reused: 6, total: '0.000000', covered: true });
  });

  it('--max-failures counts images, not runs: a run outvoted by the others stops nothing', async () => {
    // a: one noisy run below the bar, median 0.9: a pass. b: every run fails. c, d: fine.
    plan = { a: [{ score: 0.7 }, { score: 0.9 }, { score: 0.9 }], b: [{ score: 0.2 }, { score: 0.3 }, { score: 0.1 }] };
    const args = ['gate', url('a'), url('b'), url('c'), url('d'), '--task-type', 't', '--threshold', '0.8', '--runs', '3', '--max-failures', '1', '--concurrency', '1', '--json'];
    const r = await runCli(args, env);
    expect(r.code).toBe(1);
    const [a, b, c, d] = JSON.parse(r.stdout).results;
    expect(a).toMatchObject({ passed: true, weighted_pass_rate: 0.9 });
    // b failed as an image (all three runs made and folded), which stops c and d whole.
    expect(b).toMatchObject({ passed: false, status_code: 'completed', weighted_pass_rate: 0.2 });
    expect(b.runs).toHaveLength(3);
    expect(posts('b')).toHaveLength(3);
    for (const stopped of [c, d]) {
      expect(stopped).toMatchObject({ status_code: 'not_submitted', error: { code: 'MAX_FAILURES', exit_code: 1 } });
    }
    expect(posts('c').length + posts('d').length).toBe(0);
    expect(JSON.parse(r.stdout).counts).toMatchObject({ passed: 1, failed: 1, interrupted: 2 });
  });

  it('--dry-run and --max-cost count the most runs that can be made', async () => {
    const dry = await runCli(['gate', url('a'), url('b'), '--task-type', 't', '--runs', '3', '--runs-within', '0.1', '--dry-run', '--json'], env);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dry_run: true, evaluations: 6, runs: 3, total: '2.400000' });
    const human = await runCli(['gate', url('a'), url('b'), '--task-type', 't', '--runs', '3', '--dry-run'], env);
    expect(human.stdout).toContain('6 evaluations to submit (at most 3 runs per image)');

    const refused = await runCli(['gate', url('a'), url('b'), '--task-type', 't', '--runs', '3', '--max-cost', '2'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('6 evaluations');
    expect(api.find('POST', '/v1/evaluations')).toHaveLength(0);
  });

  it('refuses bad --runs, --aggregate and --runs-within before sending', async () => {
    for (const [argv, flag] of [
      [['--runs', '6'], '--runs'],
      [['--runs', '0'], '--runs'],
      [['--runs', '2.5'], '--runs'],
      [['--runs', '3', '--aggregate', 'max'], '--aggregate'],
      [['--runs', '3', '--runs-within', '2'], '--runs-within'],
      [['--runs-within', '0.1'], '--runs-within'],
    ] as const) {
      const r = await runCli(['gate', url('a'), '--task-type', 't', ...argv], env);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr).toContain(flag);
    }
    expect(api.requests).toHaveLength(0);
  });

  it('reports show the spread of the runs next to the aggregate', async () => {
    plan = { a: [{ score: 0.78 }, { score: 0.85 }, { score: 0.82 }] };
    const out = tempDir();
    const summary = path.join(out, 'summary.md');
    const r = await runCli(
      ['gate', url('a'), '--task-type', 't', '--threshold', '0.9', '--runs', '3', '--junit', path.join(out, 'j.xml'), '--report', path.join(out, 'r.html')],
      { ...env, GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary },
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('0.82 (0.78–0.85)');
    expect(fs.readFileSync(summary, 'utf8')).toContain('0.82 (runs 0.78–0.85)');
    expect(fs.readFileSync(path.join(out, 'r.html'), 'utf8')).toContain('3 (spread 0.78–0.85)');
    const junit = new XMLParser({ ignoreAttributes: false }).parse(fs.readFileSync(path.join(out, 'j.xml'), 'utf8'));
    expect(junit.testsuites.testsuite.testcase['system-out']).toContain('runs: 3, scores 0.78–0.85');
    expect(r.stderr).toContain('Runs: 3, scores 0.78–0.85');
  });
});
