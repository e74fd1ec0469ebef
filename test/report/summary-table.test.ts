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
    const empty = { ...report, passed: true, exit_code: 0, cost: '0', results: [], counts: { total: 0, passed: 0, failed: 0, errored: 0, timed_out: 0, interrupted: 0 } };
    expect(renderGateTable(empty, { color: false, columns: 80 })).toBe('0/0 passed, threshold 0.80, total cost 0\n');
    expect(gateSummaryLine(empty)).toBe('0/0 passed, threshold 0.80, total cost 0');
  });
});
