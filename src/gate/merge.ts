import { realpathSync } from 'node:fs';
import path from 'node:path';
import { ExitCode } from '../exit-codes.js';
import { UsageError } from '../errors.js';
import { buildComparedReport, mergeComparisons, type BaselineRun, type ShardComparison } from './baseline.js';
import { buildReport, exitCodeOfResult } from './decide.js';
import type { GateReport, GateResult } from './types.js';
import { isObject } from '../util/is-object.js';

/**
 * `gate merge FILE...` (SPEC §3 "gate", §8): joins the `gate --json` documents of shards into the
 * document one gate over all their inputs would have printed, and so its exit code.
 *
 * Results are concatenated in file order and keep their own `threshold` (manifest items may have
 * had their own). The top-level threshold is the one all shards share, or the first file's when
 * they differ.
 */

// A shard that was interrupted, refused its inputs, or lost its credentials or the API may have
// left results out of its document; its own exit code must reach the merged one, so that a
// broken shard can never merge into a pass.
const RUN_LEVEL_CODES = new Set<number>([ExitCode.Interrupted, ExitCode.Terminated, ExitCode.Usage, ExitCode.Auth, ExitCode.Api]);

export interface MergeOptions {
  /** Told about results dropped because another document already held them. */
  warn?: (line: string) => void;
  /** --baseline: the merged results are compared with it (a shard's own comparison is replaced). */
  baseline?: BaselineRun;
}

export function mergeReports(docs: Array<{ name: string; text: string }>, opts: MergeOptions = {}): GateReport {
  if (docs.length === 0) throw new UsageError('gate merge needs at least one file (the --json output of each shard)');
  const parsed = docs.map((doc) => ({ name: doc.name, ...parseGateDocument(doc.name, doc.text) }));
  checkShards(parsed);
  const results: GateResult[] = [];
  const extraCodes: number[] = [];
  const thresholds: number[] = [];
  const skipped = new Set<string>();
  // A result already merged from another document (an artefact downloaded into two folders) is
  // dropped, never counted again: the same input (image, client_ref, threshold) with the same
  // evaluation. Inputs that share an evaluation are kept, as the gate counted each: identical files,
  // or manifest items differing only in threshold (which can land in different shards). Within one
  // document nothing is dropped.
  const seen = new Map<string, string>();
  for (const report of parsed) {
    for (const result of report.results) {
      const id = typeof result.evaluation_id === 'string' && result.evaluation_id ? result.evaluation_id : undefined;
      const key = id === undefined ? undefined : JSON.stringify([id, result.image, result.client_ref ?? null, result.threshold ?? null]);
      const earlier = key !== undefined ? seen.get(key) : undefined;
      if (earlier !== undefined && earlier !== report.name) {
        opts.warn?.(`gate merge: ${report.name}: ${result.image} (${id}) is already in ${earlier}; counted once`);
        continue;
      }
      if (key !== undefined) seen.set(key, report.name);
      results.push(result);
    }
    for (const file of report.skipped) skipped.add(file);
    thresholds.push(report.threshold);
    if (RUN_LEVEL_CODES.has(report.exit_code)) extraCodes.push(report.exit_code);
  }
  // Shards of one gate share a threshold; if they do not, the first file's stands at the top and
  // each result still carries the threshold it was judged by.
  // Without --baseline a shard's regressions stay failures through their results.
  const compared = parsed.map((d) => d.comparison);
  if (!opts.baseline && compared.length && compared.every((c) => c !== undefined)) {
    // Shards compared with a baseline, merged without one: their comparisons are joined, and the
    // mean bound is applied to the mean of the whole gate (a slice's mean decided nothing).
    const shards = compared as ShardComparison[];
    const differ = shards.find((c) => c.file !== shards[0]!.file || c.max_drop !== shards[0]!.max_drop || c.max_mean_drop !== shards[0]!.max_mean_drop);
    if (differ) opts.warn?.(`gate merge: the shards were compared with different baselines or bounds (${shards[0]!.file}, ${differ.file}); the first one's bounds apply to the merged mean`);
    const { summary } = mergeComparisons(results, shards);
    const codes = summary.mean_regressed ? [...extraCodes, ExitCode.GateFailed] : extraCodes;
    const merged: GateReport = { ...buildReport(results, results.map(exitCodeOfResult), thresholds[0]!, codes), baseline: summary };
    if (skipped.size) merged.skipped = [...skipped];
    return merged;
  }
  const merged = buildComparedReport(results, results.map(exitCodeOfResult), thresholds[0]!, extraCodes, opts.baseline);
  if (skipped.size) merged.skipped = [...skipped];
  return merged;
}

/**
 * Shard documents say which slice they are: a merge must hold each slice of one split exactly
 * once, or its verdict would be about some other set of images than the gate's.
 */
