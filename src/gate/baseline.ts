import { UsageError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { buildReport, exitCodeOfResult } from './decide.js';
import type { BaselineSummary, GateReport, GateResult, ResultBaseline } from './types.js';
import { isObject } from '../util/is-object.js';

/**
 * `--baseline FILE` (SPEC §3 gate "Baseline", §5): compares a gate's results with an earlier
 * gate's `--json` document. Pure: reading the file and printing live elsewhere, so the same
 * comparison serves `gate` and `gate merge` and every report shows the same regressions.
 */

export interface BaselineEntry {
  image: string;
  client_ref: string | null;
  evaluation_id: string | null;
  weighted_pass_rate: number | null;
  passed: boolean;
}

export interface BaselineDocument {
  /** The file as the user named it. */
  file: string;
  results: BaselineEntry[];
}

export interface BaselineOptions {
  /** --max-drop: a matched image whose score fell by more than this, or that passed and now fails, regressed. */
  maxDrop?: number;
  /** --max-mean-drop: the most the mean score over matched images may fall. */
  maxMeanDrop?: number;
}

export interface BaselineComparison {
  /** The results, each with `baseline`, `delta` and `regressed` (a regressed result no longer passes). */
  results: GateResult[];
  summary: BaselineSummary;
  /** True when any image regressed or the mean fell by more than --max-mean-drop: the gate fails (exit 1). */
  failsGate: boolean;
}

/** Scores are shown with two decimals; six keep float noise (0.82 − 0.92 = −0.0999999…) out of the comparison. */
const DELTA_DIGITS = 1e6;

export function roundDelta(value: number): number {
  const rounded = Math.round(value * DELTA_DIGITS) / DELTA_DIGITS;
  return rounded === 0 ? 0 : rounded;
}

/** Parses an earlier `gate --json` document (or a `gate merge` result); exit 2 naming the file otherwise. */
export function parseBaselineDocument(file: string, text: string): BaselineDocument {
  const notAGate = (why: string) =>
    new UsageError(`--baseline ${file}: ${why}`, { hint: 'give the file written by `gate --json`, `--json-file` or `gate merge --json`' });
  let doc: unknown;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    throw notAGate('not JSON');
  }
  if (!isObject(doc)) throw notAGate('not a gate document (expected a JSON object with "results")');
  if (isObject(doc.error)) throw notAGate('this gate ended with an error and has no results');
  if (doc.dry_run === true) throw notAGate('a --dry-run plan, not a gate document');
  // Only the results are compared: a document trimmed to them (or written by hand, or by an older
  // version without `counts`) is still a baseline.
  if (!Array.isArray(doc.results)) throw notAGate('not a gate document (expected a JSON object with "results")');
  const results = doc.results.map((r, i): BaselineEntry => {
    if (!isObject(r) || typeof r.image !== 'string' || typeof r.passed !== 'boolean') {
      throw notAGate(`results[${i}] is not a gate result (it needs at least "image" and "passed")`);
    }
    const score = r.weighted_pass_rate;
    return {
      image: r.image,
      client_ref: typeof r.client_ref === 'string' && r.client_ref !== '' ? r.client_ref : null,
      evaluation_id: typeof r.evaluation_id === 'string' && r.evaluation_id ? r.evaluation_id : null,
      weighted_pass_rate: typeof score === 'number' && Number.isFinite(score) ? score : null,
      passed: r.passed,
    };
  });
  return { file, results };
}

/**
 * Pairs each result with a baseline entry: by `client_ref` when the result has one, otherwise by
 * the image as given. Exact pairs (same reference and image) are taken first, so two inputs that
 * share a reference still pair with their own images; each baseline entry is used once, in order.
 * A baseline written before results carried `client_ref` still pairs by image.
 */
export function matchBaseline(results: readonly GateResult[], entries: readonly BaselineEntry[]): Array<number | null> {
  const byRef = new Map<string, number[]>();
  const byImage = new Map<string, number[]>();
  entries.forEach((e, i) => {
    if (e.client_ref !== null) push(byRef, e.client_ref, i);
    push(byImage, e.image, i);
  });
  const used = new Set<number>();
  const pairs: Array<number | null> = results.map(() => null);
  const take = (candidates: number[] | undefined, accept: (e: BaselineEntry) => boolean): number | null => {
    for (const i of candidates ?? []) {
      if (!used.has(i) && accept(entries[i]!)) {
        used.add(i);
        return i;
      }
    }
    return null;
  };
  type Tier = (r: GateResult, ref: string | null) => number | null;
  const tiers: Tier[] = [
    // Same reference and image (or, without a reference, the same image with none in the baseline).
    (r, ref) => (ref !== null ? take(byRef.get(ref), (e) => e.image === r.image) : take(byImage.get(r.image), (e) => e.client_ref === null)),
    // Same reference, another image (the file was renamed); without one, the same image whatever its reference.
    (r, ref) => (ref !== null ? take(byRef.get(ref), () => true) : take(byImage.get(r.image), () => true)),
    // A reference the baseline does not know: the same image, if the baseline had no references.
    (r, ref) => (ref !== null ? take(byImage.get(r.image), (e) => e.client_ref === null) : null),
  ];
  for (const tier of tiers) {
    results.forEach((r, index) => {
      if (pairs[index] !== null) return;
      pairs[index] = tier(r, clientRefOf(r));
    });
  }
  return pairs;
}

