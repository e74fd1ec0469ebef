import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { githubAnnotations, githubStepSummary } from '../../src/report/github.js';
import { renderHtml } from '../../src/report/html.js';
import { renderJUnit } from '../../src/report/junit.js';
import { renderGateTable } from '../../src/report/summary-table.js';
import { mixedReport } from './fixtures.js';

type Outcome = 'pass' | 'fail' | 'error';

describe('the four outputs', () => {
  it('agree on pass / fail / error for every image', async () => {
    const { report, extras, expected } = await mixedReport();
    const want: Outcome[] = expected.map((v) => (v === 'PASS' ? 'pass' : v === 'FAIL' ? 'fail' : 'error'));

    const table = renderGateTable(report, { color: false, columns: 80 }).trimEnd().split('\n').slice(1, -1);
    const fromTable = table.map((line) => {
      const word = / (PASS|FAIL|ERROR|TIMEOUT)(?:  |$)/.exec(line)![1];
      return word === 'PASS' ? 'pass' : word === 'FAIL' ? 'fail' : 'error';
    });

    const parsed = new XMLParser({ ignoreAttributes: false, isArray: (n) => n === 'testcase' }).parse(renderJUnit(report, extras));
    const fromJUnit = (parsed.testsuites.testsuite.testcase as Array<Record<string, unknown>>).map((c) =>
      c.failure ? 'fail' : c.error ? 'error' : 'pass',
    );

    const html = await renderHtml(report, extras);
    const fromHtml = [...html.matchAll(/data-testid="result-row"[^>]*data-verdict="([A-Z]+)"/g)].map((m) =>
      m[1] === 'PASS' ? 'pass' : m[1] === 'FAIL' ? 'fail' : 'error',
    );

    const md = githubStepSummary(report, extras).split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| Image'));
    const fromMarkdown = md.map((row) => {
      const word = row.split(' | ')[1];
      return word === 'PASS' ? 'pass' : word === 'FAIL' ? 'fail' : 'error';
    });

    expect(fromTable).toEqual(want);
    expect(fromJUnit).toEqual(want);
    expect(fromHtml).toEqual(want);
    expect(fromMarkdown).toEqual(want);
    // And every result that did not pass has an annotation.
    expect(githubAnnotations(report, extras)).toHaveLength(want.filter((o) => o !== 'pass').length);
  });
});
