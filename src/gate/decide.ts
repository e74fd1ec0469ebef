import type { Evaluation } from '../api/types.js';
import { ExitCode, worstExitCode } from '../exit-codes.js';
import { errorCode } from '../errors.js';
import { sumDecimals } from '../util/money.js';
import type { GateCounts, GateReport, GateResult } from './types.js';

/**
 * The gate's decision for one image and the report over all of them (SPEC §3 "gate", §4, §5).
 * Pure: the same inputs always give the same document, and `gate merge` can re-derive every
 * exit code from a document alone (exitCodeOfResult) and land where one gate would have.
 */

export interface DecideInput {
  /** The input as the user gave it. */
  image: string;
  threshold: number;
  /** The last evaluation record seen, if any. */
  evaluation?: Evaluation;
  /**
   * terminal: the record is completed or failed; pending: still pending/running at the deadline;
   * not_submitted: the deadline came before it was sent (status null, a time-out), or, with
   * `interrupted` set, an interrupt did; interrupted: sent, and unfinished when Ctrl-C/SIGTERM
   * stopped the gate; error: see `error`; stopped: never sent because --max-failures was reached
   * (status `not_submitted`, with `error` saying why).
   */
  state: 'terminal' | 'pending' | 'error' | 'not_submitted' | 'interrupted' | 'stopped';
  /** The evaluation came from the submission record, not from this run. */
  reused?: boolean;
  error?: { code: string; message: string; exit_code: number };
  previousIds?: string[];
  /** The gate was stopped by Ctrl-C/SIGTERM: unfinished results say so instead of "timed out". */
  interrupted?: boolean;
}

/** The status words of an interrupted gate's unfinished results, the same in every output. */
export const INTERRUPTED = 'interrupted';
export const NOT_SUBMITTED = 'not_submitted';

const MAX_TOP_ISSUES = 5;

export function decideResult(input: DecideInput): { result: GateResult; exitCode: number } {
  const ev = input.evaluation;
  const status =
    input.state === 'interrupted' ? INTERRUPTED
    : input.state === 'stopped' ? NOT_SUBMITTED
    : input.state === 'not_submitted' && input.interrupted ? NOT_SUBMITTED
    : typeof ev?.status_code === 'string' ? ev.status_code : null;
  const verdict = typeof ev?.overall_passed === 'boolean' ? ev.overall_passed : null;
  const score = typeof ev?.weighted_pass_rate === 'number' && Number.isFinite(ev.weighted_pass_rate) ? ev.weighted_pass_rate : null;
  const error =
    input.state === 'error' || input.state === 'stopped' ? (input.error ?? { code: 'error', message: 'unknown error', exit_code: ExitCode.Api }) : undefined;
  const passed = error === undefined && status === 'completed' && meetsBar(verdict, score, input.threshold);

  const result: GateResult = {
    image: input.image,
    evaluation_id: typeof ev?.id === 'string' && ev.id ? ev.id : null,
    status_code: status,
    overall_passed: verdict,
    weighted_pass_rate: score,
    threshold: input.threshold,
    passed,
    failure_code: status === 'failed' && typeof ev?.failure_code === 'string' ? ev.failure_code : null,
    top_issues: topIssues(ev?.top_issues),
    cost: typeof ev?.cost === 'string' ? ev.cost : null,
  };
  if (input.previousIds?.length) result.previous_ids = [...input.previousIds];
  if (input.reused) result.reused = true;
  if (error) result.error = { code: errorCode(error.code), message: error.message, exit_code: error.exit_code };
  return { result, exitCode: exitCodeOfResult(result) };
}

/** The result with the input's client_ref, so a later `--baseline` can match it by that. */
export function withClientRef(result: GateResult, clientRef: string | null | undefined): GateResult {
  return typeof clientRef === 'string' && clientRef !== '' ? { ...result, client_ref: clientRef } : result;
}

/**
 * A file with an image's extension that is empty or not an image: never sent, it fails the gate
 * as the service fails undecodable media (`invalid_media`, exit 3), so a broken generation output
 * is reported beside the images instead of passing unseen.
 */
export function invalidMediaResult(image: string, threshold: number, reason: string): { result: GateResult; exitCode: number } {
  const decided = decideResult({
    image,
    threshold,
    state: 'error',
    error: { code: 'invalid_media', message: `not sent: ${reason}`, exit_code: ExitCode.EvaluationFailed },
  });
  decided.result.status_code = 'failed';
  decided.result.failure_code = 'invalid_media';
  return decided;
}

/**
 * Verdict true and score at least the threshold. Without a score only threshold 0 ("verdict
 * only") can pass: a bar above 0 is not met by a number nobody gave.
 */
function meetsBar(verdict: boolean | null, score: number | null, threshold: number): boolean {
  if (verdict !== true) return false;
  return score === null ? threshold <= 0 : score >= threshold;
}

function topIssues(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.slice(0, MAX_TOP_ISSUES).map((issue) => (typeof issue === 'string' ? issue : JSON.stringify(issue) ?? String(issue)));
}

/**
 * A result's exit code from the document alone. decideResult uses it too, so a merged report
 * and the gate that wrote its parts agree.
 */
export function exitCodeOfResult(r: GateResult): number {
  if (r.passed) return ExitCode.Success;
  if (r.error) return typeof r.error.exit_code === 'number' ? r.error.exit_code : ExitCode.Api;
  if (r.status_code === 'failed') return ExitCode.EvaluationFailed;
  if (r.status_code === 'completed') return ExitCode.GateFailed;
  if (r.status_code === INTERRUPTED || r.status_code === NOT_SUBMITTED) return ExitCode.Interrupted;
  // pending, running, or never sent before the deadline.
  return ExitCode.Timeout;
}

/**
 * @param exitCodes one per result, aligned by index (from decideResult).
 * @param extraCodes codes that belong to the run rather than to a result, e.g. 130 when interrupted.
 */
export function buildReport(results: GateResult[], exitCodes: number[], threshold: number, extraCodes: number[] = []): GateReport {
  const codes = results.map((r, i) => exitCodes[i] ?? exitCodeOfResult(r));
  const counts: GateCounts = { total: results.length, passed: 0, failed: 0, errored: 0, timed_out: 0, interrupted: 0, reused: 0 };
  for (const [i, code] of codes.entries()) {
    const result = results[i]!;
    if (result.reused === true) counts.reused++;
    const status = result.status_code;
    if (status === INTERRUPTED || status === NOT_SUBMITTED) counts.interrupted++;
    else if (code === ExitCode.Success) counts.passed++;
    else if (code === ExitCode.GateFailed) counts.failed++;
    else if (code === ExitCode.Timeout || code === ExitCode.Interrupted || code === ExitCode.Terminated) counts.timed_out++;
    else counts.errored++;
  }
  const exitCode = worstExitCode([...codes, ...extraCodes]);
  return {
    passed: exitCode === ExitCode.Success,
    exit_code: exitCode,
    threshold,
    counts,
    cost: sumDecimals(results.map((r) => r.cost)),
    results,
  };
}
