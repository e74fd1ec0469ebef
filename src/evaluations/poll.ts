import type { Evaluation } from '../api/types.js';
import { TERMINAL_STATUSES } from '../api/types.js';
import type { Clock } from '../clock.js';
import { CliError } from '../errors.js';

/**
 * Seconds between polls, by poll number. Dense at first, so a short evaluation is noticed within
 * about a second of finishing; sparser later, so a long one is not hammered (the docs say
 * evaluations usually take tens of seconds): 8 requests cover the first ~10 s, then every 5 s.
 */
const POLL_GAPS_MS = [1000, 1000, 1000, 1500, 1500, 2000, 2250, 2500, 3000, 3500, 4000];
const LONG_POLL_GAP_MS = 5000;

/**
 * The shortest gap `--interval` gives: `--interval 0s` polled one evaluation hundreds of times a
 * second, which only earns 429s from the service's request-rate limit (SPEC §6: few requests per
 * evaluation).
 */
export const MIN_POLL_INTERVAL_MS = 100;

export function pollDelay(pollNumber: number, fixedIntervalMs?: number): number {
  if (fixedIntervalMs !== undefined) return Math.max(MIN_POLL_INTERVAL_MS, fixedIntervalMs);
  return POLL_GAPS_MS[pollNumber] ?? LONG_POLL_GAP_MS;
}

export function isTerminal(e: Evaluation | undefined): boolean {
  return Boolean(e && typeof e.status_code === 'string' && TERMINAL_STATUSES.includes(e.status_code));
}

export interface WaitOptions<T> {
  clock: Clock;
  /** Absolute deadline (clock.now() scale). */
  deadline: number;
  signal?: AbortSignal;
  intervalMs?: number;
  /** Called after every successful fetch (spinner updates). */
  onUpdate?: (latest: T) => void;
  /** Called when a fetch fails with a retryable error: the wait goes on. */
  onTransientError?: (err: unknown) => void;
}

export type WaitOutcome<T> = { kind: 'terminal'; latest: T } | { kind: 'deadline'; latest: T | undefined };

/** 5xx and connection errors while polling do not end a wait (SPEC §6); 4xx do. */
export function isTransientPollError(err: unknown): boolean {
  if (err instanceof CliError) {
    const status = err.status;
    if (status === undefined) return err.exitCode === 5 && err.code !== 'bad_response';
    return status >= 500 || status === 429 || status === 408;
  }
  return false;
}

/**
 * Polls `fetch` until the evaluation is terminal or the deadline passes. The first fetch is
 * immediate (the evaluation may be done already). Abort propagates as the signal's reason.
 */
export async function waitUntilTerminal<T extends { record: Evaluation }>(
  fetch: () => Promise<T>,
  opts: WaitOptions<T>,
): Promise<WaitOutcome<T>> {
  const outcome = await pollLoop({
    fetch,
    immediate: true,
    signal: opts.signal,
    // The last sleep ends at the deadline itself, so one more look is taken there: an
    // evaluation that finished just then is not reported as pending.
    pause: async (poll) => {
      const remaining = opts.deadline - opts.clock.now();
      if (remaining <= 0) return false;
      await opts.clock.sleep(Math.min(pollDelay(poll - 1, opts.intervalMs), remaining), opts.signal);
      return true;
    },
    done: (latest) => {
      opts.onUpdate?.(latest);
      return isTerminal(latest.record);
    },
    onTransientError: opts.onTransientError,
  });
  return outcome.kind === 'done' ? { kind: 'terminal', latest: outcome.latest } : { kind: 'deadline', latest: outcome.latest };
}

export interface PollLoopOptions<T> {
  fetch: () => Promise<T>;
  /** Poll 0 goes at once, without `pause` (the evaluation may be done already). */
  immediate: boolean;
  /** Waits before poll number `poll`; false ends the loop (`stopped`: the deadline has passed). */
  pause: (poll: number) => Promise<boolean>;
  /** Sees every answer; true when polling is done (the evaluation is terminal). */
  done: (latest: T) => boolean;
  /** Aborting ends the loop with the signal's reason. */
  signal?: AbortSignal | undefined;
  /** A failure that ends polling although it is transient (the gate's service proved unreachable). */
  fatal?: ((err: unknown) => boolean) | undefined;
  /** A fetch failed with a retryable error (isTransientPollError): polling goes on. */
  onTransientError?: ((err: unknown) => void) | undefined;
}

/**
 * The one poll loop `wait`, `submit --wait` and the gate share: fetch, and on a transient error
 * (5xx, 429, a lost connection) go on; when to poll next is the caller's (`pause`): a schedule
 * and a deadline for `wait`, the gate's completion model for the gate.
 */
export async function pollLoop<T>(opts: PollLoopOptions<T>): Promise<{ kind: 'done'; latest: T } | { kind: 'stopped'; latest: T | undefined }> {
  let latest: T | undefined;
  for (let poll = 0; ; poll++) {
    if ((poll > 0 || !opts.immediate) && !(await opts.pause(poll))) return { kind: 'stopped', latest };
    opts.signal?.throwIfAborted();
    try {
      latest = await opts.fetch();
      if (opts.done(latest)) return { kind: 'done', latest };
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      if (opts.fatal?.(err) || !isTransientPollError(err)) throw err;
      opts.onTransientError?.(err);
    }
  }
}
