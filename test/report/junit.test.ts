import { describe, expect, it } from 'vitest';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { renderJUnit } from '../../src/report/junit.js';
import { bigReport, mixedReport } from './fixtures.js';

interface Case {
  '@_name': string;
  '@_classname': string;
  failure?: { '@_type': string; '@_message': string; '#text'?: string };
  error?: { '@_type': string; '@_message': string; '#text'?: string };
  'system-out': string;
}

function parse(xml: string) {
  const parser = new XMLParser({
    ignoreAttributes: false,
    parseTagValue: false,
    parseAttributeValue: false,
    isArray: (name) => name === 'testcase' || name === 'property',
  });
  return parser.parse(xml) as {
    testsuites: { testsuite: Record<string, string> & { testcase: Case[] } };
  };
}

describe('renderJUnit', () => {
  it('is valid XML with one testcase per image and the right failure and error counts', async () => {
    const { report, extras } = await mixedReport();
    const xml = renderJUnit(report, extras);
    expect(XMLValidator.validate(xml)).toBe(true);
    const suite = parse(xml).testsuites.testsuite;
    expect(suite['@_name']).toBe('runflow-eval gate');
    expect(suite['@_tests']).toBe('8');
    expect(suite['@_failures']).toBe('2');
    expect(suite['@_errors']).toBe('4'); // two failed evaluations, one client error, one timed out
    expect(suite['@_skipped']).toBe('0');
    expect(suite.testcase).toHaveLength(8);
    expect(suite.testcase.every((c) => c['@_classname'] === 'runflow-eval.gate')).toBe(true);
    expect(suite.testcase.filter((c) => c.failure)).toHaveLength(2);
    expect(suite.testcase.filter((c) => c.error)).toHaveLength(4);
  });

  it('types failures and errors', async () => {
    const { report, extras } = await mixedReport();
    const cases = parse(renderJUnit(report, extras)).testsuites.testsuite.testcase;
    expect(cases[0]!.failure).toBeUndefined();
    expect(cases[0]!.error).toBeUndefined();
    expect(cases[0]!['@_name']).toBe('images/good.png');
    expect(cases[1]!.failure!['@_type']).toBe('quality');
    expect(cases[1]!.failure!['@_message']).toBe('verdict failed; score 0.62 < threshold 0.80');
    expect(cases[2]!.error!['@_type']).toBe('invalid_media');
    expect(cases[3]!.error!['@_type']).toBe('timed_out');
    expect(cases[4]!.error!['@_type']).toBe('error');
    expect(cases[5]!.failure!['@_message']).toBe('score 0.7996 < threshold 0.80');
    // A data: URI input is named by its type and length, not its 12 MB of base64.
    expect(cases[5]!['@_name']).toMatch(/^data:image\/png;base64,… \(\d+ chars\)$/);
  });

  it('carries server text escaped and cleaned, with judge issues from extras', async () => {
    const { report, extras } = await mixedReport();
    const xml = renderJUnit(report, extras);
    expect(xml).not.toMatch(/<script/i);
    expect(xml).not.toContain('\u001b');
    expect(xml).not.toContain('\u0007');
    expect(xml).not.toContain('\u0000');
    expect(xml).not.toMatch(/\]\]>/);
    expect(xml).not.toContain('<![CDATA[');
    const cases = parse(xml).testsuites.testsuite.testcase;
    const body = cases[1]!.failure!['#text']!;
    // Decoded by the parser, the text is the server's, minus the control characters.
    expect(body).toContain('<script>alert(1)</script> ]]> a|b `code` red bell line1 line2 100%');
    expect(body).toContain('nul vt fffe lonesurrogate');
    expect(body).toContain('judge framing');
    expect(body).toContain('composition / crop<i>: head cropped');
    expect(body).toContain('gate failure framing / crop');
    expect(cases[1]!['system-out']).toContain('evaluation id: 22222222-2222-4222-8222-222222222222');
    expect(cases[1]!['system-out']).toContain('score: 0.62 (threshold 0.80)');
    expect(cases[1]!['system-out']).toContain('cost: 0.400000');
    expect(cases[2]!['system-out']).toContain('previous attempts: 30000000-0000-4000-8000-000000000000');
    // A hostile failure code cannot break out of its attribute.
    expect(cases[6]!.error!['@_type']).toMatch(/^processing_failed<script>/);
  });

  it('works from the report alone (gate merge has no extras) and for an empty shard', async () => {
    const { report } = await mixedReport();
    const xml = renderJUnit(report);
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(parse(xml).testsuites.testsuite.testcase).toHaveLength(8);

    const empty = renderJUnit({ ...report, passed: true, exit_code: 0, results: [], counts: { total: 0, passed: 0, failed: 0, errored: 0, timed_out: 0, interrupted: 0, reused: 0 } });
    expect(XMLValidator.validate(empty)).toBe(true);
    expect(empty).toContain('tests="0" failures="0" errors="0"');
  });

  it('stays valid for thousands of results', () => {
    const xml = renderJUnit(bigReport(5000));
    expect(XMLValidator.validate(xml)).toBe(true);
    const suite = parse(xml).testsuites.testsuite;
    expect(suite.testcase).toHaveLength(5000);
    expect(suite['@_failures']).toBe('1250');
    expect(suite['@_errors']).toBe('2500');
  });
});
