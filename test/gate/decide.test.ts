import { describe, expect, it } from 'vitest';
import type { Evaluation } from '../../src/api/types.js';
import { buildReport, decideResult, exitCodeOfResult, type DecideInput } from '../../src/gate/decide.js';
import type { GateResult } from '../../src/gate/types.js';

const ID = '3c90c3cc-0d44-4b50-8888-8dd25736052a';

function completed(overrides: Partial<Evaluation> = {}): Evaluation {
  return {
    id: ID,
    status_code: 'completed',
    overall_passed: true,
    weighted_pass_rate: 0.9,
    top_issues: ['blurry hands'],
    cost: '0.05',
    failure_code: null,
    ...overrides,
  };
}

function decide(input: Partial<DecideInput> & Pick<DecideInput, 'state'>) {
  return decideResult({ image: 'a.png', threshold: 0, ...input });
}

describe('decideResult', () => {
  const table: Array<{ name: string; input: Partial<DecideInput> & Pick<DecideInput, 'state'>; passed: boolean; exit: number }> = [
    { name: 'pass', input: { state: 'terminal', evaluation: completed(), threshold: 0.8 }, passed: true, exit: 0 },
    { name: 'score exactly at the threshold', input: { state: 'terminal', evaluation: completed({ weighted_pass_rate: 0.8 }), threshold: 0.8 }, passed: true, exit: 0 },
    { name: 'verdict false', input: { state: 'terminal', evaluation: completed({ overall_passed: false }) }, passed: false, exit: 1 },
    { name: 'verdict null', input: { state: 'terminal', evaluation: completed({ overall_passed: null }) }, passed: false, exit: 1 },
    { name: 'score under the threshold', input: { state: 'terminal', evaluation: completed({ weighted_pass_rate: 0.79 }), threshold: 0.8 }, passed: false, exit: 1 },
    { name: 'missing score, threshold 0', input: { state: 'terminal', evaluation: completed({ weighted_pass_rate: null }), threshold: 0 }, passed: true, exit: 0 },
    { name: 'missing score, threshold 0.5', input: { state: 'terminal', evaluation: completed({ weighted_pass_rate: undefined }), threshold: 0.5 }, passed: false, exit: 1 },
    { name: 'non-finite score', input: { state: 'terminal', evaluation: completed({ weighted_pass_rate: Number.NaN }), threshold: 0.5 }, passed: false, exit: 1 },
    {
      name: 'failed',
      input: { state: 'terminal', evaluation: completed({ status_code: 'failed', overall_passed: null, weighted_pass_rate: null, failure_code: 'invalid_media' }) },
      passed: false,
      exit: 3,
    },
    { name: 'pending at the deadline', input: { state: 'pending', evaluation: { id: ID, status_code: 'running' } }, passed: false, exit: 6 },
    { name: 'never submitted', input: { state: 'not_submitted' }, passed: false, exit: 6 },
    {
      name: 'error',
      input: { state: 'error', error: { code: 'payment_required', message: 'out of credit', exit_code: 4 } },
      passed: false,
      exit: 4,
    },
  ];

  for (const row of table) {
    it(row.name, () => {
      const { result, exitCode } = decide(row.input);
      expect(result.passed).toBe(row.passed);
      expect(exitCode).toBe(row.exit);
      expect(exitCodeOfResult(result)).toBe(row.exit);
    });
  }

  it('builds the result document in SPEC §5 key order', () => {
    const { result } = decide({ state: 'terminal', evaluation: completed({ extra: 'ignored' }), threshold: 0.5, previousIds: ['old-1'] });
    expect(Object.keys(result)).toEqual([
      'image',
      'evaluation_id',
      'status_code',
      'overall_passed',
      'weighted_pass_rate',
      'threshold',
      'passed',
      'failure_code',
      'top_issues',
      'cost',
      'previous_ids',
    ]);
    expect(result).toEqual({
      image: 'a.png',
      evaluation_id: ID,
      status_code: 'completed',
      overall_passed: true,
      weighted_pass_rate: 0.9,
      threshold: 0.5,
      passed: true,
      failure_code: null,
      top_issues: ['blurry hands'],
      cost: '0.05',
      previous_ids: ['old-1'],
    });
  });

  it('leaves out previous_ids when empty and error when absent; puts error last', () => {
    const plain = decide({ state: 'terminal', evaluation: completed(), previousIds: [] }).result;
    expect(Object.keys(plain)).not.toContain('previous_ids');
    expect(Object.keys(plain)).not.toContain('error');
    const errored = decide({ state: 'error', evaluation: { id: ID, status_code: 'pending' }, error: { code: 'http_500', message: 'boom', exit_code: 5 }, previousIds: ['x'] }).result;
    expect(Object.keys(errored).slice(-2)).toEqual(['previous_ids', 'error']);
    expect(errored).toMatchObject({ evaluation_id: ID, status_code: 'pending', error: { code: 'HTTP_500', message: 'boom', exit_code: 5 } });
  });

  it('reports failure_code only for a failed evaluation', () => {
    expect(decide({ state: 'terminal', evaluation: completed({ status_code: 'failed', failure_code: 'timed_out' }) }).result.failure_code).toBe('timed_out');
    expect(decide({ state: 'terminal', evaluation: completed({ failure_code: 'timed_out' }) }).result.failure_code).toBeNull();
  });

  it('keeps at most 5 top issues, as strings', () => {
    const issues = ['one', { category: 'anatomy', detail: 'six fingers' }, 3, 'four', 'five', 'six'];
    const { result } = decide({ state: 'terminal', evaluation: completed({ top_issues: issues }) });
    expect(result.top_issues).toEqual(['one', '{"category":"anatomy","detail":"six fingers"}', '3', 'four', 'five']);
    expect(decide({ state: 'terminal', evaluation: completed({ top_issues: null }) }).result.top_issues).toEqual([]);
  });

  it('copes with a record of nulls and odd types', () => {
    const { result, exitCode } = decide({
      state: 'terminal',
      evaluation: { id: null, status_code: 'completed', overall_passed: 'yes' as unknown as boolean, weighted_pass_rate: '0.9' as unknown as number, cost: 5 as unknown as string },
    });
    expect(result).toMatchObject({ evaluation_id: null, overall_passed: null, weighted_pass_rate: null, cost: null, passed: false });
    expect(exitCode).toBe(1);
  });
});

