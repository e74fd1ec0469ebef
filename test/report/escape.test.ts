import { describe, expect, it } from 'vitest';
import {
  escapeHtml,
  escapeMarkdownCell,
  escapeWorkflowData,
  escapeWorkflowProperty,
  escapeXml,
  escapeXmlAttribute,
  stripControl,
  truncate,
} from '../../src/report/escape.js';
import { classifyResult, displayImage, formatScore, formatThreshold, isRelativeLocalPath } from '../../src/report/verdict.js';
import { XMLValidator } from 'fast-xml-parser';

describe('stripControl', () => {
  it('removes ANSI sequences whole, bells, carriage returns and bidi overrides, keeps newlines and tabs', () => {
    expect(stripControl('\u001b[31mred\u001b[0m\u0007 a\tb\r\nc \u202eevil')).toBe('red a\tb\nc evil');
  });
});

describe('escapeHtml', () => {
  it('escapes markup and quotes', () => {
    expect(escapeHtml(`<script>"x" & 'y'</script>`)).toBe('&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;');
  });
});

describe('escapeXml', () => {
  it('escapes markup and drops characters XML 1.0 forbids', () => {
    const text = escapeXml('a\u0000b\u000bc\ufffed\ud800e]]>&"\'<');
    expect(text).toBe('abcde]]&gt;&amp;&quot;&apos;&lt;');
    expect(XMLValidator.validate(`<r a="${escapeXmlAttribute('x\ny\u0001"')}">${text}</r>`)).toBe(true);
  });

  it('keeps astral characters (valid XML) and newlines in attributes as references', () => {
    expect(escapeXml('emoji \u{1f600}')).toBe('emoji \u{1f600}');
    expect(escapeXmlAttribute('a\nb')).toBe('a&#10;b');
  });
});

describe('escapeMarkdownCell', () => {
  it('keeps a cell on one line and neutralises pipes, code spans and HTML', () => {
    const cell = escapeMarkdownCell('a|b `c` <img src=x>\nnext \\| d');
    expect(cell).toBe('a\\|b \\`c\\` &lt;img src=x&gt; next \\\\\\| d');
    expect(cell).not.toMatch(/\n/);
    // Every pipe left is preceded by a backslash.
    expect(cell.match(/(?<!\\)\|/g)).toBeNull();
  });
});

describe('workflow command escaping', () => {
  it('percent-encodes data so it cannot start a new command', () => {
    expect(escapeWorkflowData('100%\n::error::x\r')).toBe('100%25%0A::error::x');
  });

  it('also encodes : and , in properties', () => {
    expect(escapeWorkflowProperty('a:b,c%\nd')).toBe('a%3Ab%2Cc%25%0Ad');
  });
});

describe('truncate', () => {
  it('cuts by code points with an ellipsis', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('\u{1f600}\u{1f600}\u{1f600}', 2)).toBe('\u{1f600}…');
    expect(truncate('short', 10)).toBe('short');
  });
});

describe('verdict helpers', () => {
  it('never rounds a score across the threshold', () => {
    expect(formatScore(0.7996, 0.8)).toBe('0.7996');
    expect(formatScore(0.9123, 0.8)).toBe('0.91');
    expect(formatScore(null, 0.8)).toBe('—');
    expect(formatThreshold(0.8)).toBe('0.80');
    expect(formatThreshold(0.805)).toBe('0.805');
    expect(formatThreshold(0)).toBe('0.00');
  });

  it('shortens data: URIs for display', () => {
    const uri = `data:image/png;base64,${'A'.repeat(1000)}`;
    expect(displayImage(uri)).toBe('data:image/png;base64,… (1022 chars)');
  });

  it('recognises relative local paths only', () => {
    expect(isRelativeLocalPath('images/a.png')).toBe(true);
    expect(isRelativeLocalPath('/abs/a.png')).toBe(false);
    expect(isRelativeLocalPath('C:\\a.png')).toBe(false);
    expect(isRelativeLocalPath('https://x/a.png')).toBe(false);
    expect(isRelativeLocalPath('runflow://assets/x')).toBe(false);
  });

  it('classifies from the gate decision first, then the status', () => {
    const base = { image: 'a', evaluation_id: 'id', overall_passed: null, weighted_pass_rate: null, threshold: 0, failure_code: null, top_issues: [], cost: null };
    expect(classifyResult({ ...base, status_code: 'completed', passed: true })).toBe('PASS');
    expect(classifyResult({ ...base, status_code: 'completed', passed: false })).toBe('FAIL');
    expect(classifyResult({ ...base, status_code: 'failed', passed: false })).toBe('ERROR');
    expect(classifyResult({ ...base, status_code: 'pending', passed: false })).toBe('TIMEOUT');
    expect(classifyResult({ ...base, evaluation_id: null, status_code: null, passed: false })).toBe('ERROR');
  });
});
