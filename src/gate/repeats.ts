import { UsageError } from '../errors.js';
import { ExitCode, worstExitCode } from '../exit-codes.js';
import { sumDecimals } from '../util/money.js';
import { wholeNumberFlag } from '../validate.js';
import { exitCodeOfResult, NOT_SUBMITTED } from './decide.js';
import type { GateResult, RunSummary } from './types.js';

/**
 * `--runs N`, `--aggregate`, `--runs-within M` (SPEC §3 gate "Repeats"): model judges vary from
 * run to run, so an image may be evaluated several times and judged on the aggregate. Pure: the
 * scheduler decides each run like any evaluation, and this folds an image's runs into its one
 * result.
 */

export type Aggregate = 'median' | 'mean' | 'min';
export const AGGREGATES: readonly Aggregate[] = ['median', 'mean', 'min'];
export const MAX_RUNS = 5;

export interface RepeatOptions {
  /** --runs: evaluations per submitted image (1 = no repeats). */
  runs: number;
  aggregate: Aggregate;
  /** --runs-within: further runs only for images whose first score is within this of their threshold. */
  within?: number;
}

/** The idempotency-key suffix of run k (1-based): none for the first, so `--runs 1` keys are unchanged. */
export function runKeySuffix(k: number): string {
  return k > 1 ? `-run${k}` : '';
}

/** The key suffixes of all N runs, in run order (`''`, `-run2`, … `-run<N>`). */
export function runKeySuffixes(runs: number): string[] {
  return Array.from({ length: Math.max(1, runs) }, (_, i) => runKeySuffix(i + 1));
}

/**
 * Whether an image earns its further runs under --runs-within: its first run has a score within
 * `margin` of the threshold. A first run without a score (failed, pending) earns none.
 */
export function earnsMoreRuns(first: GateResult, margin: number | undefined): boolean {
  if (margin === undefined) return true;
  const score = first.weighted_pass_rate;
  if (first.status_code !== 'completed' || typeof score !== 'number' || !Number.isFinite(score)) return false;
  // Rounded like deltas, so 0.85 against 0.8 with a margin of 0.05 is within it.
  return Math.round(Math.abs(score - first.threshold) * 1e6) / 1e6 <= margin;
}

/** The aggregate of some scores, rounded to six decimals (a mean of thirds is not 0.8333333333333334). */
export function aggregateScores(scores: readonly number[], how: Aggregate): number | null {
  if (scores.length === 0) return null;
  let value: number;
  if (how === 'min') value = Math.min(...scores);
  else if (how === 'mean') value = scores.reduce((a, b) => a + b, 0) / scores.length;
  else {
    const sorted = [...scores].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    value = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  }
  return Math.round(value * 1e6) / 1e6;
}

function summaryOf(r: GateResult): RunSummary {
  const run: RunSummary = { evaluation_id: r.evaluation_id, status_code: r.status_code, overall_passed: r.overall_passed, weighted_pass_rate: r.weighted_pass_rate, cost: r.cost };
  if (r.reused === true) run.reused = true;
  return run;
}

const scoreOf = (r: GateResult): number | null => (typeof r.weighted_pass_rate === 'number' && Number.isFinite(r.weighted_pass_rate) ? r.weighted_pass_rate : null);

/**
 * One image's result from its runs (each decided alone), in run order. It needs more than half of
 * its runs completed, or it is the error (or time-out) of its worst unfinished run. Otherwise its
 * score is the aggregate of the completed runs' scores, its verdict true when more than half of
 * all its runs passed their verdict, and it passes when both hold and the score clears the
 * threshold. Its id, issues and record are those of the run nearest the aggregate (the one a
 * reader should open); its cost is the sum.
 *
 * @returns the result, its exit code, and the index of the run whose record represents it.
 */
