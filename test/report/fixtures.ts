/**
 * Gate reports for the report-writer tests: one result of every kind, with hostile server text
 * (markup, CDATA ends, pipes, ANSI escapes, bells, newlines, percent signs, characters XML forbids).
 */
import { mkdtemp, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { GateReport, GateResult, GateResultExtra } from '../../src/gate/types.js';
import type { Verdict } from '../../src/report/verdict.js';

export const HOSTILE =
  '<script>alert(1)</script> ]]> a|b `code` \u001b[31mred\u001b[0m bell\u0007 line1\nline2 100% ::error::forged';
export const XML_FORBIDDEN = 'nul\u0000 vt\u000b fffe\ufffe lone\ud800surrogate';

export async function tinyPng(width = 64, height = 48): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#c03' } }).png().toBuffer();
}

export interface MixedFixture {
  report: GateReport;
  extras: GateResultExtra[];
  /** The verdict every output must agree on, per result index. */
  expected: Verdict[];
  dir: string;
}

function result(partial: Partial<GateResult> & { image: string }): GateResult {
  return {
    evaluation_id: null,
    status_code: null,
    overall_passed: null,
    weighted_pass_rate: null,
    threshold: 0.8,
    passed: false,
    failure_code: null,
    top_issues: [],
    cost: null,
    ...partial,
  };
}

export async function mixedReport(): Promise<MixedFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'runflow-report-'));
  await mkdir(join(dir, 'images'));
  const goodPath = join(dir, 'images', 'good.png');
  await writeFile(goodPath, await tinyPng());
  const dataUri = `data:image/png;base64,${(await tinyPng(8, 8)).toString('base64')}`;

  const results: GateResult[] = [
    result({
      image: 'images/good.png',
      evaluation_id: '11111111-1111-4111-8111-111111111111',
      status_code: 'completed',
      overall_passed: true,
      weighted_pass_rate: 0.91,
      passed: true,
      top_issues: ['minor noise'],
      cost: '0.400000',
    }),
    result({
      image: 'https://cdn.example.com/a.png?x=1&y=<b>',
      evaluation_id: '22222222-2222-4222-8222-222222222222',
      status_code: 'completed',
      overall_passed: false,
      weighted_pass_rate: 0.62,
      top_issues: [HOSTILE, XML_FORBIDDEN, 'Slight shadow under the chin'],
      cost: '0.400000',
    }),
    result({
      image: 'runflow://assets/33333333-3333-4333-8333-333333333333',
      evaluation_id: '33333333-3333-4333-8333-333333333333',
      status_code: 'failed',
      failure_code: 'invalid_media',
      previous_ids: ['30000000-0000-4000-8000-000000000000'],
    }),
    result({
      image: 'photos/slow,one:1.jpg',
      evaluation_id: '44444444-4444-4444-8444-444444444444',
      status_code: 'running',
    }),
    result({
      image: 'bad.png',
      error: { code: 'validation_error', message: `<b>bad</b>\u001b[2J ${HOSTILE}`, exit_code: 5 },
    }),
    result({
      image: dataUri,
      evaluation_id: '66666666-6666-4666-8666-666666666666',
      status_code: 'completed',
      overall_passed: true,
      weighted_pass_rate: 0.7996, // verdict passes, score just under the threshold
      top_issues: ['soft focus'],
      cost: '0.400000',
    }),
    result({
      image: 'https://example.com/x.png',
      evaluation_id: '77777777-7777-4777-8777-777777777777',
      status_code: 'failed',
      failure_code: `processing_failed${HOSTILE}`,
      cost: '0.000000',
    }),
    result({
      image: 'javascript:alert(1)',
      evaluation_id: '88888888-8888-4888-8888-888888888888',
      status_code: 'completed',
      overall_passed: true,
      weighted_pass_rate: 1,
      passed: true,
      cost: '1.600000',
    }),
  ];
  const expected: Verdict[] = ['PASS', 'FAIL', 'ERROR', 'TIMEOUT', 'ERROR', 'FAIL', 'ERROR', 'PASS'];

  const extras: GateResultExtra[] = results.map(() => ({}));
  extras[0] = { localPath: goodPath };
  extras[1] = {
    evaluation: {
      id: results[1]!.evaluation_id,
      status_code: 'completed',
      eval_duration_ms: 1234,
      judges: [
        {
          name: `framing ${HOSTILE}`,
          passed: false,
          weight: 0.5,
          confidence: 0.9,
          reasoning: `The subject is cut off.\n${HOSTILE}`,
          issues: [{ category: 'composition', subcategory: 'crop<i>', detail: `head cropped ${HOSTILE}` }],
        },
        { name: 'exposure', passed: true, weight: 0.5, confidence: 0.8, reasoning: null, issues: null },
        null as never,
      ],
      gate_failures: [{ module: 'framing', output_key: 'crop', reason: HOSTILE }],
      action: { primary_action: 'regenerate', failure_summary: HOSTILE, improved_prompt: `A centred portrait ${HOSTILE}` },
    },
  };

  const report: GateReport = {
    passed: false,
    exit_code: 5,
    threshold: 0.8,
    counts: { total: 8, passed: 2, failed: 2, errored: 3, timed_out: 1, interrupted: 0, reused: 0 },
    cost: '2.800000',
    results,
  };
  return { report, extras, expected, dir };
}

/** A report of `n` results cycling through every kind, for size limits. */
export function bigReport(n: number, issue = 'x'.repeat(250)): GateReport {
  const results: GateResult[] = [];
  for (let i = 0; i < n; i++) {
    const kind = i % 4;
    results.push(
      result({
        image: `images/batch/image-${String(i).padStart(6, '0')}.png`,
        evaluation_id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
        status_code: kind === 2 ? 'failed' : kind === 3 ? 'pending' : 'completed',
        overall_passed: kind === 0,
        weighted_pass_rate: kind === 0 ? 0.9 : 0.5,
        passed: kind === 0,
        failure_code: kind === 2 ? 'timed_out' : null,
        top_issues: kind === 1 ? [`${issue} | ${i}`] : [],
        cost: '0.400000',
      }),
    );
  }
  const passed = results.filter((r) => r.passed).length;
  return {
    passed: false,
    exit_code: 6,
    threshold: 0.8,
    counts: { total: n, passed, failed: n - passed, errored: 0, timed_out: 0, interrupted: 0, reused: 0 },
    cost: (n * 0.4).toFixed(6),
    results,
  };
}