export function compareWithBaseline(results: readonly GateResult[], baseline: BaselineDocument, opts: BaselineOptions = {}): BaselineComparison {
  const pairs = matchBaseline(results, baseline.results);
  const matchedEntries = new Set<number>();
  const deltas: number[] = [];
  const currentScores: number[] = [];
  const baselineScores: number[] = [];
  let regressedCount = 0;

  const annotated = results.map((result, index) => {
    const bare = withoutBaseline(result);
    const pair = pairs[index];
    if (pair === null || pair === undefined) return { ...bare, baseline: null, delta: null, regressed: false };
    matchedEntries.add(pair);
    const entry = baseline.results[pair]!;
    const before: ResultBaseline = { evaluation_id: entry.evaluation_id, weighted_pass_rate: entry.weighted_pass_rate, passed: entry.passed };
    const now = typeof bare.weighted_pass_rate === 'number' && Number.isFinite(bare.weighted_pass_rate) ? bare.weighted_pass_rate : null;
    const delta = now !== null && entry.weighted_pass_rate !== null ? roundDelta(now - entry.weighted_pass_rate) : null;
    if (delta !== null && now !== null && entry.weighted_pass_rate !== null) {
      deltas.push(delta);
      currentScores.push(now);
      baselineScores.push(entry.weighted_pass_rate);
    }
    const regressed = opts.maxDrop !== undefined && isRegression(bare, entry, delta, opts.maxDrop);
    if (regressed) regressedCount++;
    // A regression fails the gate for this image even above its threshold.
    return { ...bare, passed: regressed ? false : bare.passed, baseline: before, delta, regressed };
  });

  const meanDelta = deltas.length ? roundDelta(deltas.reduce((a, b) => a + b, 0) / deltas.length) : null;
  const meanRegressed = opts.maxMeanDrop !== undefined && meanDelta !== null && -meanDelta > opts.maxMeanDrop;
  const newImages = annotated.filter((r) => r.baseline === null).map((r) => r.image);
  const missingImages = baseline.results.filter((_, i) => !matchedEntries.has(i)).map((e) => e.image);
  const summary: BaselineSummary = {
    file: baseline.file,
    matched: matchedEntries.size,
    new: newImages.length,
    missing: missingImages.length,
    regressed: regressedCount,
    mean_delta: meanDelta,
    mean: currentScores.length ? roundDelta(mean(currentScores)) : null,
    baseline_mean: baselineScores.length ? roundDelta(mean(baselineScores)) : null,
    mean_regressed: meanRegressed,
    max_drop: opts.maxDrop ?? null,
    max_mean_drop: opts.maxMeanDrop ?? null,
    new_images: newImages,
    missing_images: missingImages,
  };
  return { results: annotated, summary, failsGate: regressedCount > 0 || meanRegressed };
}

/**
 * A score that fell by more than `maxDrop`, or a pass that became a completed fail. An image that
 * now errors or is still pending is not a regression: it already fails the gate as what it is.
 */
function isRegression(result: GateResult, entry: BaselineEntry, delta: number | null, maxDrop: number): boolean {
  if (delta !== null && -delta > maxDrop) return true;
  return entry.passed && !result.passed && result.status_code === 'completed';
}

/**
 * A result without the fields an earlier comparison added, and with the verdict it had before a
 * regression took it away (a shard compared with one baseline, merged and compared with another).
 */
export function withoutBaseline(result: GateResult): GateResult {
  const { baseline: _b, delta: _d, regressed, ...rest } = result;
  if (regressed === true && result.passed === false && result.status_code === 'completed') {
    return { ...rest, passed: clearsBar(result) };
  }
  return rest;
}