export function aggregateRuns(runs: ReadonlyArray<{ result: GateResult; exitCode: number }>, how: Aggregate): { result: GateResult; exitCode: number; representative: number } {
  if (runs.length === 0) throw new Error('aggregateRuns: no runs');
  const made = runs.length;
  const results = runs.map((r) => r.result);
  const first = results[0]!;
  const previousIds = results.flatMap((r) => r.previous_ids ?? []);
  const extras = (r: GateResult): GateResult => {
    const out: GateResult = { ...r, cost: sumDecimals(results.map((x) => x.cost)) };
    delete out.previous_ids;
    if (previousIds.length) out.previous_ids = previousIds;
    // Reused (nothing billed for it this time) only when every run was read back from the record;
    // each run says for itself in runs[].
    delete out.reused;
    if (results.every((x) => x.reused === true)) out.reused = true;
    out.runs = results.map(summaryOf);
    return out;
  };
  if (made === 1) {
    // Far from the threshold under --runs-within: the one run is the result, with its runs list.
    const only = extras(first);
    return { result: only, exitCode: runs[0]!.exitCode, representative: 0 };
  }

  const completed = results.map((r, i) => ({ r, i })).filter(({ r }) => r.status_code === 'completed');
  if (completed.length * 2 <= made) {
    // Not enough runs finished to judge: the image is what its worst unfinished run is.
    const unfinished = runs.map((r, i) => ({ ...r, i })).filter(({ result }) => result.status_code !== 'completed');
    const worst = worstExitCode(unfinished.map((u) => u.exitCode));
    const pick = unfinished.find((u) => u.exitCode === worst) ?? unfinished[0]!;
    const result = extras({ ...pick.result, passed: false, weighted_pass_rate: null });
    // Runs --max-failures kept from being sent (not_submitted, exit 1) leave the image stopped
    // like them, not failed: the failures that stopped the gate decide its exit code.
    const stopped = pick.result.status_code === NOT_SUBMITTED && worst === ExitCode.GateFailed;
    const exitCode = stopped ? worst : worst === ExitCode.Success || worst === ExitCode.GateFailed ? ExitCode.EvaluationFailed : worst;
    return { result, exitCode, representative: pick.i };
  }

  const scores = completed.map(({ r }) => scoreOf(r)).filter((s): s is number => s !== null);
  const score = aggregateScores(scores, how);
  const votes = results.filter((r) => r.overall_passed === true).length;
  const verdict = votes * 2 > made;
  const threshold = first.threshold;
  const passed = verdict && (score === null ? threshold <= 0 : score >= threshold);
  let representative = completed[0]!.i;
  if (score !== null) {
    let best = Infinity;
    for (const { r, i } of completed) {
      const s = scoreOf(r);
      if (s !== null && Math.abs(s - score) < best) {
        best = Math.abs(s - score);
        representative = i;
      }
    }
  }
  const base = results[representative]!;
  const result = extras({
    ...base,
    status_code: 'completed',
    overall_passed: verdict,
    weighted_pass_rate: score,
    passed,
    failure_code: null,
  });
  delete result.error;
  return { result, exitCode: exitCodeOfResult(result), representative };
}

/** The flags as commander gives them. */
export interface RepeatFlags {
  runs?: string;
  aggregate?: string;
  runsWithin?: string;
}

/** Checks --runs, --aggregate and --runs-within before anything is sent (exit 2 naming the flag). */
export function parseRepeatFlags(flags: RepeatFlags): RepeatOptions {
  const runs = wholeNumberFlag(flags.runs, '--runs', 1, MAX_RUNS, 1);
  const aggregate = (flags.aggregate ?? 'median').trim().toLowerCase();
  if (!AGGREGATES.includes(aggregate as Aggregate)) {
    throw new UsageError(`--aggregate must be one of ${AGGREGATES.join(', ')} (got ${JSON.stringify(flags.aggregate)})`);
  }
  let within: number | undefined;
  if (flags.runsWithin !== undefined) {
    const n = Number(flags.runsWithin);
    if (flags.runsWithin.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) {
      throw new UsageError(`--runs-within must be a number from 0.0 to 1.0 (got ${JSON.stringify(flags.runsWithin)})`);
    }
    if (runs < 2) throw new UsageError('--runs-within needs --runs 2 or more (it decides which images get the further runs)');
    within = n;
  }
  return { runs, aggregate: aggregate as Aggregate, within };
}
