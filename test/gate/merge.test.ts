import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { buildReport, decideResult, type DecideInput } from '../../src/gate/decide.js';
import { mergeReports } from '../../src/gate/merge.js';
import { selectShard } from '../../src/gate/shard.js';
import type { GateReport } from '../../src/gate/types.js';

/** What one gate over `inputs` would print, built with the same functions the gate uses. */
function gateDocument(inputs: DecideInput[], threshold: number, extraCodes: number[] = []): GateReport {
  const decided = inputs.map(decideResult);
  return buildReport(
    decided.map((d) => d.result),
    decided.map((d) => d.exitCode),
    threshold,
    extraCodes,
  );
}

const file = (name: string, doc: unknown) => ({ name, text: `${JSON.stringify(doc, null, 2)}\n` });

function input(i: number, kind: 'pass' | 'low' | 'failed' | 'pending'): DecideInput & { shardKey: string } {
  const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
  const evaluation = {
    pass: { id, status_code: 'completed', overall_passed: true, weighted_pass_rate: 0.95, cost: '0.10' },
    low: { id, status_code: 'completed', overall_passed: true, weighted_pass_rate: 0.4, cost: '0.10', top_issues: ['dull'] },
    failed: { id, status_code: 'failed', failure_code: 'processing_failed', cost: '0.05' },
    pending: { id, status_code: 'running' },
  }[kind];
  return { image: `img-${i}.png`, shardKey: `img-${i}.png`, threshold: 0.5, evaluation, state: kind === 'pending' ? 'pending' : 'terminal' };
}

async function mergeMessage(docs: Array<{ name: string; text: string }>): Promise<string> {
  try {
    mergeReports(docs);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as UsageError).message;
  }
  throw new Error('expected a UsageError');
}

describe('mergeReports', () => {
  it('two shards merge into the document of one gate over all their inputs', () => {
    const kinds = ['pass', 'low', 'pass', 'failed', 'pass', 'pending', 'pass', 'low'] as const;
    const all = kinds.map((k, i) => input(i, k));
    const shard1 = selectShard(all, { index: 1, count: 2 });
    const shard2 = selectShard(all, { index: 2, count: 2 });
    expect(shard1.length + shard2.length).toBe(all.length);

    const merged = mergeReports([file('shard-1.json', gateDocument(shard1, 0.5)), file('shard-2.json', gateDocument(shard2, 0.5))]);
    const whole = gateDocument([...shard1, ...shard2], 0.5);
    expect(merged).toEqual(whole);
    expect(JSON.stringify(merged)).toBe(JSON.stringify(whole));
    expect(merged.exit_code).toBe(6);
    expect(merged.counts).toEqual({ total: 8, passed: 4, failed: 2, errored: 1, timed_out: 1, interrupted: 0, reused: 0 });
    expect(merged.cost).toBe('0.65');
  });

  it('an empty shard is fine, and shards of passes merge into a pass', () => {
    const passes = [input(1, 'pass'), input(2, 'pass')];
    const merged = mergeReports([file('a.json', gateDocument([], 0)), file('b.json', gateDocument(passes, 0))]);
    expect(merged.passed).toBe(true);
    expect(merged.exit_code).toBe(0);
    expect(merged.results.map((r) => r.image)).toEqual(['img-1.png', 'img-2.png']);
    expect(mergeReports([file('only-empty.json', gateDocument([], 0))])).toMatchObject({ passed: true, exit_code: 0, cost: '0' });
  });

  it('a shard that was interrupted or broke cannot merge into a pass', () => {
    const passes = [input(1, 'pass')];
    for (const code of [130, 2, 4, 5]) {
      const broken = gateDocument(passes, 0, [code]);
      expect(broken.exit_code).toBe(code);
      const merged = mergeReports([file('ok.json', gateDocument([input(2, 'pass')], 0)), file('broken.json', broken)]);
      expect(merged.exit_code, `shard exit ${code}`).toBe(code);
      expect(merged.passed).toBe(false);
    }
  });

  it('re-derives exit codes from the results, not from a shard\'s claim', () => {
    const doc = gateDocument([input(1, 'low')], 0.5);
    const tampered = { ...doc, passed: true, exit_code: 0 };
    expect(mergeReports([file('x.json', tampered)]).exit_code).toBe(1);
  });

  it('keeps the shared threshold, or the first file\'s when they differ, and each result\'s own', () => {
    const a = gateDocument([{ ...input(1, 'pass'), threshold: 0.3 }], 0.3);
    const b = gateDocument([{ ...input(2, 'pass'), threshold: 0.9 }], 0.9);
    const merged = mergeReports([file('a.json', a), file('b.json', b)]);
    expect(merged.threshold).toBe(0.3);
    expect(merged.results.map((r) => r.threshold)).toEqual([0.3, 0.9]);
  });

  it('names a file that is not a gate report', async () => {
    expect(await mergeMessage([{ name: 'junk.txt', text: 'hello' }])).toMatch(/^junk\.txt: not JSON/);
    expect(await mergeMessage([file('arr.json', [1, 2])])).toMatch(/^arr\.json: not a gate report/);
    expect(await mergeMessage([file('evaluation.json', { id: 'x', status_code: 'completed' })])).toMatch(/^evaluation\.json: not a gate report/);
    expect(await mergeMessage([file('nocounts.json', { results: [] })])).toMatch(/^nocounts\.json: not a gate report/);
    expect(await mergeMessage([file('err.json', { error: { code: 'auth', message: 'no API key found', exit_code: 4 } })])).toBe(
      'err.json: this shard ended with an error and no results (auth: no API key found)',
    );
    expect(await mergeMessage([file('plan.json', { dry_run: true, inputs: [] })])).toMatch(/^plan\.json: a --dry-run plan/);
    expect(await mergeMessage([file('bad-row.json', { counts: {}, results: [{ image: 'a.png' }] })])).toMatch(/^bad-row\.json: results\[0\] is not a gate result/);
    expect(await mergeMessage([])).toMatch(/at least one file/);
  });

  it('names the bad file among good ones', async () => {
    const good = file('good.json', gateDocument([input(1, 'pass')], 0));
    expect(await mergeMessage([good, { name: 'shard-3.json', text: '{"passed": true' }])).toMatch(/^shard-3\.json: not JSON/);
  });
});
