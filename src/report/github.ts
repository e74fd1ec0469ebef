/**
 * GitHub Actions output for `gate` (under GITHUB_ACTIONS=true): workflow-command annotations for
 * stderr, and a Markdown table for $GITHUB_STEP_SUMMARY. Server text is escaped per the runner's
 * rules, so it can neither end a command early nor inject markup into the summary.
 */
import path from 'node:path';
import type { GateReport, GateResult, GateResultExtra } from '../gate/types.js';
import { escapeMarkdownCell, escapeWorkflowData, escapeWorkflowProperty, oneLine, truncate } from './escape.js';
import {
  changeCell,
  changeText,
  classifyResult,
  cleanIssues,
  formatDelta,
  regressionText,
  describeResult,
  displayImage,
  effectiveThreshold,
  formatScore,
  formatThreshold,
  headline,
  isRelativeLocalPath,
  scoreOf,
  spreadText,
  tally,
} from './verdict.js';
import { plural } from '../util/plural.js';

/** GitHub shows only the first 10 error annotations per step; the rest go in one notice. */
export const MAX_ANNOTATIONS = 10;
/** GitHub refuses a step summary over 1 MiB. */
export const STEP_SUMMARY_LIMIT_BYTES = 1024 * 1024;

export interface AnnotationOptions {
  /** GITHUB_WORKSPACE: `file=` paths are relative to it, as the runner resolves them. */
  workspace?: string;
  /** The folder relative image paths were given from. @default process.cwd() */
  cwd?: string;
}

/**
 * The `file=` of an annotation: a local image's path relative to the workspace (the checkout), so
 * the annotation lands on the file even when the gate ran in a subfolder; none for URLs or files
 * outside the workspace.
 */
export function annotationFile(image: string, localPath: string | undefined, opts: AnnotationOptions): string | undefined {
  if (!localPath && (!image || /^[a-z][a-z0-9+.-]*:/i.test(image))) return undefined; // https:, runflow:, data:
  const absolute = localPath ?? path.resolve(opts.cwd ?? process.cwd(), image);
  const workspace = opts.workspace ? path.resolve(opts.workspace) : undefined;
  if (!workspace) return isRelativeLocalPath(image) ? image : undefined;
  const relative = path.relative(workspace, absolute);
  if (!relative || relative.startsWith('..') || path.isAbsolute(relative)) return undefined;
  return relative.split(path.sep).join('/');
}

export function githubAnnotations(report: GateReport, extras?: readonly (GateResultExtra | undefined)[], opts: AnnotationOptions = {}): string[] {
  const lines: string[] = [];
  let notAnnotated = 0;
  const meanLine = meanRegressionText(report);
  if (meanLine) lines.push(`::error title=${escapeWorkflowProperty('runflow-eval gate: mean score regressed')}::${escapeWorkflowData(meanLine)}`);
  report.results.forEach((result, index) => {
    const verdict = classifyResult(result);
    if (verdict === 'PASS') return;
    if (lines.length >= MAX_ANNOTATIONS) {
      notAnnotated++;
      return;
    }
    const command = verdict === 'TIMEOUT' || verdict === 'INTERRUPTED' || verdict === 'NOT_SUBMITTED' ? 'warning' : 'error';
    const image = typeof result.image === 'string' ? result.image : '';
    const properties: string[] = [];
    const file = annotationFile(image, extras?.[index]?.localPath, opts);
    if (file) properties.push(`file=${escapeWorkflowProperty(oneLine(file))}`);
    const title = `runflow-eval gate: ${verdict}${result.regressed === true ? ' (regressed)' : ''} ${truncate(displayImage(image), 200)}`;
    properties.push(`title=${escapeWorkflowProperty(title)}`);
    const message = annotationMessage(result, extras?.[index], report.threshold);
    lines.push(`::${command} ${properties.join(',')}::${escapeWorkflowData(message)}`);
  });
  if (notAnnotated > 0) {
    lines.push(`::notice::${notAnnotated} more results not annotated; see the job summary`);
  }
  return lines;
}

function annotationMessage(result: GateResult, extra: GateResultExtra | undefined, reportThreshold: number): string {
  const lines = [describeResult(result, reportThreshold)];
  // The change since the baseline (a regression is already in the first line).
  const change = result.regressed === true ? '' : changeText(result, reportThreshold);
  if (change) lines.push(`Change: ${change}`);
  const spread = spreadText(result, reportThreshold);
  if (spread) lines.push(`Runs: ${result.runs!.length}, scores ${spread}`);
  const issues = cleanIssues(result.top_issues);
  if (issues.length > 0) lines.push(`Top issues: ${issues.slice(0, 5).map((i) => truncate(i, 200)).join('; ')}`);
  const judges = Array.isArray(extra?.evaluation?.judges) ? extra.evaluation.judges : [];
  const failedJudges = judges
    .filter((j) => j && typeof j === 'object' && j.passed === false)
    .map((j) => oneLine(String(j.name ?? '(unnamed)')));
  if (failedJudges.length > 0) lines.push(`Failed judges: ${failedJudges.slice(0, 10).join(', ')}`);
  const id = oneLine(String(result.evaluation_id ?? ''));
  if (id) lines.push(`Evaluation: ${id}`);
  return lines.join('\n');
}

const TABLE_HEADER = [
  '| Image | Verdict | Score | Threshold | Top issue / failure | Evaluation |',
  '|---|---|---|---|---|---|',
];
const TABLE_HEADER_WITH_CHANGE = [
  '| Image | Verdict | Score | Change | Threshold | Top issue / failure | Evaluation |',
  '|---|---|---|---|---|---|---|',
];
/** Regressions listed by name above the table; the table still has every row. */
const MAX_LISTED_REGRESSIONS = 50;

