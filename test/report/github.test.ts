import { describe, expect, it } from 'vitest';
import { githubAnnotations, githubStepSummary, STEP_SUMMARY_LIMIT_BYTES } from '../../src/report/github.js';
import { bigReport, mixedReport } from './fixtures.js';

describe('githubAnnotations', () => {
  it('annotates each result that did not pass, as one escaped line each', async () => {
    const { report, extras } = await mixedReport();
    const lines = githubAnnotations(report, extras);
    expect(lines).toHaveLength(6); // 8 results, 2 passed
    for (const line of lines) {
      expect(line).toMatch(/^::(error|warning) [^\n\r]*::/);
      expect(line).not.toMatch(/[\n\r\u001b\u0007]/);
    }
    expect(lines.filter((l) => l.startsWith('::warning '))).toHaveLength(1); // the timed-out one
    // % in server text is encoded, so `100%` cannot become a runner escape.
    expect(lines[0]).toContain('100%25');
    expect(lines[0]).toContain('%0ATop issues: <script>');
    expect(lines[0]).toContain('%0AFailed judges: framing');
    // Properties: `:` and `,` encoded; file= only for a relative local path.
    expect(lines[0]).toMatch(/^::error title=runflow-eval gate%3A FAIL https%3A\/\/cdn\.example\.com/);
    expect(lines[2]).toBe(
      '::warning file=photos/slow%2Cone%3A1.jpg,title=runflow-eval gate%3A TIMEOUT photos/slow%2Cone%3A1.jpg::' +
        'still running at the deadline%0AEvaluation: 44444444-4444-4444-8444-444444444444',
    );
    expect(lines[3]).toMatch(/^::error file=bad\.png,title=/);
    expect(lines[1]).not.toContain('file=');
  });

  it('caps at 10 annotations and then says how many more', () => {
    const report = bigReport(40); // 30 results do not pass
    const lines = githubAnnotations(report);
    expect(lines).toHaveLength(11);
    expect(lines.slice(0, 10).every((l) => /^::(error|warning) /.test(l))).toBe(true);
    expect(lines[10]).toBe('::notice::20 more results not annotated; see the job summary');
  });

  it('prints nothing when everything passed', async () => {
    const { report } = await mixedReport();
    expect(githubAnnotations({ ...report, results: [report.results[0]!] })).toEqual([]);
  });
});

describe('githubStepSummary', () => {
  it('has a status heading and one escaped table row per result', async () => {
    const { report, extras } = await mixedReport();
    const md = githubStepSummary(report, extras);
    expect(md.startsWith('## runflow-eval gate: 2/8 passed (threshold 0.80)\n')).toBe(true);
    const rows = md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| Image'));
    expect(rows).toHaveLength(8);
    for (const row of rows) {
      // Seven cell borders, no more: a `|` from the server is escaped.
      expect(row.match(/(?<!\\)\|/g)).toHaveLength(7);
    }
    expect(md).not.toMatch(/<script|[\u001b\u0007]/);
    expect(md).not.toMatch(/(?<!\\)`/);
    expect(rows[1]).toContain('&lt;script&gt;');
    expect(rows[1]).toContain('| FAIL | 0.62 | 0.80 |');
  });

  it('stays under 1 MiB for 20,000 results, failures first, with a closing count', () => {
    const report = bigReport(20_000, 'y'.repeat(400));
    const md = githubStepSummary(report);
    expect(Buffer.byteLength(md)).toBeLessThan(STEP_SUMMARY_LIMIT_BYTES);
    const more = /… and (\d+) more rows \((\d+) not passing\)/.exec(md);
    expect(more).not.toBeNull();
    const rows = md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| Image'));
    expect(rows.length + Number(more![1])).toBe(20_000);
    expect(rows[0]).not.toContain('| PASS |');
  });

  it('keeps input order when everything fits', () => {
    const md = githubStepSummary(bigReport(8));
    const images = [...md.matchAll(/^\| images\/batch\/image-(\d+)\.png/gm)].map((m) => Number(m[1]));
    expect(images).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(md).not.toContain('more rows');
  });
});
