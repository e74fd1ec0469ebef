/**
 * One reading of a gate result shared by every report writer (table, JUnit, HTML, GitHub), so
 * the four outputs cannot disagree on which image passed. Results may come from `gate merge`
 * (JSON written by another run), so every field is read defensively.
 */
import type { GateResult } from '../gate/types.js';
import { oneLine, truncate } from './escape.js';

/**
 * PASS; FAIL = completed below the bar; ERROR = failed evaluation or client error; TIMEOUT = still
 * pending at the deadline; INTERRUPTED = sent and unfinished when Ctrl-C/SIGTERM stopped the gate;
 * NOT_SUBMITTED = never sent because the gate was stopped first.
 */
export type Verdict = 'PASS' | 'FAIL' | 'ERROR' | 'TIMEOUT' | 'INTERRUPTED' | 'NOT_SUBMITTED';

export function classifyResult(result: GateResult): Verdict {
  // `passed` is the gate's decision; the reports show it, they do not re-decide it.
  if (result.passed === true) return 'PASS';
  if (result.status_code === 'interrupted') return 'INTERRUPTED';
  if (result.status_code === 'not_submitted') return 'NOT_SUBMITTED';
  if (result.error) return 'ERROR';
  if (result.status_code === 'failed') return 'ERROR';
  if (result.status_code === 'completed') return 'FAIL';
  // Submitted but not finished (pending/running or unknown status) when the gate stopped waiting.
  if (result.evaluation_id) return 'TIMEOUT';
  return 'ERROR';
}

/** Machine-readable code for a non-passing result: failure_code, `timed_out`, `quality`, or `error`. */
export function resultCode(result: GateResult): string {
  switch (classifyResult(result)) {
    case 'PASS':
      return 'passed';
    case 'FAIL':
      return 'quality';
    case 'TIMEOUT':
      return 'timed_out';
    case 'INTERRUPTED':
      return 'interrupted';
    case 'NOT_SUBMITTED':
      return 'not_submitted';
    case 'ERROR': {
      if (result.error) return 'error';
      const code = typeof result.failure_code === 'string' ? oneLine(result.failure_code) : '';
      return code || 'error';
    }
  }
}

/** The score as a number, or null when missing or not a finite number. */
export function scoreOf(result: GateResult): number | null {
  const score = result.weighted_pass_rate;
  return typeof score === 'number' && Number.isFinite(score) ? score : null;
}

function thresholdOf(result: GateResult, fallback: number): number {
  return typeof result.threshold === 'number' && Number.isFinite(result.threshold) ? result.threshold : fallback;
}

/** A threshold with at least two decimals (`0.80`), more only when it has them (`0.805`). */
export function formatThreshold(threshold: number): string {
  for (let digits = 2; digits <= 6; digits++) {
    const text = threshold.toFixed(digits);
    if (Number(text) === threshold) return text;
  }
  return String(threshold);
}

/**
 * A score with two decimals unless rounding would put it on the other side of the threshold
 * (0.7996 against 0.80 is shown as 0.7996, not as a failing "0.80").
 */
export function formatScore(score: number | null, threshold: number): string {
  if (score === null) return '—';
  for (let digits = 2; digits <= 6; digits++) {
    const text = score.toFixed(digits);
    if (Number(text) >= threshold === score >= threshold) return text;
  }
  return String(score);
}

/** Issues as clean one-line strings (items of another type shown as compact JSON). */
export function cleanIssues(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  const issues: string[] = [];
  for (const item of list) {
    if (item === null || item === undefined) continue;
    const text = oneLine(typeof item === 'string' ? item : JSON.stringify(item));
    if (text) issues.push(text);
  }
  return issues;
}

/**
 * The image as the user gave it, fit for display: control characters removed, and a `data:`
 * URI (up to 12 MB of base64) shortened to its media type and length.
 */
export function displayImage(image: unknown): string {
  const text = typeof image === 'string' ? image : '';
  if (/^data:/i.test(text)) {
    const header = oneLine(text.slice(0, Math.min(text.indexOf(',') + 1 || 40, 80)));
    return `${header}… (${text.length} chars)`;
  }
  return truncate(oneLine(text), 500) || '(no image)';
}

