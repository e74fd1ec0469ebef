import { describe, expect, it } from 'vitest';
import { buildComparedReport, compareWithBaseline, matchBaseline, parseBaselineDocument, type BaselineEntry } from '../../src/gate/baseline.js';
import type { GateResult } from '../../src/gate/types.js';
import { changeCell, formatDelta, regressionText } from '../../src/report/verdict.js';

function result(image: string, score: number | null, extra: Partial<GateResult> = {}): GateResult {
  const threshold = extra.threshold ?? 0.8;
  return {
    image,
    evaluation_id: `id-${image}`,
    status_code: 'completed',
    overall_passed: true,
    weighted_pass_rate: score,
    threshold,
    passed: score !== null && score >= threshold,
    failure_code: null,
    top_issues: [],
    cost: '0.1',
    ...extra,
  };
}

function entry(image: string, score: number | null, extra: Partial<BaselineEntry> = {}): BaselineEntry {
  return { image, client_ref: null, evaluation_id: `old-${image}`, weighted_pass_rate: score, passed: true, ...extra };
}

describe('matchBaseline', () => {
  it('pairs by image, each baseline entry once, in order', () => {
    expect(matchBaseline([result('a', 1), result('a', 1), result('b', 1), result('a', 1)], [entry('a', 1), entry('b', 1), entry('a', 1)])).toEqual([0, 2, 1, null]);
  });

  it('pairs by client_ref when the result has one, preferring the same image among equal references', () => {
    const results = [result('x2', 1, { client_ref: 'r' }), result('x1', 1, { client_ref: 'r' }), result('y', 1, { client_ref: 'other' })];
    const entries = [entry('x1', 1, { client_ref: 'r' }), entry('x2', 1, { client_ref: 'r' }), entry('y', 1, { client_ref: 'z' })];
    expect(matchBaseline(results, entries)).toEqual([1, 0, null]);
  });

  it('a reference the baseline never had falls back to the image; a result without one matches any same image', () => {
    expect(matchBaseline([result('a', 1, { client_ref: 'r' })], [entry('a', 1)])).toEqual([0]);
    expect(matchBaseline([result('a', 1)], [entry('a', 1, { client_ref: 'r' })])).toEqual([0]);
  });
});

describe('compareWithBaseline', () => {
  const doc = (entries: BaselineEntry[]) => ({ file: 'main.json', results: entries });

  it('annotates without bounds and regresses nothing', () => {
    const c = compareWithBaseline([result('a', 0.5), result('n', 0.9)], doc([entry('a', 0.95)]));
    expect(c.results[0]).toMatchObject({ baseline: { evaluation_id: 'old-a', weighted_pass_rate: 0.95, passed: true }, delta: -0.45, regressed: false, passed: false });
    expect(c.results[1]).toMatchObject({ baseline: null, delta: null, regressed: false });
    expect(c.failsGate).toBe(false);
    expect(c.summary).toMatchObject({ matched: 1, new: 1, missing: 0, regressed: 0, mean_delta: -0.45 });
  });

  it('a fall of exactly --max-drop is not a regression (float noise rounded away); more is', () => {
    const base = doc([entry('a', 0.92), entry('b', 0.92)]);
    const c = compareWithBaseline([result('a', 0.82, { threshold: 0 }), result('b', 0.8199, { threshold: 0 })], base, { maxDrop: 0.1 });
    expect(c.results.map((r) => [r.delta, r.regressed, r.passed])).toEqual([[-0.1, false, true], [-0.1001, true, false]]);
    expect(c.failsGate).toBe(true);
  });

  it('an error or a pending result is not a regression; a missing score on either side has no delta', () => {
    const base = doc([entry('e', 0.9), entry('p', 0.9), entry('s', null)]);
    const c = compareWithBaseline(
      [result('e', null, { status_code: 'failed', overall_passed: null, passed: false }), result('p', null, { status_code: 'pending', passed: false }), result('s', 0.9)],
      base,
      { maxDrop: 0 },
    );
    expect(c.results.map((r) => [r.delta, r.regressed])).toEqual([[null, false], [null, false], [null, false]]);
    expect(c.summary.mean_delta).toBeNull();
  });

  it('an earlier comparison is replaced: its lifted verdict comes back', () => {
    const first = compareWithBaseline([result('a', 0.85)], doc([entry('a', 0.99)]), { maxDrop: 0.1 });
    expect(first.results[0]!.passed).toBe(false);
    const report = buildComparedReport(first.results, [1], 0.8, [], { document: doc([entry('a', 0.85)]), options: { maxDrop: 0.1 } });
    expect(report.results[0]).toMatchObject({ passed: true, regressed: false, delta: 0 });
    expect(report.exit_code).toBe(0);
  });

  it('a mean that fell too far fails the report; interrupted still wins', () => {
    const base = { document: doc([entry('a', 0.9), entry('b', 0.9)]), options: { maxMeanDrop: 0.01 } };
    const results = [result('a', 0.88), result('b', 0.88)];
    expect(buildComparedReport(results, [0, 0], 0.8, [], base)).toMatchObject({ passed: false, exit_code: 1, counts: { passed: 2 }, baseline: { mean_regressed: true } });
    expect(buildComparedReport(results, [0, 0], 0.8, [130], base).exit_code).toBe(130);
  });
});

describe('parseBaselineDocument', () => {
  it('reads results and refuses what is not a gate document, naming the file', () => {
    const ok = parseBaselineDocument('b.json', JSON.stringify({ counts: {}, results: [{ image: 'a', passed: true, weighted_pass_rate: 0.5, client_ref: 'r' }] }));
    expect(ok.results).toEqual([{ image: 'a', client_ref: 'r', evaluation_id: null, weighted_pass_rate: 0.5, passed: true }]);
    // Only the results are needed: a document trimmed to them is a baseline.
    expect(parseBaselineDocument('b.json', '{"results": [{"image": "a", "passed": false}]}').results).toHaveLength(1);
    for (const text of ['nope', '[]', '{"counts": {}}', '{"results": {}}', '{"dry_run": true, "counts": {}, "results": []}', '{"counts": {}, "results": [{"image": 1}]}']) {
      expect(() => parseBaselineDocument('b.json', text)).toThrow(/^--baseline b\.json: /);
    }
  });
});

describe('change formatting', () => {
  it('signs, a typeset minus, and no real change shown as zero', () => {
    expect(formatDelta(-0.21)).toBe('-0.21');
    expect(formatDelta(0.03)).toBe('+0.03');
    expect(formatDelta(0)).toBe('0.00');
    expect(formatDelta(-0.0004)).toBe('-0.0004');
    const r = { ...result('a', 0.71, { threshold: 0.5 }), baseline: { evaluation_id: 'x', weighted_pass_rate: 0.92, passed: true }, delta: -0.21, regressed: true, passed: false };
    expect(regressionText(r, 0.5)).toBe('regressed from 0.92 to 0.71 (-0.21)');
    expect(changeCell({ ...r, baseline: null })).toBe('new');
  });
});
