/**
 * --max-failures: which results count as failures, and the window that holds back submissions
 * while too few verdicts are in to know whether the run is broken.
 */
import { ExitCode } from '../exit-codes.js';
import { WaitQueue } from '../util/wait-queue.js';
import { INTERRUPTED, NOT_SUBMITTED } from './decide.js';
import type { FailureTally } from './run-types.js';
import type { GateResult } from './types.js';

/**
 * Whether a decided result counts towards --max-failures: a quality fail or an error. Unfinished
 * ones (timed out, interrupted) and those never sent do not: they say nothing about the images.
 */
export function countsAsFailure(result: GateResult, exitCode: number): boolean {
  const unfinished = exitCode === ExitCode.Timeout || exitCode === ExitCode.Interrupted || exitCode === ExitCode.Terminated;
  return exitCode !== ExitCode.Success && !unfinished && result.status_code !== NOT_SUBMITTED && result.status_code !== INTERRUPTED;
}

/** The default tally: every entry is an image. */
export function entryTally(): FailureTally {
  let count = 0;
  return {
    settled(_index, result, exitCode) {
      if (countsAsFailure(result, exitCode)) count++;
    },
    get count() {
      return count;
    },
  };
}

/**
 * --max-failures also bounds what a broken run spends before its failures come in: the
 * submissions unfinished at once are held to the failures still allowed (times the runs an image
 * makes) plus the evaluations passed so far. A run broken from the start so pays for N images,
 * not for a whole --concurrency's worth sent before the first verdict; a healthy one opens up as
 * its images pass (it doubles each round, up to the in-flight limit).
 */
export class FailureWindow {
  readonly #inside = new Set<number>();
  /** Entries waiting for room (each by its index), first come first served. */
  readonly #waiting = new WaitQueue<number>();

  constructor(
    private readonly maxFailures: number,
    private readonly failures: FailureTally,
    /** Evaluations passed so far. */
    private readonly passed: () => number,
  ) {}

  /** Resolves once entry `index` may be submitted; rejects with the signal's reason on abort. */
  async enter(index: number, signal: AbortSignal): Promise<void> {
    if (this.#waiting.length === 0 && this.#inside.size < this.#room()) {
      this.#inside.add(index);
      return;
    }
    await this.#waiting.wait(signal, index);
  }

  /** Entry `index` settled: its place goes to the next waiting, as room allows. */
  leave(index: number): void {
    this.#inside.delete(index);
    for (let next = this.#waiting.head; next !== undefined && this.#inside.size < this.#room(); next = this.#waiting.head) {
      this.#inside.add(next);
      this.#waiting.wakeNext();
    }
  }

  #room(): number {
    if (this.failures.count >= this.maxFailures) return Infinity;
    return (this.maxFailures - this.failures.count) * (this.failures.perImage ?? 1) + this.passed();
  }
}