/** True for a local file path given relatively (not a URL, asset reference or data: URI). */
export function isRelativeLocalPath(image: string): boolean {
  if (!image || /^[a-z][a-z0-9+.-]*:/i.test(image)) return false; // https:, runflow:, data:
  return !image.startsWith('/') && !image.startsWith('\\') && !/^[a-z]:[\\/]/i.test(image);
}

/**
 * One line saying why a result did not pass (or that it did), from the report alone: the
 * reason a person needs first, with server text already made safe for a terminal.
 */
export function describeResult(result: GateResult, reportThreshold: number): string {
  const threshold = thresholdOf(result, reportThreshold);
  const score = scoreOf(result);
  switch (classifyResult(result)) {
    case 'PASS':
      return `score ${formatScore(score, threshold)} ≥ threshold ${formatThreshold(threshold)}`;
    case 'FAIL': {
      const reasons: string[] = [];
      if (result.overall_passed === false) reasons.push('verdict failed');
      if (score === null && threshold > 0) reasons.push(`no score (threshold ${formatThreshold(threshold)})`);
      if (score !== null && score < threshold) {
        reasons.push(`score ${formatScore(score, threshold)} < threshold ${formatThreshold(threshold)}`);
      }
      // A regression fails an image even above its threshold; say from what to what.
      const regression = regressionText(result, reportThreshold);
      if (regression) reasons.push(regression);
      return reasons.join('; ') || 'below the bar';
    }
    case 'ERROR': {
      if (result.error) {
        // A failure code (invalid_media for a broken file never sent) says it in the API's words.
        const code = oneLine(String(typeof result.failure_code === 'string' && result.failure_code ? result.failure_code : (result.error.code ?? 'error')));
        const message = oneLine(String(result.error.message ?? ''));
        return message ? `${code}: ${message}` : code;
      }
      return `evaluation failed: ${resultCode(result)}`;
    }
    case 'TIMEOUT': {
      const status = typeof result.status_code === 'string' ? oneLine(result.status_code) : '';
      return `still ${status || 'pending'} at the deadline`;
    }
    case 'INTERRUPTED':
      return 'interrupted: sent, unfinished when the gate was stopped (it keeps running on the server)';
    case 'NOT_SUBMITTED': {
      // Why it was stopped, when the gate said (--max-failures): otherwise an interrupt.
      const why = result.error?.message ? oneLine(String(result.error.message)).replace(/^not submitted: /, '') : '';
      return why ? `not_submitted: never sent, stopped because ${why}` : 'not_submitted: never sent, the gate was stopped first';
    }
  }
}

/** The first top issue, else the reason: the one cell a summary row has room for. */
export function headline(result: GateResult, reportThreshold: number): string {
  const verdict = classifyResult(result);
  const issues = cleanIssues(result.top_issues);
  // A regression is what changed since the baseline: the news a reviewer needs first.
  if (verdict === 'FAIL' && result.regressed === true) {
    return issues.length > 0 ? `${regressionText(result, reportThreshold)}; ${issues[0]}` : regressionText(result, reportThreshold);
  }
  if (verdict === 'FAIL' && issues.length > 0) {
    return issues.length > 1 ? `${issues[0]} (+${issues.length - 1} more)` : issues[0]!;
  }
  if (verdict === 'PASS') return issues[0] ?? '';
  return describeResult(result, reportThreshold);
}

/** Counts per verdict, computed from the results themselves. */
export function tally(results: readonly GateResult[]): Record<Verdict, number> {
  const counts: Record<Verdict, number> = { PASS: 0, FAIL: 0, ERROR: 0, TIMEOUT: 0, INTERRUPTED: 0, NOT_SUBMITTED: 0 };
  for (const result of results) counts[classifyResult(result)]++;
  return counts;
}

