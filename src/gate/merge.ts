import { ExitCode } from '../exit-codes.js';
import { UsageError } from '../errors.js';
import { buildReport, exitCodeOfResult } from './decide.js';
import type { GateReport, GateResult } from './types.js';

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
const RUN_LEVEL_CODES = new Set<number>([ExitCode.Interrupted, ExitCode.Usage, ExitCode.Auth, ExitCode.Api]);

export function mergeReports(docs: Array<{ name: string; text: string }>): GateReport {
  if (docs.length === 0) throw new UsageError('gate merge needs at least one file (the --json output of each shard)');
  const results: GateResult[] = [];
  const extraCodes: number[] = [];
  const thresholds: number[] = [];
  for (const doc of docs) {
    const report = parseGateDocument(doc.name, doc.text);
    results.push(...report.results);
    thresholds.push(report.threshold);
    if (RUN_LEVEL_CODES.has(report.exit_code)) extraCodes.push(report.exit_code);
  }
  // Shards of one gate share a threshold; if they do not, the first file's stands at the top and
  // each result still carries the threshold it was judged by.
  return buildReport(results, results.map(exitCodeOfResult), thresholds[0], extraCodes);
}

interface ShardDocument {
  threshold: number;
  exit_code: number;
  results: GateResult[];
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
  return { threshold, exit_code: exitCode, results };
}

function notAGateReport(name: string): UsageError {
  return new UsageError(`${name}: not a gate report (expected the document of \`gate --json\`, with "counts" and "results")`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
