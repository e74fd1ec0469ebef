import { describe, expect, it } from 'vitest';
import { renderGateTable, gateSummaryLine } from '../../src/report/summary-table.js';
import { mixedReport } from './fixtures.js';

const ANSI = /\u001b\[[0-9;]*m/g;

describe('renderGateTable', () => {
  it('is plain, aligned text with the exact summary line when colour is off', async () => {
    const { report } = await mixedReport();
    const out = renderGateTable(report, { color: false, columns: 80 });
    expect(out).not.toContain('\u001b');
    expect(out).not.toMatch(/[┌│─]/);
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^IMAGE +SCORE +VERDICT +DETAIL$/);
    expect(lines).toHaveLength(1 + 8 + 1);
    expect(lines.at(-1)).toBe('2/8 passed, threshold 0.80, total cost 2.800000');
    expect(lines[1]).toMatch(/^images\/good\.png +0\.91 +PASS +minor noise$/);
    expect(lines[2]).toMatch(/ 0\.62 +FAIL +<script>alert\(1\)<\/script> \]\]> a\|b `code` red bell line1 line2 100% ::error::forged \(\+2 more\)$/);
    expect(lines[3]).toMatch(/ ERROR +evaluation failed: invalid_media$/);
    expect(lines[4]).toMatch(/ TIMEOUT +still running at the deadline$/);
    expect(lines[5]).toMatch(/^bad\.png +— +ERROR +validation_error: <b>bad<\/b>/);
    expect(lines[6]).toMatch(/ 0\.7996 +FAIL +soft focus$/);
    // Columns line up: the verdict starts at the same offset on every row.
    const verdictAt = lines[0]!.indexOf('VERDICT');
    for (const line of lines.slice(1, -1)) expect(line.slice(verdictAt)).toMatch(/^(PASS|FAIL|ERROR|TIMEOUT)/);
  });

  it('adds the evaluation id column on request', async () => {
    const { report } = await mixedReport();
    const lines = renderGateTable(report, { color: false, columns: 80, showIds: true }).split('\n');
    expect(lines[0]).toMatch(/^IMAGE +SCORE +VERDICT +EVALUATION +DETAIL$/);
    expect(lines[1]).toContain('  11111111-1111-4111-8111-111111111111  minor noise');
  });

  it('colours verdicts and fits the terminal width when colour is on', async () => {
    const { report } = await mixedReport();
    const out = renderGateTable(report, { color: true, columns: 100 });
    expect(out).toContain('\u001b[32mPASS\u001b[39m');
    expect(out).toContain('\u001b[31mFAIL\u001b[39m');
    const plain = out.replace(ANSI, '');
    for (const line of plain.trimEnd().split('\n')) expect(line.length).toBeLessThanOrEqual(100);
    expect(plain).toContain('2/8 passed, threshold 0.80, total cost 2.800000');
    // Server escapes never reach the terminal; only our own colour codes remain.
    expect(plain).not.toContain('\u001b');
    expect(plain).not.toContain('\u0007');
  });

  it('prints only the summary for an empty shard', async () => {
    const { report } = await mixedReport();
    const empty = { ...report, passed: true, exit_code: 0, cost: '0', results: [], counts: { total: 0, passed: 0, failed: 0, errored: 0, timed_out: 0, interrupted: 0, reused: 0 } };
    expect(renderGateTable(empty, { color: false, columns: 80 })).toBe('0/0 passed, threshold 0.80, total cost 0\n');
    expect(gateSummaryLine(empty)).toBe('0/0 passed, threshold 0.80, total cost 0');
  });
});

