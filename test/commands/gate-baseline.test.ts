import fs from 'node:fs';
import path from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { beforeEach, describe, expect, it } from 'vitest';
import type { FakeApi } from '../helpers/fake-api.js';
import { runCli, tempDir } from '../helpers/run-cli.js';
import { useFakeApi } from '../helpers/use-fake-api.js';

/**
 * `--baseline`, `--max-drop`, `--max-mean-drop` (SPEC §3 gate "Baseline", §5) against the fake:
 * each image's score comes from `scores`, keyed by the image URL's name, so a test sets what the
 * baseline run and the run under test see.
 */

const fake = useFakeApi();
let api: FakeApi;
let env: Record<string, string>;
let scores: Record<string, { score: number; verdict?: boolean }>;

const url = (name: string) => `https://img.example.com/${name}.png`;

beforeEach(() => {
  ({ api, env } = fake);
  scores = {};
  api.setOutcome((body: { generated_image_url: string }) => {
    const name = /\/([^/]+)\.png$/.exec(body.generated_image_url)?.[1] ?? '';
    const s = scores[name] ?? { score: 0.9 };
    return { overall_passed: s.verdict ?? true, weighted_pass_rate: s.score, top_issues: [], durationMs: 60 };
  });
});

/** A gate document as `gate --json` writes it, with the fields a baseline is read from. */
function baselineDoc(results: Array<{ image: string; score: number | null; passed?: boolean; client_ref?: string }>): object {
  return {
    passed: true,
    exit_code: 0,
    threshold: 0.8,
    counts: { total: results.length, passed: results.length, failed: 0, errored: 0, timed_out: 0 },
    cost: '0',
    results: results.map((r, i) => ({
      image: r.image,
      evaluation_id: `00000000-0000-4000-8000-00000000000${i}`,
      status_code: 'completed',
      overall_passed: true,
      weighted_pass_rate: r.score,
      threshold: 0.8,
      passed: r.passed ?? true,
      failure_code: null,
      top_issues: [],
      cost: '0.400000',
      ...(r.client_ref ? { client_ref: r.client_ref } : {}),
    })),
  };
}

function writeJson(value: unknown, name = 'baseline.json'): string {
  const file = path.join(tempDir(), name);
  fs.writeFileSync(file, JSON.stringify(value));
  return file;
}

