import { UsageError } from '../errors.js';
import { MIN_POLL_INTERVAL_MS } from '../evaluations/poll.js';
import type { KeyOptions } from '../evaluations/keys.js';
import type { SubmitFlags } from '../evaluations/submit-flags.js';
import { DEFAULT_TIMEOUT } from '../evaluations/wait.js';
import { parseDeadline, parseDuration } from '../util/duration.js';
import { wholeNumberFlag } from '../validate.js';
import type { BaselineFlags } from './baseline-file.js';
import type { ReportTargets } from './outputs.js';
import { parseRepeatFlags, type RepeatFlags, type RepeatOptions } from './repeats.js';
import type { PlannedInput } from './run-types.js';

/** The gate command's flags as commander hands them over (strings until parsed here). */
export interface GateFlags extends SubmitFlags, ReportTargets, BaselineFlags, RepeatFlags {
  manifest?: string;
  id?: string[];
  threshold?: string;
  concurrency?: string;
  retryFailed?: string;
  interval?: string;
  shard?: string;
  dryRun?: boolean;
  maxCost?: string;
  quiet?: boolean;
  all?: boolean;
  /** `--config FILE`, or false for `--no-config`. */
  config?: string | false;
  maxFailures?: string;
  /** commander's `--no-balance-check`. */
  balanceCheck?: boolean;
}

/**
 * Evaluations kept submitted and unfinished at once. Against a service that queues, this only
 * needs to exceed its workers plus what finishes while the gate notices; 64 covers services of up
 * to about 48 workers (bench: 12 workers 1.04× the ideal at 32) and bounds what Ctrl-C leaves
 * running and billed.
 */
export const DEFAULT_CONCURRENCY_CAP = 64;

/** The gate's numeric flags, checked and converted. */
export interface GateOptions {
  threshold: number;
  timeoutMs: number;
  /** --interval, floored; undefined for adaptive polling. */
  intervalMs: number | undefined;
  concurrencyCap: number;
  retryFailed: number;
  maxFailures: number | undefined;
  repeat: RepeatOptions;
}

/** Checks every flag that needs no file or request, in the order a user reads them; exit 2 on the first bad one. */
export async function parseGateFlags(flags: GateFlags): Promise<GateOptions> {
  const threshold = parseThreshold(flags.threshold);
  const timeoutMs = parseDeadline(flags.timeout ?? DEFAULT_TIMEOUT, '--timeout');
  // Floored as wait's is: a 0 gap would poll each evaluation as fast as the service answers.
  const intervalMs = flags.interval !== undefined ? Math.max(MIN_POLL_INTERVAL_MS, parseDuration(flags.interval, '--interval')) : undefined;
  const concurrencyCap = wholeNumberFlag(flags.concurrency, '--concurrency', 1, 1000, DEFAULT_CONCURRENCY_CAP);
  const retryFailed = wholeNumberFlag(flags.retryFailed, '--retry-failed', 0, 10, 1);
  const maxFailures = flags.maxFailures === undefined ? undefined : wholeNumberFlag(flags.maxFailures, '--max-failures', 1, 1_000_000, 1);
  if (flags.maxCost !== undefined && !/^\d+(\.\d+)?$/.test(flags.maxCost.trim())) throw new UsageError(`--max-cost must be a non-negative decimal amount (got ${JSON.stringify(flags.maxCost)})`);
  await checkGateKey(flags);
  const repeat = parseRepeatFlags(flags);
  return { threshold, timeoutMs, intervalMs, concurrencyCap, retryFailed, maxFailures, repeat };
}

function parseThreshold(value: string | undefined): number {
  if (value === undefined) return 0;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) {
    // 80 is most likely a percentage: say what it would be as a fraction. 1.5 is not (0.015 would
    // be a strange bar), so no guess below 2.
    const hint = Number.isFinite(n) && n >= 2 && n <= 100 ? `did you mean --threshold ${n / 100}? (a score from 0.0 to 1.0, not a percentage)` : undefined;
    throw new UsageError(`--threshold must be a number from 0.0 to 1.0 (got ${JSON.stringify(value)})`, { hint });
  }
  return n;
}

async function checkGateKey(flags: GateFlags): Promise<void> {
  const key = flags.idempotencyKey;
  if (key === undefined) return;
  const { KEY_PREFIX_ADDS } = await import('../evaluations/keys.js');
  if (flags.resubmit) throw new UsageError('--idempotency-key and --resubmit contradict each other; give one');
  const max = 255 - KEY_PREFIX_ADDS;
  if (!key.trim() || key.length > max) {
    throw new UsageError(`--idempotency-key must be 1-${max} characters for gate (each image's key adds ${KEY_PREFIX_ADDS} to it, and the service takes 255)`);
  }
}

/**
 * `--idempotency-key K` (SPEC §3's submit / gate options). One key cannot serve several images (the
 * service would refuse all but the first with a 409), so K is the key itself only when the gate
 * submits exactly one image and is not sharded; otherwise each image's key is K plus a part of its
 * content-derived key, the same on every rerun, so a rerun under the same K still resumes.
 */
export function gateKeys(flags: GateFlags, planned: readonly PlannedInput[]): KeyOptions | undefined {
  if (flags.idempotencyKey === undefined) return undefined;
  const submits = planned.filter((p) => p.input.kind === 'submit').length;
  return submits === 1 && flags.shard === undefined ? { idempotencyKey: flags.idempotencyKey } : { keyPrefix: flags.idempotencyKey };
}