function checkShards(docs: Array<{ name: string; shard?: { index: number; count: number } }>): void {
  const sharded = docs.filter((d) => d.shard !== undefined);
  const whole = docs.filter((d) => d.shard === undefined);
  const sameFile = new Map<string, string>();
  for (const d of docs) {
    const key = pathKey(d.name);
    const first = sameFile.get(key);
    if (first !== undefined) throw new UsageError(`gate merge: ${d.name} is given twice; each shard's document counts once`);
    sameFile.set(key, d.name);
  }
  if (!sharded.length) return;
  const firstShard = sharded[0]!;
  if (whole.length) {
    throw new UsageError(`gate merge: ${whole.map((d) => d.name).join(', ')} ${whole.length === 1 ? 'is not a shard' : 'are not shards'} (no "shard" in the document) but ${firstShard.name} is shard ${firstShard.shard!.index}/${firstShard.shard!.count}`, {
      hint: 'merge the documents of one --shard split, each once',
    });
  }
  const count = firstShard.shard!.count;
  const other = sharded.find((d) => d.shard!.count !== count);
  if (other) {
    throw new UsageError(`gate merge: ${firstShard.name} is shard ${firstShard.shard!.index}/${count} but ${other.name} is shard ${other.shard!.index}/${other.shard!.count}; the shards of one gate share their count`);
  }
  const byIndex = new Map<number, string[]>();
  for (const d of sharded) byIndex.set(d.shard!.index, [...(byIndex.get(d.shard!.index) ?? []), d.name]);
  const duplicated = [...byIndex].find(([, names]) => names.length > 1);
  if (duplicated) {
    const [index, names] = duplicated;
    throw new UsageError(`gate merge: shard ${index}/${count} is given more than once (${names.join(', ')})`, {
      hint: 'give each shard’s document once',
    });
  }
  const missing = [];
  for (let i = 1; i <= count; i++) if (!byIndex.has(i)) missing.push(`${i}/${count}`);
  if (missing.length) {
    throw new UsageError(`gate merge: missing shard${missing.length === 1 ? '' : 's'} ${missing.join(', ')} (got ${[...byIndex.keys()].sort((a, b) => a - b).map((i) => `${i}/${count}`).join(', ')})`, {
      hint: 'a merge without every shard would judge only part of the images; rerun the missing shard or download its document',
    });
  }
}

function pathKey(name: string): string {
  try {
    return realpathSync(path.resolve(name));
  } catch {
    return path.resolve(name);
  }
}

interface ShardDocument {
  /** The document's `baseline` summary: the shard was compared with a baseline. */
  comparison?: ShardComparison;
  threshold: number;
  exit_code: number;
  results: GateResult[];
  skipped: string[];
  shard?: { index: number; count: number };
}

function parseGateDocument(name: string, text: string): ShardDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    throw new UsageError(`${name}: not JSON; gate merge takes the files written by \`gate --json\` or \`--json-file\``);
  }
  if (!isObject(doc)) throw notAGateReport(name);
  if (isObject(doc.error)) {
    const code = typeof doc.error.code === 'string' ? doc.error.code : 'error';
    const message = typeof doc.error.message === 'string' ? doc.error.message : 'no message';
    throw new UsageError(`${name}: this shard ended with an error and no results (${code}: ${message})`, {
      hint: 'rerun that shard; gate merge needs every shard’s report',
    });
  }
  if (doc.dry_run === true) throw new UsageError(`${name}: a --dry-run plan, not a gate report`);
  if (!Array.isArray(doc.results) || !isObject(doc.counts)) throw notAGateReport(name);

  const results = doc.results.map((r, i) => {
    if (!isObject(r) || typeof r.image !== 'string' || typeof r.passed !== 'boolean') {
      throw new UsageError(`${name}: results[${i}] is not a gate result (it needs at least "image" and "passed")`);
    }
    return r as unknown as GateResult;
  });
  const threshold = typeof doc.threshold === 'number' ? doc.threshold : (results[0]?.threshold ?? 0);
  const exitCode = typeof doc.exit_code === 'number' ? doc.exit_code : ExitCode.Success;
  const skipped = Array.isArray(doc.skipped) ? doc.skipped.filter((f): f is string => typeof f === 'string') : [];
  let shard: ShardDocument['shard'];
  if (doc.shard !== undefined && doc.shard !== null) {
    const sh = doc.shard as Record<string, unknown>;
    const ok = isObject(sh) && Number.isInteger(sh.index) && Number.isInteger(sh.count) && (sh.count as number) >= 1 && (sh.index as number) >= 1 && (sh.index as number) <= (sh.count as number);
    if (!ok) throw new UsageError(`${name}: "shard" must be {"index": i, "count": n} with 1 ≤ i ≤ n`);
    shard = { index: sh.index as number, count: sh.count as number };
  }
  let comparison: ShardComparison | undefined;
  if (isObject(doc.baseline) && typeof doc.baseline.file === 'string') {
    const b = doc.baseline;
    const bound = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
    comparison = {
      file: b.file as string,
      missing_images: Array.isArray(b.missing_images) ? b.missing_images.filter((m): m is string => typeof m === 'string') : [],
      max_drop: bound(b.max_drop),
      max_mean_drop: bound(b.max_mean_drop),
    };
  }
  return { threshold, exit_code: exitCode, results, skipped, shard, comparison };
}

function notAGateReport(name: string): UsageError {
  return new UsageError(`${name}: not a gate report (expected the document of \`gate --json\`, with "counts" and "results")`);
}