/** The threshold a result was judged against (its own, from a manifest item, else the report's). */
export function effectiveThreshold(result: GateResult, reportThreshold: number): number {
  return thresholdOf(result, reportThreshold);
}

/**
 * A change of score with its sign: `+0.03`, `-0.21`, `0.00`. An ASCII hyphen-minus, not the
 * typeset U+2212: logs and piped tables are searched with `grep -- -0.21`, and a reader (or a
 * script) copying the number back gets one that parses.
 */
export function formatDelta(delta: number): string {
  let digits = 2;
  // A real change is never shown as 0.00.
  while (digits < 6 && delta !== 0 && Number(Math.abs(delta).toFixed(digits)) === 0) digits++;
  const text = Math.abs(delta).toFixed(digits);
  if (Number(text) === 0) return text;
  return `${delta < 0 ? '-' : '+'}${text}`;
}

/** True when a gate ran with --baseline (the result carries the comparison fields). */
export function hasBaseline(result: GateResult): boolean {
  return result.baseline !== undefined;
}

function baselineScoreOf(result: GateResult): number | null {
  const score = result.baseline?.weighted_pass_rate;
  return typeof score === 'number' && Number.isFinite(score) ? score : null;
}

function deltaOf(result: GateResult): number | null {
  return typeof result.delta === 'number' && Number.isFinite(result.delta) ? result.delta : null;
}

/** The change column: `+0.03`, `-0.21`, `new` (not in the baseline), `—` (a score missing on either side). */
export function changeCell(result: GateResult): string {
  if (!result.baseline || typeof result.baseline !== 'object') return 'new';
  const delta = deltaOf(result);
  return delta === null ? '—' : formatDelta(delta);
}

/** `regressed from 0.92 to 0.71 (-0.21)`, or why it regressed when a score is missing; '' when it did not. */
export function regressionText(result: GateResult, reportThreshold: number): string {
  if (result.regressed !== true) return '';
  const threshold = thresholdOf(result, reportThreshold);
  const before = baselineScoreOf(result);
  const now = scoreOf(result);
  const delta = deltaOf(result);
  if (before !== null && now !== null && delta !== null) {
    return `regressed from ${formatScore(before, threshold)} to ${formatScore(now, threshold)} (${formatDelta(delta)})`;
  }
  return 'regressed: passed in the baseline, fails now';
}

/** `baseline 0.92, change -0.21` for a matched result, `new: not in the baseline` for another; '' without a baseline. */
export function changeText(result: GateResult, reportThreshold: number): string {
  if (!hasBaseline(result)) return '';
  if (!result.baseline || typeof result.baseline !== 'object') return 'new: not in the baseline';
  const regression = regressionText(result, reportThreshold);
  if (regression) return regression;
  const before = baselineScoreOf(result);
  const delta = deltaOf(result);
  const was = before === null ? 'no score' : formatScore(before, thresholdOf(result, reportThreshold));
  const verdict = result.baseline.passed === true ? 'passed' : 'did not pass';
  return `baseline ${was} (${verdict})${delta === null ? '' : `, change ${formatDelta(delta)}`}`;
}

/** Lowest and highest score among a result's runs (--runs N > 1), or null with fewer than two runs or no scores. */
export function spreadOf(result: GateResult): { min: number; max: number; runs: number } | null {
  const runs = Array.isArray(result.runs) ? result.runs : null;
  if (!runs || runs.length < 2) return null;
  const scores = runs
    .map((r) => (r && typeof r === 'object' ? r.weighted_pass_rate : null))
    .filter((s): s is number => typeof s === 'number' && Number.isFinite(s));
  if (scores.length === 0) return null;
  return { min: Math.min(...scores), max: Math.max(...scores), runs: runs.length };
}

/** `0.78–0.85` over a result's runs, or '' when it has no spread to show. */
export function spreadText(result: GateResult, reportThreshold: number): string {
  const spread = spreadOf(result);
  if (!spread) return '';
  const threshold = thresholdOf(result, reportThreshold);
  return `${formatScore(spread.min, threshold)}–${formatScore(spread.max, threshold)}`;
}
