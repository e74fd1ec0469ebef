import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { GateResultExtra } from '../../src/gate/types.js';
import { renderHtml } from '../../src/report/html.js';
import { bigReport, mixedReport, tinyPng } from './fixtures.js';

/** The `<article>` of each result, in page order. */
function rows(html: string): string[] {
  return html.split('<article ').slice(1).map((part) => part.slice(0, part.indexOf('</article>')));
}

function attr(fragment: string, name: string): string | undefined {
  return new RegExp(`${name}="([^"]*)"`).exec(fragment)?.[1];
}

describe('renderHtml', () => {
  it('has one row per result with the verdict a person sees', async () => {
    const { report, extras, expected } = await mixedReport();
    const html = await renderHtml(report, extras, { title: 'Nightly <gate>', generatedAt: '2025-01-02T03:04:05Z' });
    const cards = rows(html);
    expect(cards).toHaveLength(report.results.length);
    expect(cards.map((c) => attr(c, 'data-verdict'))).toEqual(expected.map((v) => (v === 'TIMEOUT' ? 'PENDING' : v)));
    expect(cards.map((c) => />(PASS|FAIL|ERROR|PENDING)<\/span>/.exec(c)?.[1])).toEqual(cards.map((c) => attr(c, 'data-verdict')));
    expect(attr(cards[1]!, 'data-score')).toBe('0.62');
    expect(attr(cards[4]!, 'data-score')).toBe('');
    expect(attr(cards[0]!, 'data-image')).toBe('images/good.png');
    expect(html).toContain('<title>Nightly &lt;gate&gt;</title>');
    expect(html).toContain('<span data-testid="summary-line">2/8 passed, threshold 0.80, total cost 2.800000</span>');
    expect(html).toContain('2025-01-02T03:04:05Z');
    expect(html).toMatch(/<dt>Exit code<\/dt><dd>5<\/dd>/);
  });

  it('never lets server text become markup, and strips control characters', async () => {
    const { report, extras } = await mixedReport();
    const html = await renderHtml(report, extras);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<i>|<b>/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    const card = rows(html)[1]!;
    expect(card).toContain('data-testid="judges" open');
    expect(card.match(/data-testid="judge-row"/g)).toHaveLength(2);
    expect(card).toContain('<span class="where">composition / crop&lt;i&gt;</span> head cropped &lt;script&gt;');
    expect(card).toContain('data-testid="gate-failure-row"');
    expect(card).toMatch(/<pre data-testid="improved-prompt">A centred portrait &lt;script&gt;/);
  });

  it('fetches nothing: only data: images, remote images as https links, no script', async () => {
    const { report, extras } = await mixedReport();
    const html = await renderHtml(report, extras);
    expect(html).not.toMatch(/src="http/i);
    for (const src of html.matchAll(/\ssrc="([^"]*)"/g)) expect(src[1]).toMatch(/^data:image\//);
    expect(html).toContain(`content="default-src 'none'; img-src data:; style-src 'unsafe-inline'"`);
    const cards = rows(html);
    expect(cards[1]).toContain('<a data-testid="thumbnail-link" href="https://cdn.example.com/a.png?x=1&amp;y=%3Cb%3E" rel="noopener noreferrer">');
    expect(cards[2]).toContain('<span data-testid="thumbnail-text">runflow://assets/33333333-3333-4333-8333-333333333333</span>');
    // A javascript: "image" is shown as text, never as a link.
    expect(html).not.toMatch(/href="javascript:/i);
    expect(cards[7]).toContain('<span data-testid="thumbnail-text">javascript:alert(1)</span>');
  });

  it('embeds a thumbnail for a local PNG and for a data: URI input', async () => {
    const { report, extras } = await mixedReport();
    const html = await renderHtml(report, extras);
    const cards = rows(html);
    const src = /<img data-testid="thumbnail-img" alt="images\/good.png" src="data:image\/webp;base64,([^"]+)">/.exec(cards[0]!);
    expect(src).not.toBeNull();
    const meta = await sharp(Buffer.from(src![1]!, 'base64')).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['webp', 64, 48]);
    expect(cards[5]).toContain(`src="${report.results[5]!.image}"`);
  });

  it('links local images past the thumbnail limit or over 5 MB, and says so', async () => {
    const { dir } = await mixedReport();
    const small = join(dir, 'small.png');
    const huge = join(dir, 'huge.png');
    await writeFile(small, await tinyPng());
    await writeFile(huge, Buffer.concat([await tinyPng(), Buffer.alloc(5 * 1024 * 1024)]));
    const report = bigReport(4);
    const extras: GateResultExtra[] = [{ localPath: huge }, { localPath: small }, { localPath: small }, { localPath: small }];
    const html = await renderHtml(report, extras, { maxThumbnails: 3 });
    const cards = rows(html);
    expect(cards[0]).toContain('larger than 5 MB, not embedded');
    expect(cards[0]).toMatch(/href="file:\/\/\/[^"]*huge\.png"/);
    expect(cards[1]).toContain('data-testid="thumbnail-img"');
    expect(cards[2]).toContain('data-testid="thumbnail-img"');
    expect(cards[3]).toContain('thumbnails are embedded for the first 3 local images only');
    expect(html).toContain('data-testid="thumbnail-note">2 local images are linked');
  });

  it('renders 1,000 results with 200 embedded thumbnails', async () => {
    const { dir } = await mixedReport();
    const small = join(dir, 'one.png');
    await writeFile(small, await tinyPng());
    const report = bigReport(1000);
    const html = await renderHtml(report, report.results.map(() => ({ localPath: small })));
    expect(rows(html)).toHaveLength(1000);
    expect(html.match(/data-testid="thumbnail-img"/g)).toHaveLength(200);
    expect(html.match(/data-testid="thumbnail-link"/g)).toHaveLength(800);
    expect(html.length).toBeLessThan(10 * 1024 * 1024);
  });

  it('renders from the report alone and for an empty shard', async () => {
    const { report } = await mixedReport();
    const html = await renderHtml(report);
    expect(rows(html)).toHaveLength(8);
    expect(rows(html)[0]).toContain('<span data-testid="thumbnail-text">images/good.png</span>');
    const empty = await renderHtml({ ...report, passed: true, exit_code: 0, results: [], counts: { total: 0, passed: 0, failed: 0, errored: 0, timed_out: 0, interrupted: 0, reused: 0 } });
    expect(empty).toContain('data-testid="no-results"');
  });
});
