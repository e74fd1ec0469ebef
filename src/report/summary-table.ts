/**
 * The gate's human output on stdout: one row per image and a summary line. Piped (no colour) it
 * is plain aligned text, stable for grep/awk: `IMAGE  SCORE  VERDICT  DETAIL` columns separated
 * by at least two spaces, never truncated. On a colour terminal it is a cli-table3 table sized
 * to the terminal.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import Table from 'cli-table3';
import type { BaselineSummary, GateReport, GateResult } from '../gate/types.js';
import { oneLine } from './escape.js';
import { displayWidth, padDisplay, shortenMiddle } from './width.js';
import {
  classifyResult,
  displayImage,
  effectiveThreshold,
  formatScore,
  changeCell,
  formatDelta,
  formatThreshold,
  headline,
  scoreOf,
  spreadText,
  type Verdict,
} from './verdict.js';
import { plural } from '../util/plural.js';

export interface GateTableOptions {
  /** Colour and a bordered table (a TTY without NO_COLOR/--no-color/CI); plain lines otherwise. */
  color: boolean;
  /** Terminal width; only the coloured table is fitted to it. */
  columns: number;
  /** Add the evaluation id column. */
  showIds?: boolean;
  /** Every row, even in a gate of more than 50 images (where only the rows that did not pass are listed). */
  all?: boolean;
}

/** Above this many results, the table lists only those that did not pass (unless `all`). */
export const FULL_TABLE_LIMIT = 50;

/** Widest image column in plain output: longer paths are shortened in their middle. */
const PLAIN_IMAGE_WIDTH = 60;

interface Row {
  image: string;
  score: string;
  /** Change against the baseline (only shown with --baseline). */
  change: string;
  verdict: Verdict;
  detail: string;
  evaluationId: string;
}

/** `7/8 passed, threshold 0.80, total cost 2.800000` — the line scripts grep for; reuse is said after it. */
export function gateSummaryLine(report: GateReport): string {
  const total = report.counts?.total ?? report.results.length;
  const passed = report.counts?.passed ?? report.results.filter((r) => classifyResult(r) === 'PASS').length;
  const cost = oneLine(String(report.cost ?? '')) || '0';
  const regressed = report.baseline && typeof report.baseline.regressed === 'number' && report.baseline.regressed > 0 ? `, ${report.baseline.regressed} regressed` : '';
  return `${passed}/${total} passed${regressed}, threshold ${formatThreshold(report.threshold)}, total cost ${cost}${reuseNote(report)}`;
}

/**
 * ` (2 reused from the cache, not billed again)`: the results read back whole (`counts.reused`),
 * and with --runs the runs read back of images that also made new ones (a rerun with more runs),
 * which `counts.reused` leaves out.
 */
function reuseNote(report: GateReport): string {
  const whole = typeof report.counts?.reused === 'number' ? report.counts.reused : 0;
  let runs = 0;
  let images = 0;
  for (const r of report.results) {
    if (r.reused === true || !Array.isArray(r.runs)) continue;
    const n = r.runs.filter((run) => run && typeof run === 'object' && run.reused === true).length;
    if (n > 0) {
      runs += n;
      images++;
    }
  }
  const parts: string[] = [];
  if (whole > 0) parts.push(`${whole} reused from the cache`);
  if (runs > 0) parts.push(`${plural(runs, 'run')} of ${plural(images, whole > 0 ? 'other image' : 'image')} reused${whole > 0 ? '' : ' from the cache'}`);
  return parts.length ? ` (${parts.join(', ')}, not billed again)` : '';
}

function toRow(result: GateResult, reportThreshold: number): Row {
  const threshold = effectiveThreshold(result, reportThreshold);
  return {
    image: displayImage(result.image),
    // With --runs, the spread of the runs beside the aggregate: `0.82 (0.78–0.85)`.
    score: withSpread(formatScore(scoreOf(result), threshold), spreadText(result, reportThreshold)),
    change: changeCell(result),
    verdict: classifyResult(result),
    detail: headline(result, reportThreshold),
    evaluationId: oneLine(String(result.evaluation_id ?? '')) || '—',
  };
}

function withSpread(score: string, spread: string): string {
  return spread ? `${score} (${spread})` : score;
}

export function renderGateTable(report: GateReport, opts: GateTableOptions): string {
  let rows = report.results.map((r) => toRow(r, report.threshold));
  // In a big gate the passes would bury what needs looking at: list the rest, count the passes.
  let hidden = 0;
  if (!opts.all && rows.length > FULL_TABLE_LIMIT) {
    const shown = rows.filter((r) => r.verdict !== 'PASS');
    hidden = rows.length - shown.length;
    rows = shown;
  }
  const showChange = report.baseline !== undefined;
  const body = opts.color ? colouredTable(rows, opts, showChange) : plainLines(rows, opts.showIds === true, showChange);
  const chalk = new Chalk({ level: opts.color ? 1 : 0 });
  const summary = gateSummaryLine(report);
  const summaryLine = report.passed ? chalk.green(summary) : chalk.red(summary);
  const hiddenLine = hidden ? `${hidden} passed and not listed (--all lists every row)\n` : '';
  const baseline = report.baseline ? baselineLines(report.baseline).join('\n') + '\n' : '';
  return body ? `${body}\n${hiddenLine}${baseline}${summaryLine}\n` : `${hiddenLine}${baseline}${summaryLine}\n`;
}

/** New and missing images listed by name, at most this many each (the JSON lists them all). */
const MAX_LISTED = 20;

/**
 * Lines under the table with --baseline: what was compared, the mean's change, and the images
 * only one side has. `baseline main.json: 12 matched, 1 new, 2 missing, 1 regressed, mean -0.03`.
 */