describe('gate --baseline', () => {
  it('a drop beyond --max-drop fails the gate (exit 1) while every image clears its threshold', async () => {
    // The baseline comes from a real run.
    scores = { a: { score: 0.92 }, b: { score: 0.9 } };
    const file = path.join(tempDir(), 'main.json');
    const first = await runCli(['gate', url('a'), url('b'), '--task-type', 't', '--threshold', '0.6', '--json-file', file], env);
    expect(first.code).toBe(0);

    scores = { a: { score: 0.71 }, b: { score: 0.88 } };
    const r = await runCli(['gate', url('a'), url('b'), '--task-type', 't', '--threshold', '0.6', '--resubmit', '--baseline', file, '--max-drop', '0.1', '--json'], env);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    const before = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(doc.passed).toBe(false);
    expect(doc.exit_code).toBe(1);
    expect(doc.results[0]).toMatchObject({
      image: url('a'),
      weighted_pass_rate: 0.71,
      passed: false,
      baseline: { evaluation_id: before.results[0].evaluation_id, weighted_pass_rate: 0.92, passed: true },
      delta: -0.21,
      regressed: true,
    });
    expect(doc.results[1]).toMatchObject({ passed: true, delta: -0.02, regressed: false });
    expect(doc.baseline).toMatchObject({ file, matched: 2, new: 0, missing: 0, regressed: 1, mean_delta: -0.115 });
    expect(Object.keys(doc.baseline).slice(0, 6)).toEqual(['file', 'matched', 'new', 'missing', 'regressed', 'mean_delta']);
  });

  it('without --max-drop the baseline only annotates: the same drop passes', async () => {
    scores = { a: { score: 0.71 } };
    const file = writeJson(baselineDoc([{ image: url('a'), score: 0.92 }]));
    const r = await runCli(['gate', url('a'), '--task-type', 't', '--threshold', '0.6', '--baseline', file], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/CHANGE/);
    expect(r.stdout).toContain('-0.21');
    expect(r.stdout).toContain('1 matched, 0 new, 0 missing, 0 regressed');
  });

  it('a baseline trimmed to its results (no counts, as written by hand) is still compared', async () => {
    scores = { a: { score: 0.71 } };
    const file = writeJson({ results: [{ image: url('a'), weighted_pass_rate: 0.92, passed: true }] });
    const r = await runCli(['gate', url('a'), '--task-type', 't', '--threshold', '0.6', '--baseline', file, '--max-drop', '0.1', '--json'], env);
    expect(r.code, r.stderr).toBe(1);
    expect(JSON.parse(r.stdout).results[0]).toMatchObject({ baseline: { evaluation_id: null, weighted_pass_rate: 0.92, passed: true }, delta: -0.21, regressed: true });
  });

  it('a pass that became a fail is a regression even when the fall is within --max-drop', async () => {
    scores = { a: { score: 0.78 }, b: { score: 0.7 } };
    // a passed at 0.83 and now fails the 0.8 bar; b failed before too, so it only fails.
    const file = writeJson(baselineDoc([{ image: url('a'), score: 0.83 }, { image: url('b'), score: 0.72, passed: false }]));
    const r = await runCli(['gate', url('a'), url('b'), '--task-type', 't', '--threshold', '0.8', '--baseline', file, '--max-drop', '0.2', '--json'], env);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.results.map((x: { regressed: boolean }) => x.regressed)).toEqual([true, false]);
    expect(doc.results[0].delta).toBe(-0.05);
    expect(doc.baseline.regressed).toBe(1);
  });

  it('--max-mean-drop bounds the fall of the mean over matched images', async () => {
    scores = { a: { score: 0.86 }, b: { score: 0.86 }, c: { score: 0.99 } };
    const file = writeJson(baselineDoc([{ image: url('a'), score: 0.9 }, { image: url('b'), score: 0.9 }]));
    const args = ['gate', url('a'), url('b'), url('c'), '--task-type', 't', '--threshold', '0.8', '--baseline', file, '--max-drop', '0.1', '--json'];
    // Each fell by 0.04 (within --max-drop); c is new and does not count towards the mean.
    const tight = await runCli([...args, '--max-mean-drop', '0.03'], env);
    expect(tight.code).toBe(1);
    const doc = JSON.parse(tight.stdout);
    expect(doc.results.every((x: { passed: boolean }) => x.passed)).toBe(true);
    expect(doc.baseline).toMatchObject({ matched: 2, new: 1, regressed: 0, mean_delta: -0.04, mean_regressed: true });

    const loose = await runCli([...args, '--max-mean-drop', '0.05', '--resubmit'], env);
    expect(loose.code).toBe(0);
    expect(JSON.parse(loose.stdout).baseline.mean_regressed).toBe(false);
  });

  it('counts and lists new and missing images', async () => {
    const file = writeJson(baselineDoc([{ image: url('a'), score: 0.9 }, { image: url('b'), score: 0.9 }]));
    const r = await runCli(['gate', url('b'), url('c'), '--task-type', 't', '--baseline', file, '--max-drop', '0.1', '--json'], env);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.results.map((x: { baseline: unknown }) => x.baseline === null)).toEqual([false, true]);
    expect(doc.results[1]).toMatchObject({ delta: null, regressed: false });
    expect(doc.baseline).toMatchObject({ matched: 1, new: 1, missing: 1, new_images: [url('c')], missing_images: [url('a')] });

    const human = await runCli(['gate', url('b'), url('c'), '--task-type', 't', '--baseline', file], env);
    expect(human.stdout).toContain('1 matched, 1 new, 1 missing');
    expect(human.stdout).toMatch(new RegExp(`new \\(not in the baseline\\): ${url('c').replace(/[.]/g, '\\.')}`));
    expect(human.stdout).toMatch(/missing \(in the baseline, not gated now\): https:\/\/img\.example\.com\/a\.png/);
  });

  it('matches by client_ref when the input has one (a renamed file keeps its history)', async () => {
    const dir = tempDir();
    const manifest = path.join(dir, 'm.jsonl');
    fs.writeFileSync(manifest, [{ image: url('renamed'), client_ref: 'shoe-1' }, { image: url('b'), client_ref: 'shoe-2' }].map((i) => JSON.stringify(i)).join('\n'));
    scores = { renamed: { score: 0.6 }, b: { score: 0.9 } };
    const file = writeJson(baselineDoc([
      { image: url('old-name'), score: 0.9, client_ref: 'shoe-1' },
      // Same image, another reference: not the same item.
      { image: url('b'), score: 0.9, client_ref: 'other' },
    ]));
    const r = await runCli(['gate', '--manifest', manifest, '--task-type', 't', '--baseline', file, '--max-drop', '0.1', '--json'], env);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.results[0]).toMatchObject({ client_ref: 'shoe-1', regressed: true, delta: -0.3 });
    expect(doc.results[1]).toMatchObject({ client_ref: 'shoe-2', baseline: null });
    expect(doc.baseline).toMatchObject({ matched: 1, new: 1, missing: 1, missing_images: [url('b')] });
  });

  it('gate merge takes the same flags and compares the merged results once', async () => {
    scores = { a: { score: 0.7 }, b: { score: 0.9 }, c: { score: 0.9 }, d: { score: 0.9 } };
    const inputs = ['a', 'b', 'c', 'd'].map(url);
    const out = tempDir();
    for (const i of [1, 2]) {
      const r = await runCli(['gate', ...inputs, '--task-type', 't', '--shard', `${i}/2`, '--json-file', path.join(out, `shard-${i}.json`)], env);
      expect(r.code).toBe(0);
    }
    const file = writeJson(baselineDoc(inputs.map((image) => ({ image, score: 0.9 }))));
    const shards = [1, 2].map((i) => path.join(out, `shard-${i}.json`));
    const merged = await runCli(['gate', 'merge', ...shards, '--baseline', file, '--max-drop', '0.1', '--json'], env);
    expect(merged.code).toBe(1);
    const doc = JSON.parse(merged.stdout);
    expect(doc.baseline).toMatchObject({ matched: 4, new: 0, missing: 0, regressed: 1 });
    expect(doc.results.find((x: { image: string }) => x.image === url('a'))).toMatchObject({ regressed: true, delta: -0.2 });

    // Merged without flags, the baseline is not consulted.
    const plain = await runCli(['gate', 'merge', ...shards, '--json'], env);
    expect(plain.code).toBe(0);
    expect(JSON.parse(plain.stdout).baseline).toBeUndefined();
  });

  it('shards compared with a baseline merge into one comparison without --baseline: counts, missing images and the mean bound over the whole gate', async () => {
    scores = { a: { score: 0.7 }, b: { score: 0.75 }, c: { score: 0.9 }, d: { score: 0.9 } };
    const inputs = ['a', 'b', 'c', 'd'].map(url);
    // The baseline also holds e, which this gate does not run: every shard misses it (and the other shards' images).
    const file = writeJson(baselineDoc([...inputs, url('e')].map((image) => ({ image, score: 0.9 }))));
    const out = tempDir();
    const shards = [1, 2].map((i) => path.join(out, `shard-${i}.json`));
    for (const [i, shard] of shards.entries()) {
      const r = await runCli(['gate', ...inputs, '--task-type', 't', '--shard', `${i + 1}/2`, '--baseline', file, '--max-mean-drop', '0.06', '--json-file', shard], env);
      expect([0, 1]).toContain(r.code);
    }
    const merged = await runCli(['gate', 'merge', ...shards, '--json'], env);
    const doc = JSON.parse(merged.stdout);
    // Mean now 0.8125 against 0.9: a fall of 0.0875, over the bound of 0.06, whichever shard held a and b.
    expect(merged.code).toBe(1);
    expect(doc.baseline).toMatchObject({ file, matched: 4, new: 0, missing: 1, missing_images: [url('e')], regressed: 0, mean_delta: -0.0875, mean: 0.8125, baseline_mean: 0.9, mean_regressed: true, max_mean_drop: 0.06 });
    expect(doc.results.map((x: { delta: number }) => x.delta).sort((p: number, q: number) => p - q)).toEqual([-0.2, -0.15, 0, 0]);

    // The same shards under a looser bound merge into a pass.
    for (const [i, shard] of shards.entries()) {
      await runCli(['gate', ...inputs, '--task-type', 't', '--shard', `${i + 1}/2`, '--baseline', file, '--max-mean-drop', '0.1', '--json-file', shard], env);
    }
    const loose = await runCli(['gate', 'merge', ...shards, '--json'], env);
    expect(loose.code).toBe(0);
    expect(JSON.parse(loose.stdout).baseline).toMatchObject({ mean_regressed: false, missing: 1 });
  });

  it('a regression a shard found still fails a merge without --baseline; with one it is judged afresh', async () => {
    scores = { a: { score: 0.7 } };
    const tight = writeJson(baselineDoc([{ image: url('a'), score: 0.9 }]));
    const shard = path.join(tempDir(), 'shard.json');
    const r = await runCli(['gate', url('a'), '--task-type', 't', '--baseline', tight, '--max-drop', '0.1', '--json-file', shard], env);
    expect(r.code).toBe(1);
    expect((await runCli(['gate', 'merge', shard], env)).code).toBe(1);
    // Against a baseline where it scored the same, the image passes again.
    const same = writeJson(baselineDoc([{ image: url('a'), score: 0.7 }]));
    const again = await runCli(['gate', 'merge', shard, '--baseline', same, '--max-drop', '0.1', '--json'], env);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).results[0]).toMatchObject({ passed: true, regressed: false, delta: 0 });
  });

  it('refuses a missing, unreadable or foreign baseline (exit 2, naming it) before anything is sent', async () => {
    const dir = tempDir();
    const cases: Array<[string, string | null]> = [
      ['missing.json', null],
      ['not-json.json', '{ "passed": tr'],
      ['array.json', '[1, 2]'],
      ['no-results.json', JSON.stringify({ passed: true, exit_code: 0 })],
      ['dry-run.json', JSON.stringify({ dry_run: true, evaluations: 1, inputs: [] })],
      ['error.json', JSON.stringify({ error: { code: 'usage', message: 'x', exit_code: 2 } })],
      ['bad-result.json', JSON.stringify({ counts: {}, results: [{ score: 1 }] })],
    ];
    for (const [name, text] of cases) {
      const file = path.join(dir, name);
      if (text !== null) fs.writeFileSync(file, text);
      for (const argv of [
        ['gate', url('a'), '--task-type', 't', '--baseline', file],
        ['gate', 'merge', file, '--baseline', file],
      ]) {
        const r = await runCli(argv, env);
        expect(r.code, `${name}: ${r.stderr}`).toBe(2);
        expect(r.stderr).toContain(file);
        expect(r.stderr).not.toMatch(/\n\s+at /);
      }
    }
    const folder = await runCli(['gate', url('a'), '--task-type', 't', '--baseline', dir], env);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toContain(dir);
    const json = await runCli(['gate', url('a'), '--task-type', 't', '--baseline', path.join(dir, 'missing.json'), '--json'], env);
    expect(JSON.parse(json.stdout).error.exit_code).toBe(2);
    expect(api.requests).toHaveLength(0);
  });

  it('refuses bounds out of range or without a baseline', async () => {
    const file = writeJson(baselineDoc([{ image: url('a'), score: 0.9 }]));
    for (const [argv, flag] of [
      [['--baseline', file, '--max-drop', '1.5'], '--max-drop'],
      [['--baseline', file, '--max-mean-drop', '-0.1'], '--max-mean-drop'],
      [['--max-drop', '0.1'], '--baseline'],
    ] as const) {
      const r = await runCli(['gate', url('a'), '--task-type', 't', ...argv], env);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(flag);
    }
    expect(api.requests).toHaveLength(0);
  });

  it('one run: JSON, JUnit, HTML, step summary and annotations agree on every regression', async () => {
    scores = { a: { score: 0.71 }, b: { score: 0.9 }, c: { score: 0.68 }, d: { score: 0.5 } };
    const file = writeJson(baselineDoc([
      { image: url('a'), score: 0.92 }, // fell 0.21: regressed above the bar
      { image: url('b'), score: 0.91 }, // fell 0.01: fine
      { image: url('c'), score: 0.74 }, // fell 0.06, but passed and fails now: regressed
    ]));
    // d is new and fails its bar: a plain failure, not a regression.
    const out = tempDir();
    const summary = path.join(out, 'summary.md');
    const r = await runCli(
      ['gate', url('a'), url('b'), url('c'), url('d'), '--task-type', 't', '--threshold', '0.7', '--baseline', file, '--max-drop', '0.1',
        '--json-file', path.join(out, 'r.json'), '--junit', path.join(out, 'junit.xml'), '--report', path.join(out, 'r.html')],
      { ...env, GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary },
    );
    expect(r.code).toBe(1);
    const doc = JSON.parse(fs.readFileSync(path.join(out, 'r.json'), 'utf8'));
    const regressedInJson = doc.results.filter((x: { regressed: boolean }) => x.regressed).map((x: { image: string }) => x.image);
    expect(regressedInJson).toEqual([url('a'), url('c')]);
    expect(doc.baseline.regressed).toBe(2);

    const xml = fs.readFileSync(path.join(out, 'junit.xml'), 'utf8');
    expect(XMLValidator.validate(xml)).toBe(true);
    const cases = new XMLParser({ ignoreAttributes: false, isArray: (n) => n === 'testcase' }).parse(xml).testsuites.testsuite.testcase as Array<Record<string, any>>;
    const regressedInJUnit = cases.filter((c) => c.failure?.['@_type'] === 'regression').map((c) => c['@_name']);
    expect(regressedInJUnit).toEqual(regressedInJson);
    expect(cases[0]!.failure['@_message']).toBe('regressed from 0.92 to 0.71 (-0.21)');
    expect(cases[2]!.failure['@_message']).toBe('score 0.68 < threshold 0.70; regressed from 0.74 to 0.68 (-0.06)');
    expect(cases[3]!.failure['@_type']).toBe('quality');

    const html = fs.readFileSync(path.join(out, 'r.html'), 'utf8');
    const regressedInHtml = [...html.matchAll(/data-testid="result-row"[^>]*data-image="([^"]+)"[^>]*data-regressed="true"/g)].map((m) => m[1]);
    expect(regressedInHtml).toEqual(regressedInJson);
    expect(html).toContain('regressed from 0.92 to 0.71 (-0.21)');

    const md = fs.readFileSync(summary, 'utf8');
    const listed = [...md.matchAll(/^- \*\*(.+?)\*\*: regressed from/gm)].map((m) => m[1]!.replace(/\\/g, ''));
    expect(listed).toEqual(regressedInJson);
    const flaggedRows = md.split('\n').filter((l) => l.startsWith('| ') && l.includes(':small_red_triangle_down: regressed')).map((l) => l.split(' | ')[0]!.slice(2).replace(/\\/g, ''));
    expect(flaggedRows).toEqual(regressedInJson);

    const annotations = r.stderr.split('\n').filter((l) => l.startsWith('::error'));
    expect(annotations.filter((l) => l.includes('(regressed)')).map((l) => /title=runflow-eval gate%3A FAIL \(regressed\) ([^:]+?)::/.exec(l)?.[1]?.replace(/%3A/g, ':'))).toEqual(regressedInJson);
    expect(annotations.find((l) => l.includes('d.png'))).toContain('Change: new: not in the baseline');
  });
});
