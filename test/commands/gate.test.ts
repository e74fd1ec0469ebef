import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeApi } from '../helpers/fake-api.js';
import { memoryIO } from '../helpers/memory-io.js';
import { runCli, tempDir } from '../helpers/run-cli.js';
import { useFakeApi } from '../helpers/use-fake-api.js';

let api: FakeApi;
let env: Record<string, string>;
let dir: string;

/** Outcome chosen by the image URL: ".../fail-..." fails the verdict, ".../broken-..." ends failed. */
function outcomeByUrl(body: { generated_image_url: string }) {
  const url = body.generated_image_url;
  if (url.includes('fail')) return { overall_passed: false, weighted_pass_rate: 0.4, top_issues: ['Image is blurry'], durationMs: 200 };
  if (url.includes('low')) return { overall_passed: true, weighted_pass_rate: 0.7, durationMs: 200 };
  if (url.includes('broken')) return { status_code: 'failed', failure_code: 'invalid_media', overall_passed: null, weighted_pass_rate: null, durationMs: 200 };
  if (url.includes('hang')) return { durationMs: 120_000 };
  return { overall_passed: true, weighted_pass_rate: 0.9, durationMs: 200 };
}

const fake = useFakeApi();
beforeAll(async () => {
  dir = tempDir('rfe-gate-');
  for (const [name, color] of [['a.png', '#ff0000'], ['b.png', '#00ff00'], ['c.png', '#0000ff']] as const) {
    await sharp({ create: { width: 32, height: 32, channels: 3, background: color } }).png().toFile(path.join(dir, name));
  }
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'not an image');
});
beforeEach(() => {
  ({ api, env } = fake);
  api.setOutcome((body) => outcomeByUrl(body));
});

const url = (name: string) => `https://img.example.com/${name}.png`;

describe('gate decisions', () => {
  it('all pass: exit 0, results in input order, human table and summary', async () => {
    const r = await runCli(['gate', url('a'), url('b'), url('c'), '--task-type', 't'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('3/3 passed');
    const lines = r.stdout.split('\n');
    expect(lines.findIndex((l) => l.includes(url('a')))).toBeLessThan(lines.findIndex((l) => l.includes(url('c'))));
  });

  it('one failing image exits 1 and names it and its top issue', async () => {
    const r = await runCli(['gate', url('a'), url('fail-x'), '--task-type', 't'], env);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(url('fail-x'));
    expect(r.stdout).toContain('Image is blurry');
    expect(r.stdout).toContain('1/2 passed');
  });

  it('a score under --threshold fails; per-image JSON shape', async () => {
    const r = await runCli(['gate', url('ok'), url('low'), '--task-type', 't', '--threshold', '0.8', '--json'], env);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc)).toEqual(['passed', 'exit_code', 'threshold', 'counts', 'cost', 'results']);
    expect(doc).toMatchObject({ passed: false, exit_code: 1, threshold: 0.8, counts: { total: 2, passed: 1, failed: 1, errored: 0, timed_out: 0 } });
    expect(Object.keys(doc.results[0]).slice(0, 10)).toEqual(['image', 'evaluation_id', 'status_code', 'overall_passed', 'weighted_pass_rate', 'threshold', 'passed', 'failure_code', 'top_issues', 'cost']);
    expect(doc.results.map((x: { image: string; passed: boolean }) => [x.image, x.passed])).toEqual([[url('ok'), true], [url('low'), false]]);
    expect(typeof doc.cost).toBe('string');
  });

  it('a failed evaluation exits 3 and beats a quality fail', async () => {
    const r = await runCli(['gate', url('fail-1'), url('broken-1'), '--task-type', 't', '--json'], env);
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.stdout);
    expect(doc.results[1]).toMatchObject({ status_code: 'failed', failure_code: 'invalid_media', passed: false });
  });

  it('a transient failure is resubmitted once with a fresh key and lists previous_ids', async () => {
    let n = 0;
    api.setOutcome(() => (n++ === 0 ? { status_code: 'failed', failure_code: 'dispatch_failed', overall_passed: null, weighted_pass_rate: null, durationMs: 100 } : { durationMs: 100 }));
    const r = await runCli(['gate', url('a'), '--task-type', 't', '--json'], env);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.results[0].previous_ids).toHaveLength(1);
    const keys = api.find('POST', '/v1/evaluations').map((p) => p.headers['idempotency-key']);
    expect(new Set(keys).size).toBe(2);
  });

  it('--retry-failed 0 keeps the transient failure', async () => {
    api.setOutcome(() => ({ status_code: 'failed', failure_code: 'timed_out', overall_passed: null, weighted_pass_rate: null, durationMs: 100 }));
    const r = await runCli(['gate', url('a'), '--task-type', 't', '--retry-failed', '0'], env);
    expect(r.code).toBe(3);
    expect(api.find('POST', '/v1/evaluations')).toHaveLength(1);
  });

  it('the deadline reports pending ids and exits 6, printing the document', async () => {
    const r = await runCli(['gate', url('a'), url('hang'), '--task-type', 't', '--timeout', '1500ms', '--json'], env);
    expect(r.code).toBe(6);
    const doc = JSON.parse(r.stdout);
    expect(doc.counts.timed_out).toBe(1);
    expect(doc.results[1].evaluation_id).toBeTruthy();
    expect(r.stderr).toContain(doc.results[1].evaluation_id);
  });

  it('--id gates existing evaluations without a task type', async () => {
    const id = (await runCli(['submit', url('a'), '--task-type', 't'], env)).stdout.trim();
    const r = await runCli(['gate', '--id', id, '--json'], env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).results[0]).toMatchObject({ image: id, evaluation_id: id, passed: true });
  });

  it('a 402 stops submitting and exits 4', async () => {
    const poor = await FakeApi.start({ creditEvaluations: 1 });
    try {
      const r = await runCli(['gate', url('a'), url('b'), url('c'), '--task-type', 't', '--concurrency', '1', '--json'], { ...env, RUNFLOW_BASE_URL: poor.url });
      expect(r.code).toBe(4);
      expect(poor.find('POST', '/v1/evaluations').length).toBe(2);
      poor.verify();
    } finally {
      await poor.close();
    }
  });
});

