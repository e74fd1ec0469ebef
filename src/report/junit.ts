/**
 * `gate --junit FILE`: one testcase per image, so CI test tabs show which images failed.
 * A quality fail is a `<failure type="quality">`; a failed evaluation, one still pending at the
 * deadline, or a client error is an `<error>` typed by its failure code, `timed_out` or `error`.
 * All text is escaped (never CDATA, which `]]>` in server text would end) and stripped of
 * characters XML 1.0 forbids.
 */
import type { GateReport, GateResult, GateResultExtra } from '../gate/types.js';
import { escapeXml, escapeXmlAttribute, oneLine, stripControl } from './escape.js';
import {
  changeText,
  classifyResult,
  cleanIssues,
  describeResult,
  displayImage,
  effectiveThreshold,
  formatScore,
  formatThreshold,
  regressionText,
  resultCode,
  scoreOf,
  spreadText,
} from './verdict.js';

const SUITE_NAME = 'runflow-eval gate';
const CLASS_NAME = 'runflow-eval.gate';

export function renderJUnit(report: GateReport, extras?: readonly (GateResultExtra | undefined)[]): string {
  const cases: string[] = [];
  let failures = 0;
  let errors = 0;
  let totalSeconds = 0;
  let anyTime = false;

  report.results.forEach((result, index) => {
    const extra = extras?.[index];
    const verdict = classifyResult(result);
    if (verdict === 'FAIL') failures++;
    if (verdict !== 'PASS' && verdict !== 'FAIL') errors++;
    const seconds = durationSeconds(extra);
    if (seconds !== null) {
      totalSeconds += seconds;
      anyTime = true;
    }
    cases.push(renderCase(result, extra, report.threshold, seconds));
  });

  const counts = `tests="${report.results.length}" failures="${failures}" errors="${errors}" skipped="0"`;
  const time = anyTime ? ` time="${totalSeconds.toFixed(3)}"` : '';
  const properties = [
    property('threshold', formatThreshold(report.threshold)),
    property('exit_code', String(report.exit_code)),
    property('cost', String(report.cost ?? '')),
    ...baselineProperties(report),
  ].join('\n');
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="runflow-eval" ${counts}${time}>`,
    `  <testsuite name="${SUITE_NAME}" ${counts}${time}>`,
    '    <properties>',
    properties,
    '    </properties>',
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

/** The comparison with --baseline, for tools that read suite properties. */
function baselineProperties(report: GateReport): string[] {
  const b = report.baseline;
  if (!b) return [];
  return [
    property('baseline', String(b.file)),
    property('baseline_matched', String(b.matched)),
    property('baseline_new', String(b.new)),
    property('baseline_missing', String(b.missing)),
    property('baseline_regressed', String(b.regressed)),
    property('baseline_mean_delta', b.mean_delta === null ? '' : String(b.mean_delta)),
    property('baseline_mean_regressed', String(b.mean_regressed === true)),
  ];
}

function property(name: string, value: string): string {
  return `      <property name="${escapeXmlAttribute(name)}" value="${escapeXmlAttribute(value)}"/>`;
}

function durationSeconds(extra: GateResultExtra | undefined): number | null {
  const ms = extra?.evaluation?.eval_duration_ms;
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 ? ms / 1000 : null;
}

function renderCase(result: GateResult, extra: GateResultExtra | undefined, reportThreshold: number, seconds: number | null): string {
  const name = escapeXmlAttribute(displayImage(result.image));
  const time = seconds !== null ? ` time="${seconds.toFixed(3)}"` : '';
  const lines = [`    <testcase classname="${CLASS_NAME}" name="${name}"${time}>`];
  const verdict = classifyResult(result);
  const message = escapeXmlAttribute(describeResult(result, reportThreshold));
  const body = escapeXml(detailLines(result, extra, reportThreshold).join('\n'));
  if (verdict === 'FAIL') {
    // A regression (a pass that became a fail, or a score that fell too far) says from what to what.
    const type = result.regressed === true ? 'regression' : 'quality';
    lines.push(`      <failure message="${message}" type="${type}">${body}</failure>`);
  } else if (verdict !== 'PASS') {
    const type = escapeXmlAttribute(resultCode(result));
    lines.push(`      <error message="${message}" type="${type}">${body}</error>`);
  }
  lines.push(`      <system-out>${escapeXml(systemOut(result, reportThreshold))}</system-out>`);
  lines.push('    </testcase>');
  return lines.join('\n');
}

function systemOut(result: GateResult, reportThreshold: number): string {
  const threshold = effectiveThreshold(result, reportThreshold);
  const out = [
    `evaluation id: ${oneLine(String(result.evaluation_id ?? '')) || '(none)'}`,
    `status: ${oneLine(String(result.status_code ?? '')) || '(unknown)'}`,
    `score: ${formatScore(scoreOf(result), threshold)} (threshold ${formatThreshold(threshold)})`,
    `verdict: ${result.overall_passed === true ? 'passed' : result.overall_passed === false ? 'failed' : '(none)'}`,
    `cost: ${oneLine(String(result.cost ?? '')) || '(none)'}`,
  ];
  if (Array.isArray(result.previous_ids) && result.previous_ids.length > 0) {
    out.push(`previous attempts: ${result.previous_ids.map((id) => oneLine(String(id))).join(', ')}`);
  }
  const change = changeText(result, reportThreshold);
  if (change) out.push(`change: ${change}`);
  if (Array.isArray(result.runs) && result.runs.length > 1) {
    const spread = spreadText(result, reportThreshold);
    out.push(`runs: ${result.runs.length}${spread ? `, scores ${spread}` : ''}`);
    for (const run of result.runs) {
      if (!run || typeof run !== 'object') continue;
      const score = typeof run.weighted_pass_rate === 'number' ? formatScore(run.weighted_pass_rate, threshold) : '—';
      out.push(`  ${oneLine(String(run.evaluation_id ?? '(none)'))}: ${oneLine(String(run.status_code ?? '(unknown)'))}, score ${score}, verdict ${run.overall_passed === true ? 'passed' : run.overall_passed === false ? 'failed' : '(none)'}`);
    }
  }
  return out.join('\n');
}

/** The body of a failure/error: why, the top issues, and what each judge found. */
function detailLines(result: GateResult, extra: GateResultExtra | undefined, reportThreshold: number): string[] {
  const lines: string[] = [];
  const regression = regressionText(result, reportThreshold);
  if (regression) lines.push(regression);
  if (result.error) {
    lines.push(`error: ${oneLine(String(result.error.code ?? 'error'))}`);
    if (result.error.message) lines.push(stripControl(String(result.error.message)));
  }
  if (typeof result.failure_code === 'string' && result.failure_code) {
    lines.push(`failure code: ${oneLine(result.failure_code)}`);
  }
  const topIssues = cleanIssues(result.top_issues);
  if (topIssues.length > 0) {
    lines.push('top issues:');
    for (const issue of topIssues) lines.push(`  - ${issue}`);
  }
  const evaluation = extra?.evaluation;
  const judges = Array.isArray(evaluation?.judges) ? evaluation.judges : [];
  for (const judge of judges) {
    if (!judge || typeof judge !== 'object') continue;
    const issues = Array.isArray(judge.issues) ? judge.issues : [];
    if (judge.passed !== false && issues.length === 0) continue;
    const state = judge.passed === false ? 'failed' : judge.passed === true ? 'passed' : 'no verdict';
    lines.push(`judge ${oneLine(String(judge.name ?? '(unnamed)'))}: ${state}`);
    for (const issue of issues) {
      if (!issue || typeof issue !== 'object') continue;
      const where = [issue.category, issue.subcategory].filter((p) => typeof p === 'string' && p).map((p) => oneLine(String(p)));
      const detail = oneLine(String(issue.detail ?? ''));
      lines.push(`  - ${[where.join(' / '), detail].filter(Boolean).join(': ')}`);
    }
  }
  const gateFailures = Array.isArray(evaluation?.gate_failures) ? evaluation.gate_failures : [];
  for (const failure of gateFailures) {
    if (!failure || typeof failure !== 'object') continue;
    const where = [failure.module, failure.output_key].filter((p) => typeof p === 'string' && p).map((p) => oneLine(String(p)));
    lines.push(`gate failure ${where.join(' / ') || '(unnamed)'}: ${oneLine(String(failure.reason ?? ''))}`);
  }
  return lines;
}