function result(overrides: Partial<GateResult>): GateResult {
  return {
    image: 'x.png',
    evaluation_id: ID,
    status_code: 'completed',
    overall_passed: true,
    weighted_pass_rate: 1,
    threshold: 0,
    passed: true,
    failure_code: null,
    top_issues: [],
    cost: null,
    ...overrides,
  };
}

describe('buildReport', () => {
  it('counts, sums cost exactly and keeps key order', () => {
    const results = [
      result({ image: 'p.png', cost: '0.1' }),
      result({ image: 'f.png', passed: false, overall_passed: false, cost: '0.2' }),
      result({ image: 'e.png', passed: false, status_code: 'failed', failure_code: 'invalid_media', cost: '0.05' }),
      result({ image: 'x.png', passed: false, status_code: null, evaluation_id: null, error: { code: 'bad_request', message: 'no', exit_code: 5 } }),
      result({ image: 't.png', passed: false, status_code: 'running' }),
    ];
    const report = buildReport(results, results.map(exitCodeOfResult), 0.7);
    expect(Object.keys(report)).toEqual(['passed', 'exit_code', 'threshold', 'counts', 'cost', 'results']);
    expect(Object.keys(report.counts)).toEqual(['total', 'passed', 'failed', 'errored', 'timed_out', 'interrupted', 'reused']);
    expect(report.counts).toEqual({ total: 5, passed: 1, failed: 1, errored: 2, timed_out: 1, interrupted: 0, reused: 0 });
    expect(report.cost).toBe('0.35');
    expect(report.threshold).toBe(0.7);
    expect(report.exit_code).toBe(5);
    expect(report.passed).toBe(false);
    expect(report.results).toBe(results);
  });

  it('follows the exit precedence 130, 2, 4, 5, 6, 3, 1, 0', () => {
    const rs = (n: number) => Array.from({ length: n }, () => result({}));
    expect(buildReport(rs(2), [1, 3], 0).exit_code).toBe(3);
    expect(buildReport(rs(2), [6, 3], 0).exit_code).toBe(6);
    expect(buildReport(rs(2), [0, 1], 0).exit_code).toBe(1);
    expect(buildReport(rs(3), [5, 6, 4], 0).exit_code).toBe(4);
    expect(buildReport(rs(2), [4, 6], 0, [130]).exit_code).toBe(130);
    expect(buildReport(rs(2), [0, 0], 0).exit_code).toBe(0);
    expect(buildReport(rs(2), [0, 0], 0).passed).toBe(true);
  });

  it('an empty run passes with cost "0" (an empty shard), unless interrupted', () => {
    expect(buildReport([], [], 0.5)).toEqual({
      passed: true,
      exit_code: 0,
      threshold: 0.5,
      counts: { total: 0, passed: 0, failed: 0, errored: 0, timed_out: 0, interrupted: 0, reused: 0 },
      cost: '0',
      results: [],
    });
    expect(buildReport([], [], 0, [130])).toMatchObject({ passed: false, exit_code: 130 });
  });

  it('counts interrupted inputs as timed out', () => {
    const report = buildReport([result({ passed: false, status_code: 'pending' })], [130], 0);
    expect(report.counts.timed_out).toBe(1);
    expect(report.exit_code).toBe(130);
  });
});