/** The gate's bar (SPEC §3): verdict true and the score at least the threshold; without a score only threshold 0. */
function clearsBar(result: GateResult): boolean {
  if (result.overall_passed !== true) return false;
  const score = typeof result.weighted_pass_rate === 'number' && Number.isFinite(result.weighted_pass_rate) ? result.weighted_pass_rate : null;
  const threshold = typeof result.threshold === 'number' ? result.threshold : 0;
  return score === null ? threshold <= 0 : score >= threshold;
}

function clientRefOf(result: GateResult): string | null {
  return typeof result.client_ref === 'string' && result.client_ref !== '' ? result.client_ref : null;
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function push(map: Map<string, number[]>, key: string, value: number): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** What a shard's document says of the comparison it made (its `baseline` summary). */
export interface ShardComparison {
  file: string;
  missing_images: string[];
  max_drop: number | null;
  max_mean_drop: number | null;
}

/**
 * The comparison of merged shards that were each compared with one baseline, without comparing
 * again (`gate merge` without `--baseline`): each result keeps its own `baseline`, `delta` and
 * `regressed` (a per-image judgement does not depend on the slice), while the counts and the mean
 * are worked out over all the results, so the mean bound judges the whole gate, not a slice. A
 * baseline image is missing only when every shard missed it (each shard was compared with the
 * whole baseline, so it misses the other shards' images).
 */
export function mergeComparisons(results: readonly GateResult[], shards: readonly ShardComparison[]): { summary: BaselineSummary; failsGate: boolean } {
  const first = shards[0]!;
  const currentScores: number[] = [];
  const baselineScores: number[] = [];
  const deltas: number[] = [];
  let matched = 0;
  for (const r of results) {
    if (!r.baseline) continue;
    matched++;
    const now = typeof r.weighted_pass_rate === 'number' && Number.isFinite(r.weighted_pass_rate) ? r.weighted_pass_rate : null;
    const before = r.baseline.weighted_pass_rate;
    if (now !== null && typeof before === 'number' && Number.isFinite(before)) {
      currentScores.push(now);
      baselineScores.push(before);
      deltas.push(roundDelta(now - before));
    }
  }
  // Multiset intersection of the shards' missing lists (a baseline may list an image twice).
  let missing = new Map<string, number>();
  shards.forEach((shard, i) => {
    const here = new Map<string, number>();
    for (const image of shard.missing_images) here.set(image, (here.get(image) ?? 0) + 1);
    if (i === 0) missing = here;
    else for (const [image, n] of missing) missing.set(image, Math.min(n, here.get(image) ?? 0));
  });
  const missingImages = [...missing].flatMap(([image, n]) => Array.from({ length: n }, () => image));
  const newImages = results.filter((r) => r.baseline === null).map((r) => r.image);
  const meanDelta = deltas.length ? roundDelta(deltas.reduce((a, b) => a + b, 0) / deltas.length) : null;
  const maxMeanDrop = first.max_mean_drop;
  const meanRegressed = maxMeanDrop !== null && meanDelta !== null && -meanDelta > maxMeanDrop;
  const regressed = results.filter((r) => r.regressed === true).length;
  const summary: BaselineSummary = {
    file: first.file,
    matched,
    new: newImages.length,
    missing: missingImages.length,
    regressed,
    mean_delta: meanDelta,
    mean: currentScores.length ? roundDelta(mean(currentScores)) : null,
    baseline_mean: baselineScores.length ? roundDelta(mean(baselineScores)) : null,
    mean_regressed: meanRegressed,
    max_drop: first.max_drop,
    max_mean_drop: maxMeanDrop,
    new_images: newImages,
    missing_images: missingImages,
  };
  return { summary, failsGate: regressed > 0 || meanRegressed };
}

export interface BaselineRun {
  document: BaselineDocument;
  options: BaselineOptions;
}

/**
 * The gate's document, compared with a baseline when one is given: regressed images fail
 * (exit 1 through their own result), and a mean that fell too far fails the run as a whole.
 */
export function buildComparedReport(
  results: GateResult[],
  exitCodes: number[],
  threshold: number,
  extraCodes: number[],
  baseline: BaselineRun | undefined,
): GateReport {
  if (!baseline) return buildReport(results, exitCodes, threshold, extraCodes);
  const comparison = compareWithBaseline(results, baseline.document, baseline.options);
  // A result whose verdict the comparison changed (a regression now, or one from an earlier
  // comparison lifted) takes the code of its new verdict.
  const codes = comparison.results.map((r, i) => (r.passed !== results[i]!.passed ? exitCodeOfResult(r) : (exitCodes[i] ?? exitCodeOfResult(r))));
  const extra = comparison.summary.mean_regressed ? [...extraCodes, ExitCode.GateFailed] : extraCodes;
  return { ...buildReport(comparison.results, codes, threshold, extra), baseline: comparison.summary };
}
