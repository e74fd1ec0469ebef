/**
 * The service's workers, as the fake models them (`workers`): that many evaluations run at once,
 * later ones wait `pending` in submission order for the first free one. Also what a run's
 * evaluations would have taken at best (`idealMakespan`) and how busy the workers were.
 */
import { idealMakespan } from './util.js';

export class WorkerQueue {
  /** When each worker is next free. */
  #freeAt: number[] = [];
  /** Time on a worker of every evaluation created, in creation order (for idealMakespan). */
  #runTimes: number[] = [];
  /** When each evaluation ran on a worker. */
  #runs: Array<{ start: number; end: number }> = [];

  /**
   * A new evaluation created at `now` needs `runMs` on a worker; returns how long it waits
   * `pending` for one (0 without a worker count).
   */
  add(now: number, runMs: number, workers: number): number {
    this.#runTimes.push(runMs);
    if (!Number.isFinite(workers)) return 0;
    const free = this.#freeAt;
    if (free.length < workers) free.push(now);
    let slot = 0;
    for (let i = 1; i < free.length; i++) if (free[i]! < free[slot]!) slot = i;
    const start = Math.max(now, free[slot]!);
    free[slot] = start + runMs;
    this.#runs.push({ start, end: start + runMs });
    return start - now;
  }

  /**
   * The shortest possible makespan of the evaluations created so far: every one submitted at the
   * same instant, in creation order, with the same times on `slots` workers.
   */
  idealMakespan(slots: number): number {
    return idealMakespan(this.#runTimes, slots);
  }

  /**
   * Share of the `workers`' capacity in use between the first and the last start of an
   * evaluation (1: the queue never ran dry while there was work to come).
   */
  busyShare(workers: number): number {
    if (!this.#runs.length || !Number.isFinite(workers)) return 1;
    const from = Math.min(...this.#runs.map((r) => r.start));
    const to = Math.max(...this.#runs.map((r) => r.start));
    if (to <= from) return 1;
    let busy = 0;
    for (const r of this.#runs) busy += Math.max(0, Math.min(r.end, to) - Math.max(r.start, from));
    return busy / (workers * (to - from));
  }

  reset(): void {
    this.#freeAt = [];
    this.#runTimes = [];
    this.#runs = [];
  }
}