export function baselineLines(summary: BaselineSummary): string[] {
  const mean = typeof summary.mean_delta === 'number' ? `, mean ${formatDelta(summary.mean_delta)}` : '';
  const meanBound = summary.mean_regressed && typeof summary.max_mean_drop === 'number' ? ` (more than --max-mean-drop ${summary.max_mean_drop}: fails the gate)` : '';
  const lines = [
    `baseline ${oneLine(String(summary.file))}: ${summary.matched} matched, ${summary.new} new, ${summary.missing} missing, ${summary.regressed} regressed${mean}${meanBound}`,
  ];
  const list = (label: string, images: unknown) => {
    if (!Array.isArray(images) || images.length === 0) return;
    const shown = images.slice(0, MAX_LISTED).map((i) => displayImage(i));
    const more = images.length > MAX_LISTED ? `, … and ${images.length - MAX_LISTED} more` : '';
    lines.push(`  ${label}: ${shown.join(', ')}${more}`);
  };
  list('new (not in the baseline)', summary.new_images);
  list('missing (in the baseline, not gated now)', summary.missing_images);
  return lines;
}

function plainLines(rows: Row[], showIds: boolean, showChange: boolean): string {
  if (rows.length === 0) return '';
  const header = { image: 'IMAGE', score: 'SCORE', change: 'CHANGE', verdict: 'VERDICT', detail: 'DETAIL', evaluationId: 'EVALUATION' };
  // Measured in display columns (wide characters take two); a path wider than the column is
  // shortened in its middle, so the file name stays readable and the columns stay aligned.
  const images = rows.map((r) => shortenMiddle(r.image, PLAIN_IMAGE_WIDTH));
  const imageWidth = Math.max(displayWidth(header.image), ...images.map(displayWidth));
  const scoreWidth = Math.max(header.score.length, ...rows.map((r) => r.score.length));
  const changeWidth = Math.max(header.change.length, ...rows.map((r) => displayWidth(r.change)));
  const idWidth = Math.max(header.evaluationId.length, ...rows.map((r) => displayWidth(r.evaluationId)));
  const verdictWidth = Math.max(header.verdict.length, ...rows.map((r) => r.verdict.length));
  const line = (r: { image: string; score: string; change: string; verdict: string; detail: string; evaluationId: string }) => {
    const cells = [padDisplay(r.image, imageWidth), r.score.padEnd(scoreWidth)];
    if (showChange) cells.push(padDisplay(r.change, changeWidth));
    cells.push(r.verdict.padEnd(verdictWidth));
    if (showIds) cells.push(padDisplay(r.evaluationId, idWidth));
    cells.push(r.detail);
    return cells.join('  ').trimEnd();
  };
  return [line(header), ...rows.map((r, i) => line({ ...r, image: images[i]! }))].join('\n');
}

function paintVerdict(chalk: ChalkInstance, verdict: Verdict): string {
  switch (verdict) {
    case 'PASS':
      return chalk.green(verdict);
    case 'FAIL':
      return chalk.red(verdict);
    case 'ERROR':
      return chalk.magenta(verdict);
    case 'TIMEOUT':
    case 'INTERRUPTED':
    case 'NOT_SUBMITTED':
      return chalk.yellow(verdict);
  }
}

function colouredTable(rows: Row[], opts: GateTableOptions, showChange: boolean): string {
  if (rows.length === 0) return '';
  const chalk = new Chalk({ level: 1 });
  const showIds = opts.showIds === true;
  const head = ['Image', 'Score', ...(showChange ? ['Change'] : []), 'Verdict', ...(showIds ? ['Evaluation'] : []), 'Top issue / failure'];
  const colWidths = fitColumns(rows, opts.columns, showIds, showChange);
  const table = new Table({
    head: head.map((h) => chalk.bold(h)),
    // cli-table3 colours heads and borders itself unless told not to; we colour with our own instance.
    style: { head: [], border: [] },
    ...(colWidths ? { colWidths, wordWrap: true, wrapOnWordBoundary: true } : {}),
  });
  // The image cell is shortened here, in its middle: cli-table3 would cut its end (the file name).
  const imageRoom = colWidths ? colWidths[0]! - 2 : Infinity;
  for (const r of rows) {
    const change = r.change.startsWith('-') ? chalk.red(r.change) : r.change;
    table.push([shortenMiddle(r.image, imageRoom), r.score, ...(showChange ? [change] : []), paintVerdict(chalk, r.verdict), ...(showIds ? [r.evaluationId] : []), r.detail]);
  }
  return table.toString();
}

/** Column widths that fit `columns`, or undefined (natural widths) when the width is unknown or tiny. */
function fitColumns(rows: Row[], columns: number, showIds: boolean, showChange: boolean): number[] | undefined {
  if (!Number.isFinite(columns) || columns < 60) return undefined;
  const padding = 2; // cli-table3's one space either side
  const borders = (showIds ? 6 : 5) + (showChange ? 1 : 0);
  const score = Math.max(5, ...rows.map((r) => r.score.length)) + padding;
  const verdict = Math.max(7, ...rows.map((r) => r.verdict.length)) + padding;
  const id = showIds ? Math.max(10, ...rows.map((r) => displayWidth(r.evaluationId))) + padding : 0;
  const change = showChange ? Math.max(6, ...rows.map((r) => r.change.length)) + padding : 0;
  const available = columns - borders - score - verdict - id - change;
  const longestImage = Math.max(5, ...rows.map((r) => displayWidth(r.image))) + padding;
  const image = Math.min(longestImage, Math.max(12, Math.floor(available * 0.45)));
  const detail = available - image;
  if (detail < 12) return undefined;
  return [image, score, ...(showChange ? [change] : []), verdict, ...(showIds ? [id] : []), detail];
}