describe('gateSummaryLine: what was reused from the cache', () => {
  const run = (reused: boolean) => ({ evaluation_id: 'x', status_code: 'completed', overall_passed: true, weighted_pass_rate: 0.9, cost: '0.4', ...(reused ? { reused: true } : {}) });
  const base = async () => {
    const { report } = await mixedReport();
    const results = report.results.slice(0, 3).map((r) => ({ ...r, reused: undefined, runs: undefined }));
    return { ...report, cost: '1.2', results, counts: { ...report.counts, total: 3, passed: 2, reused: 0 } };
  };

  it('says how many results were read back whole', async () => {
    const report = await base();
    expect(gateSummaryLine(report)).toBe('2/3 passed, threshold 0.80, total cost 1.2');
    report.results[0] = { ...report.results[0]!, reused: true };
    expect(gateSummaryLine({ ...report, counts: { ...report.counts, reused: 1 } })).toBe('2/3 passed, threshold 0.80, total cost 1.2 (1 reused from the cache, not billed again)');
  });

  it('with --runs, also the runs read back of images that made new ones too', async () => {
    const report = await base();
    report.results[0] = { ...report.results[0]!, reused: true, runs: [run(true), run(true), run(true)] };
    report.results[1] = { ...report.results[1]!, runs: [run(true), run(true), run(false)] };
    report.results[2] = { ...report.results[2]!, runs: [run(true), run(false), run(false)] };
    expect(gateSummaryLine({ ...report, counts: { ...report.counts, reused: 1 } })).toBe(
      '2/3 passed, threshold 0.80, total cost 1.2 (1 reused from the cache, 3 runs of 2 other images reused, not billed again)',
    );
    report.results[0] = { ...report.results[0]!, reused: undefined, runs: [run(false), run(false), run(false)] };
    expect(gateSummaryLine(report)).toBe('2/3 passed, threshold 0.80, total cost 1.2 (3 runs of 2 images reused from the cache, not billed again)');
  });
});

describe('renderGateTable: widths, long paths, big gates (issue #12 item 8)', () => {
  const result = (image: string, passed: boolean) => ({
    image,
    evaluation_id: null,
    status_code: 'completed',
    overall_passed: passed,
    weighted_pass_rate: passed ? 0.9 : 0.4,
    threshold: 0.5,
    passed,
    failure_code: null,
    top_issues: passed ? [] : ['blurry'],
    cost: '0.1',
  });
  const reportOf = (results: ReturnType<typeof result>[]) => ({
    passed: results.every((r) => r.passed),
    exit_code: results.every((r) => r.passed) ? 0 : 1,
    threshold: 0.5,
    counts: { total: results.length, passed: results.filter((r) => r.passed).length, failed: results.filter((r) => !r.passed).length, errored: 0, timed_out: 0, interrupted: 0 },
    cost: '0',
    results,
  });

  it('lines up wide (CJK) names by display columns', async () => {
    const { displayWidth } = await import('../../src/report/width.js');
    const out = renderGateTable(reportOf([result('写真/靴.png', false), result('shots/a.png', true)]), { color: false, columns: 80 });
    const lines = out.split('\n');
    const at = (line: string) => displayWidth(line.slice(0, line.search(/0\.\d\d|SCORE/)));
    expect(at(lines[1]!)).toBe(at(lines[0]!));
    expect(at(lines[2]!)).toBe(at(lines[0]!));
  });

  it('shortens a long path in its middle, keeping the file name, in the plain and the coloured table', async () => {
    const long = 'renders/campaign-2024-summer-collection-final-approved-by-marketing/variant-b/shoe-17.png';
    const plain = renderGateTable(reportOf([result(long, false)]), { color: false, columns: 80 });
    expect(plain).toMatch(/renders\/campaign-2024-.*…\/shoe-17\.png/);
    const coloured = renderGateTable(reportOf([result(long, false)]), { color: true, columns: 80 }).replace(ANSI, '');
    expect(coloured).toMatch(/…\/shoe-17\.png/);
    for (const line of coloured.trimEnd().split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  });

  it('in a gate of more than 50 images lists only what did not pass, then counts the passes; `all` lists every row', () => {
    const results = Array.from({ length: 60 }, (_, i) => result(`shots/${i}.png`, i !== 7 && i !== 42));
    const out = renderGateTable(reportOf(results), { color: false, columns: 80 });
    const rows = out.trimEnd().split('\n');
    expect(rows).toHaveLength(1 + 2 + 2);
    expect(rows[1]).toMatch(/^shots\/7\.png/);
    expect(rows[2]).toMatch(/^shots\/42\.png/);
    expect(rows[3]).toBe('58 passed and not listed (--all lists every row)');
    expect(rows[4]).toBe('58/60 passed, threshold 0.50, total cost 0');
    expect(renderGateTable(reportOf(results), { color: false, columns: 80, all: true }).trimEnd().split('\n')).toHaveLength(1 + 60 + 1);
    // 50 or fewer: every row.
    expect(renderGateTable(reportOf(results.slice(0, 50)), { color: false, columns: 80 }).trimEnd().split('\n')).toHaveLength(1 + 50 + 1);
  });
});
