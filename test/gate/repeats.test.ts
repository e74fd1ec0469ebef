import { describe, expect, it } from 'vitest';
import { decideResult } from '../../src/gate/decide.js';
import { aggregateRuns, aggregateScores, earnsMoreRuns, parseRepeatFlags, runKeySuffix } from '../../src/gate/repeats.js';

function run(score: number | null, opts: { verdict?: boolean; status?: string; cost?: string; threshold?: number; state?: 'terminal' | 'pending' } = {}) {
  return decideResult({
    image: 'a.png',
    threshold: opts.threshold ?? 0.8,
    state: opts.state ?? 'terminal',
    evaluation: {
      id: `id-${score}-${Math.random()}`,
      status_code: opts.status ?? 'completed',
      overall_passed: opts.status && opts.status !== 'completed' ? null : (opts.verdict ?? true),
      weighted_pass_rate: score,
      cost: opts.cost ?? '0.10',
      failure_code: opts.status === 'failed' ? 'processing_failed' : null,
    } as never,
  });
}

describe('repeats', () => {
  it('aggregates: median (even counts average the middle two), mean, min, rounded', () => {
    expect(aggregateScores([0.9, 0.6, 0.84], 'median')).toBe(0.84);
    expect(aggregateScores([0.9, 0.6, 0.8, 0.7], 'median')).toBe(0.75);
    expect(aggregateScores([0.1, 0.2, 0.2], 'mean')).toBe(0.166667);
    expect(aggregateScores([0.9, 0.6], 'min')).toBe(0.6);
    expect(aggregateScores([], 'median')).toBeNull();
  });

  it('keys: the first run keeps its key, run k adds -run<k>', () => {
    expect([1, 2, 5].map(runKeySuffix)).toEqual(['', '-run2', '-run5']);
  });

  it('--runs-within: a completed first score within the margin of its threshold (inclusive) earns more runs', () => {
    expect(earnsMoreRuns(run(0.85).result, 0.05)).toBe(true);
    expect(earnsMoreRuns(run(0.75).result, 0.05)).toBe(true);
    expect(earnsMoreRuns(run(0.86).result, 0.05)).toBe(false);
    expect(earnsMoreRuns(run(null, { status: 'failed' }).result, 0.05)).toBe(false);
    expect(earnsMoreRuns(run(0.2).result, undefined)).toBe(true);
  });

  it('folds runs: cost summed, runs listed, verdict by majority of all runs', () => {
    const folded = aggregateRuns([run(0.9), run(0.82, { verdict: false }), run(null, { status: 'failed' })], 'median');
    expect(folded.result).toMatchObject({ status_code: 'completed', weighted_pass_rate: 0.86, overall_passed: false, passed: false, cost: '0.30', failure_code: null });
    expect(folded.exitCode).toBe(1);
    expect(folded.result.runs!.map((r) => r.status_code)).toEqual(['completed', 'completed', 'failed']);
  });

  it('without a majority completed it is the worst unfinished run: pending beats failed', () => {
    const folded = aggregateRuns([run(0.9), run(null, { status: 'failed' }), run(null, { status: 'pending', state: 'pending' })], 'median');
    expect(folded.exitCode).toBe(6);
    expect(folded.result).toMatchObject({ passed: false, status_code: 'pending', weighted_pass_rate: null });
    expect(aggregateRuns([run(0.9), run(null, { status: 'failed' }), run(null, { status: 'failed' })], 'median').exitCode).toBe(3);
  });

  it('checks the flags', () => {
    expect(parseRepeatFlags({})).toEqual({ runs: 1, aggregate: 'median', within: undefined });
    expect(parseRepeatFlags({ runs: '3', aggregate: 'MIN', runsWithin: '0.1' })).toEqual({ runs: 3, aggregate: 'min', within: 0.1 });
    expect(() => parseRepeatFlags({ runs: '6' })).toThrow(/--runs must be a whole number from 1 to 5/);
    expect(() => parseRepeatFlags({ runsWithin: '0.1' })).toThrow(/--runs-within needs --runs 2 or more/);
  });
});

describe('runRepeated', () => {
  it('--runs-within: further runs wait for the first score and are left out far from the bar; progress counts images', async () => {
    const { runRepeated } = await import('../../src/gate/repeat-run.js');
    const planned = ['a.png', 'b.png'].map((display) => ({ input: { kind: 'submit', display } as never, threshold: 0.8 }));
    // a's first score is near the bar (earns runs 2 and 3), b's far above it (one run).
    const scores: Record<string, number[]> = { 'a.png': [0.85, 0.9, 0.7], 'b.png': [0.99, 0.5, 0.5] };
    const seen: string[] = [];
    const sent: string[] = [];
    type Entry = (typeof planned)[number] & { keySuffix?: string; when?: Promise<boolean> };
    const fakeRunGate = async (list: Entry[], opts: Parameters<typeof runRepeated>[1]) => {
      const decided = [];
      for (const [i, p] of list.entries()) {
        const k = p.keySuffix ? Number(p.keySuffix.replace('-run', '')) : 1;
        const go = p.when ? await p.when : true;
        if (go) sent.push(`${p.input.display}#${k}`);
        const d = go ? run(scores[p.input.display]![k - 1]!) : decideResult({ image: p.input.display, threshold: 0.8, state: 'not_submitted' });
        opts.failures!.settled(i, d.result, d.exitCode);
        opts.onProgress?.({ done: i + 1, total: list.length, inFlight: 0, passed: 0, limit: 8 });
        decided.push(d);
      }
      return { results: decided.map((d) => d.result), exitCodes: decided.map((d) => d.exitCode), extras: list.map(() => ({})), submittedIds: [], interrupted: false };
    };
    const onProgress = (s: { done: number; total: number; passed: number }) => seen.push(`${s.done}/${s.total} ${s.passed} passed`);
    const outcome = await runRepeated(planned as never, { onProgress } as never, { runs: 3, aggregate: 'median', within: 0.1 }, fakeRunGate as never);
    expect(sent).toEqual(['a.png#1', 'a.png#2', 'a.png#3', 'b.png#1']);
    expect(outcome.results.map((r) => r.runs?.length)).toEqual([3, 1]);
    expect(outcome.results.map((r) => [r.weighted_pass_rate, r.passed])).toEqual([[0.85, true], [0.99, true]]);
    expect(outcome.exitCodes).toEqual([0, 0]);
    expect(seen).toEqual(['0/2 0 passed', '0/2 0 passed', '1/2 1 passed', '2/2 2 passed', '2/2 2 passed', '2/2 2 passed']);
  });
});
