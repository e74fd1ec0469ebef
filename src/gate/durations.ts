import type { Evaluation } from '../api/types.js';

/**
 * Learns how long evaluations take on this server, so the gate can poll each one close to when
 * it should finish instead of on a fixed schedule: fewer requests, and a finished evaluation is
 * noticed (and its slot reused) sooner.
 */
export class DurationModel {
  #samples: number[] = [];
  readonly #max = 32;

  /** Server-side duration when the record says it, else what the client observed. */
  observe(record: Evaluation, observedMs: number): void {
    let ms: number | undefined;
    const submitted = typeof record.submitted_at === 'string' ? Date.parse(record.submitted_at) : NaN;
    const completed = typeof record.completed_at === 'string' ? Date.parse(record.completed_at) : NaN;
    if (Number.isFinite(submitted) && Number.isFinite(completed) && completed >= submitted) ms = completed - submitted;
    else if (typeof record.eval_duration_ms === 'number' && record.eval_duration_ms >= 0) ms = record.eval_duration_ms;
    // A server clock or field far from what we saw is not trusted.
    if (ms === undefined || ms > observedMs + 5000) ms = observedMs;
    this.#samples.push(ms);
    if (this.#samples.length > this.#max) this.#samples.shift();
  }

  /** Median duration seen so far, or undefined before the first evaluation finished. */
  expectedMs(): number | undefined {
    if (!this.#samples.length) return undefined;
    const sorted = [...this.#samples].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
  }
}

/** Gaps before we know anything: dense, so the first wave is noticed quickly. */
const COLD_GAPS_MS = [300, 300, 300, 300, 300, 500, 500, 1000, 1000, 1500, 2000, 2500, 3000, 4000];
/** After the expected finish: check again soon, then back off. */
const WARM_GAPS_MS = [100, 250, 500, 1000, 1500, 2000, 3000, 4000];
const MAX_GAP_MS = 5000;

/**
 * How long to wait before poll number `pollNumber` (0 = first poll after submitting) of an
 * evaluation, given the model's expectation. `fixedMs` (--interval) overrides it all.
 */
export function gatePollDelay(pollNumber: number, expectedMs: number | undefined, fixedMs?: number): number {
  if (fixedMs !== undefined) return fixedMs;
  if (expectedMs === undefined) return COLD_GAPS_MS[pollNumber] ?? MAX_GAP_MS;
  if (pollNumber === 0) return Math.max(250, expectedMs + 20);
  return WARM_GAPS_MS[pollNumber - 1] ?? MAX_GAP_MS;
}