/** `Mean score fell from 0.85 to 0.79 (-0.06), more than --max-mean-drop 0.05`, or '' when it did not. */
function meanRegressionText(report: GateReport): string {
  const b = report.baseline;
  if (!b || b.mean_regressed !== true || typeof b.mean_delta !== 'number') return '';
  const range = typeof b.baseline_mean === 'number' && typeof b.mean === 'number' ? `from ${b.baseline_mean.toFixed(2)} to ${b.mean.toFixed(2)} ` : '';
  return `Mean score over ${b.matched} matched images fell ${range}(${formatDelta(b.mean_delta)}), more than --max-mean-drop ${b.max_mean_drop}`;
}

/**
 * What a reviewer reads first on a pull request: the comparison in one line, then every
 * regression by name, in bold, above the full table.
 */
function baselineSection(report: GateReport): string[] {
  const b = report.baseline;
  if (!b) return [];
  const mean = typeof b.mean_delta === 'number' ? `, mean change ${formatDelta(b.mean_delta)}` : '';
  const lines = [
    `Compared with baseline ${escapeMarkdownCell(String(b.file))}: ${b.matched} matched, ${b.new} new, ${b.missing} missing, ${b.regressed} regressed${mean}.`,
    '',
  ];
  const regressed = report.results.filter((r) => r.regressed === true);
  const meanLine = meanRegressionText(report);
  if (regressed.length === 0 && !meanLine) return lines;
  lines.push(`### :warning: ${plural(regressed.length, 'regression')} against the baseline`, '');
  if (meanLine) lines.push(`- **${escapeMarkdownCell(meanLine)}**`);
  for (const r of regressed.slice(0, MAX_LISTED_REGRESSIONS)) {
    lines.push(`- **${escapeMarkdownCell(truncate(displayImage(r.image), 200))}**: ${escapeMarkdownCell(regressionText(r, report.threshold))}`);
  }
  if (regressed.length > MAX_LISTED_REGRESSIONS) lines.push(`- … and ${regressed.length - MAX_LISTED_REGRESSIONS} more (marked in the table)`);
  lines.push('');
  return lines;
}

export function githubStepSummary(report: GateReport, _extras?: readonly (GateResultExtra | undefined)[]): string {
  const total = report.counts?.total ?? report.results.length;
  const passed = report.counts?.passed ?? tally(report.results).PASS;
  const counts = tally(report.results);
  const cost = oneLine(String(report.cost ?? '')) || '0';
  const head = [
    `## runflow-eval gate: ${passed}/${total} passed (threshold ${formatThreshold(report.threshold)})`,
    '',
    `**${report.passed ? 'PASSED' : 'FAILED'}**, exit code ${report.exit_code}, total cost ${escapeMarkdownCell(cost)}; ` +
      `${counts.FAIL} below the bar, ${plural(counts.ERROR, 'error')}, ${counts.TIMEOUT} timed out` +
      (counts.INTERRUPTED + counts.NOT_SUBMITTED ? `, ${counts.INTERRUPTED} interrupted, ${counts.NOT_SUBMITTED} not_submitted` : ''),
    '',
    ...baselineSection(report),
  ];
  if (report.results.length === 0) return `${head.join('\n')}No results.\n`;

  const withChange = report.baseline !== undefined;
  const rows = report.results.map((result) => ({ result, line: tableRow(result, report.threshold, withChange) }));
  const fixed = head.concat(withChange ? TABLE_HEADER_WITH_CHANGE : TABLE_HEADER).join('\n') + '\n';
  // Room for the "… and N more rows" line, however many digits N has.
  const budget = STEP_SUMMARY_LIMIT_BYTES - Buffer.byteLength(fixed) - 200;
  const allBytes = rows.reduce((sum, r) => sum + Buffer.byteLength(r.line) + 1, 0);
  if (allBytes <= budget) return fixed + rows.map((r) => r.line).join('\n') + '\n';

  // Too many rows: the ones that did not pass matter most, so they go first (each group in input order).
  const ordered = [...rows.filter((r) => classifyResult(r.result) !== 'PASS'), ...rows.filter((r) => classifyResult(r.result) === 'PASS')];
  const shown: string[] = [];
  let used = 0;
  for (const row of ordered) {
    const bytes = Buffer.byteLength(row.line) + 1;
    if (used + bytes > budget) break;
    shown.push(row.line);
    used += bytes;
  }
  const hidden = ordered.slice(shown.length);
  const hiddenFailing = hidden.filter((r) => classifyResult(r.result) !== 'PASS').length;
  const more = `… and ${hidden.length} more rows (${hiddenFailing} not passing); rows that did not pass are listed first`;
  return `${fixed}${shown.join('\n')}\n\n${more}\n`;
}

function tableRow(result: GateResult, reportThreshold: number, withChange: boolean): string {
  const threshold = effectiveThreshold(result, reportThreshold);
  const cells = [
    truncate(displayImage(result.image), 200),
    classifyResult(result),
    spreadText(result, reportThreshold) ? `${formatScore(scoreOf(result), threshold)} (runs ${spreadText(result, reportThreshold)})` : formatScore(scoreOf(result), threshold),
    formatThreshold(threshold),
    truncate(headline(result, reportThreshold), 300),
    oneLine(String(result.evaluation_id ?? '')),
  ].map(escapeMarkdownCell);
  if (withChange) {
    // Our own markup around escaped text: a regression is bold and marked, so it stands out.
    const change = escapeMarkdownCell(changeCell(result));
    cells.splice(3, 0, result.regressed === true ? `**${change}** :small_red_triangle_down: regressed` : change);
  }
  return `| ${cells.join(' | ')} |`;
}