describe('gate inputs', () => {
  it('a folder means the images directly inside it, in name order', async () => {
    const r = await runCli(['gate', dir, '--task-type', 't', '--json'], env);
    expect(r.code).toBe(0);
    const images = JSON.parse(r.stdout).results.map((x: { image: string }) => x.image);
    expect(images).toEqual(['a.png', 'b.png', 'c.png'].map((f) => path.join(dir, f)));
  });

  it('a manifest with per-item overrides, relative paths and thresholds', async () => {
    const m = path.join(dir, 'm.jsonl');
    fs.writeFileSync(m, [JSON.stringify({ image: 'a.png', prompt: 'red square' }), JSON.stringify({ image: url('low'), threshold: 0.5, task_type: 'other' })].join('\n'));
    const r = await runCli(['gate', '--manifest', m, '--task-type', 't', '--json'], env);
    expect(r.code).toBe(0);
    const bodies = api.find('POST', '/v1/evaluations').map((p) => JSON.parse(p.body));
    expect(bodies.find((b) => b.generation_prompt === 'red square').generated_image_url).toMatch(/^data:image\/png/);
    expect(bodies.find((b) => b.task_type === 'other')).toBeDefined();
    expect(JSON.parse(r.stdout).results[0].image).toBe('a.png');
  });

  it('an unknown manifest key exits 2 naming it, nothing sent', async () => {
    const m = path.join(dir, 'typo.jsonl');
    fs.writeFileSync(m, `${JSON.stringify({ image: url('a') })}\n${JSON.stringify({ image: url('b'), promt: 'x' })}\n`);
    const r = await runCli(['gate', '--manifest', m, '--task-type', 't'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('promt');
    expect(r.stderr).toContain(':2');
    expect(api.requests).toHaveLength(0);
  });

  it('one bad input stops the whole gate before the first request', async () => {
    const r = await runCli(['gate', url('a'), 'http://insecure.example.com/x.png', '--task-type', 't'], env);
    expect(r.code).toBe(2);
    expect(api.requests).toHaveLength(0);
  });

  it('no input at all, or no task type for a submitted input, exits 2', async () => {
    expect((await runCli(['gate', '--task-type', 't'], env)).code).toBe(2);
    expect((await runCli(['gate', url('a')], env)).code).toBe(2);
    expect(api.requests).toHaveLength(0);
  });

  it('shards cover every input exactly once, and merge exits as one gate would', async () => {
    const inputs = Array.from({ length: 9 }, (_, i) => url(i === 4 ? 'fail-4' : `img-${i}`));
    const out = tempDir();
    const seen: string[] = [];
    for (let i = 1; i <= 3; i++) {
      const file = path.join(out, `shard-${i}.json`);
      const r = await runCli(['gate', ...inputs, '--task-type', 't', '--shard', `${i}/3`, '--json-file', file], env);
      expect([0, 1]).toContain(r.code);
      seen.push(...JSON.parse(fs.readFileSync(file, 'utf8')).results.map((x: { image: string }) => x.image));
    }
    expect([...seen].sort()).toEqual([...inputs].sort());
    const merged = await runCli(['gate', 'merge', ...[1, 2, 3].map((i) => path.join(out, `shard-${i}.json`)), '--json'], env);
    expect(merged.code).toBe(1);
    expect(JSON.parse(merged.stdout).counts).toMatchObject({ total: 9, passed: 8, failed: 1 });
  });

  it('--dry-run prints the plan and price and sends no evaluation', async () => {
    const r = await runCli(['gate', url('a'), url('b'), '--task-type', 't', '--dry-run', '--json'], env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ dry_run: true, evaluations: 2, job_class: 'standard', price: '0.400000', total: '0.800000' });
    expect(api.find('POST', '/v1/evaluations')).toHaveLength(0);
  });

  it('--max-cost refuses before sending when the total is over it', async () => {
    const r = await runCli(['gate', url('a'), url('b'), url('c'), '--task-type', 't', '--max-cost', '1.0'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('1.200000');
    expect(api.find('POST', '/v1/evaluations')).toHaveLength(0);
  });
});

describe('gate throughput', () => {
  it('16 images, 4 in flight, 1 s each: exactly 16 evaluations in close to 4 s', async () => {
    const limited = await FakeApi.start({ maxInflight: 4, evalMs: 1000 });
    try {
      const inputs = Array.from({ length: 16 }, (_, i) => url(`p-${i}`));
      const started = Date.now();
      const r = await runCli(['gate', ...inputs, '--task-type', 't', '--json'], { ...env, RUNFLOW_BASE_URL: limited.url });
      const took = Date.now() - started;
      expect(r.code).toBe(0);
      expect(limited.evaluations.size).toBe(16);
      expect(took).toBeLessThan(7000);
      const doc = JSON.parse(r.stdout);
      expect(doc.results.map((x: { image: string }) => x.image)).toEqual(inputs);
      limited.verify();
    } finally {
      await limited.close();
    }
  });

  it('Ctrl-C prints the submitted ids, exits 130, and a rerun resumes them without paying twice', async () => {
    api.setOutcome(() => ({ durationMs: 1500 }));
    const io = memoryIO();
    setTimeout(() => io.interrupt(), 500);
    const r = await runCli(['gate', url('a'), url('b'), '--task-type', 't', '--json'], env, { io });
    expect(r.code).toBe(130);
    const doc = JSON.parse(r.stdout);
    expect(doc.exit_code).toBe(130);
    for (const res of doc.results) expect(r.stderr).toContain(res.evaluation_id);
    expect(r.stderr).toMatch(/billed/);
    const again = await runCli(['gate', url('a'), url('b'), '--task-type', 't', '--json'], env);
    expect(again.code).toBe(0);
    expect(api.evaluations.size).toBe(2);
  });
});

describe('gate reports', () => {
  it('JSON, JUnit, HTML and GitHub outputs come from one run and agree', async () => {
    const out = tempDir();
    const summary = path.join(out, 'summary.md');
    const r = await runCli(
      ['gate', url('a'), url('fail-2'), url('broken-3'), '--task-type', 't', '--json-file', path.join(out, 'r.json'), '--junit', path.join(out, 'junit.xml'), '--report', path.join(out, 'r.html')],
      { ...env, GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary },
    );
    expect(r.code).toBe(3);
    const doc = JSON.parse(fs.readFileSync(path.join(out, 'r.json'), 'utf8'));
    expect(doc.counts).toMatchObject({ total: 3, passed: 1, failed: 1, errored: 1 });
    const xml = fs.readFileSync(path.join(out, 'junit.xml'), 'utf8');
    expect(XMLValidator.validate(xml)).toBe(true);
    const parsed = new XMLParser({ ignoreAttributes: false }).parse(xml);
    const suite = parsed.testsuites.testsuite;
    expect(Number(suite['@_tests'])).toBe(3);
    expect(Number(suite['@_failures'])).toBe(1);
    expect(Number(suite['@_errors'])).toBe(1);
    const html = fs.readFileSync(path.join(out, 'r.html'), 'utf8');
    expect(html.match(/data-testid="result-row"/g)).toHaveLength(3);
    const md = fs.readFileSync(summary, 'utf8');
    expect(md).toContain(url('fail-2'));
    expect(r.stderr).toMatch(/^::error/m);
    expect(r.stdout).not.toMatch(/^::/m);
  });
});

describe('gate request budget', () => {
  it('shares one budget under a request-rate limit: finishes, and backs off after 429s', async () => {
    const limited = await FakeApi.start({ rateLimit: { limit: 12, windowMs: 1000 }, evalMs: 1500 });
    try {
      const inputs = Array.from({ length: 6 }, (_, i) => url(`budget-${i}`));
      const r = await runCli(['gate', ...inputs, '--task-type', 't', '--json'], { ...env, RUNFLOW_BASE_URL: limited.url });
      expect(r.code).toBe(0);
      expect(limited.evaluations.size).toBe(6);
      const throttled = limited.requests.filter((q) => q.status === 429).length;
      const total = limited.requests.length;
      // Bounded: without a shared pause every poll would keep hitting the limit.
      expect(throttled).toBeLessThan(total / 2);
      limited.verify();
    } finally {
      await limited.close();
    }
  });
});
