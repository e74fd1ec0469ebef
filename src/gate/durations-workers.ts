/**
 * How many workers the service runs evaluations on, learned from what the gate's polls see: the
 * most evaluations seen running at the same time is a floor; the shallowest place in our
 * submission order found still `pending` in a queue is a ceiling (first in, first out: everything
 * ahead of it holds a worker). Until a queue is seen, the count probes past the floor.
 */

const INITIAL_WORKERS = 8;
/** Run intervals kept for the count of those running at once. */
const INTERVALS = 128;

export class WorkerCount {
  #count = INITIAL_WORKERS;
  /** Lowest queue position found still `pending`: there are no more workers than that. */
  #atMost = Infinity;
  #atLeast = 1;
  /** Some evaluation waited in a queue: the service has no more workers than seen busy at once. */
  #queueSeen = false;
  /** Recent run intervals [start, end] (clock time). */
  #intervals: Array<[number, number]> = [];
  /** Told each time the count changes (and whether it grew), after it changed. */
  readonly #changed: (grew: boolean) => void;

  constructor(changed: (grew: boolean) => void) {
    this.#changed = changed;
  }

  get count(): number {
    return this.#count;
  }

  get atMost(): number {
    return this.#atMost;
  }

  get queueSeen(): boolean {
    return this.#queueSeen;
  }

  /**
   * The evaluation at `index` in submission order waits in a queue: there are at most `index`
   * workers. Returns whether it was counted among those running (it is not any more).
   */
  pendingAt(index: number): boolean {
    this.#atMost = Math.max(this.#atLeast, Math.min(this.#atMost, index));
    if (index >= this.#count) return false;
    this.#set(Math.min(this.#count, Math.max(this.#atLeast, index)));
    return true;
  }

  /**
   * The evaluation at `index` runs, before anything finished: every one ahead of it holds a
   * worker too, so there are at least `index + 1` (a deep probe finds a large service early).
   */
  runningAt(index: number): void {
    this.#raiseAtLeast(index + 1);
  }

  /** An evaluation ran from `start` to `end` (clock time): count those running with it. */
  ran(start: number, end: number): void {
    this.#intervals.push([start, end]);
    if (this.#intervals.length > INTERVALS) this.#intervals.shift();
    this.#raiseAtLeast(this.#overlapAt(start, end));
  }

  /** An evaluation waited in a queue: no more probing past what was seen busy at once. */
  queued(): void {
    this.#queueSeen = true;
    this.#set(this.#atLeast);
  }

  /** Most recorded run intervals covering one instant within [from, to]. */
  #overlapAt(from: number, to: number): number {
    let best = 0;
    for (const [, e] of this.#intervals) {
      if (e < from || e > to) continue;
      const point = e - 0.5;
      let n = 0;
      for (const [s2, e2] of this.#intervals) if (s2 <= point && point <= e2) n++;
      best = Math.max(best, n);
    }
    return best;
  }

  #raiseAtLeast(n: number): void {
    if (n <= this.#atLeast) return;
    this.#atLeast = n;
    // Seen running together: the bound from a pending evaluation was too low (workers were added).
    if (this.#atMost < n) this.#atMost = Infinity;
    // Every worker we thought of is busy at once: there may be more; look further (bounded by
    // what a pending evaluation told us).
    // Once a queue was seen, the most seen running at once is the count; before, look further.
    const probe = this.#queueSeen || Number.isFinite(this.#atMost) ? n : Math.ceil(n * 1.5);
    const next = n >= this.#count ? Math.min(this.#atMost, Math.max(this.#count, probe)) : Math.max(this.#count, n);
    this.#set(next);
  }

  #set(n: number): void {
    const w = Math.max(1, Math.round(n));
    if (w === this.#count) return;
    const grew = w > this.#count;
    this.#count = w;
    this.#changed(grew);
  }
}
