import type { Evaluation } from '../api/types.js';

/**
 * Where the gate spends its polls. The service runs evaluations on a number of workers, first in
 * first out, and leaves the rest `pending` in a queue; the gate learns from what it sees:
 *
 * - how long an evaluation takes on a worker (`eval_duration_ms`, else what it observed),
 * - how many workers there are (the most evaluations seen running at the same time, lowered
 *   when one deep in our submission order is still `pending`),
 *
 * and from those, when each outstanding evaluation should finish: one among the first W (in
 * submission order) has been running since it was submitted or since it moved up; one behind
 * them starts only after that many more finish. Each is polled at learned quantiles of the
 * duration after its expected start (few requests, and a finish is noticed soon after it
 * happens); one still waiting in the queue is left alone (apart from a rare safety poll).
 */

export interface Tracked {
  readonly seq: number;
  /** Clock time the submission was accepted. */
  readonly acceptedAt: number;
  lastPollAt?: number;
  previousPollAt?: number;
  polls: number;
  lastStatus?: string;
  /** When it became one of the first W outstanding (expected to be running). */
  headSince?: number;
  /** When it started running, from the record's `updated_at` when a poll first saw it running. */
  startedAt?: number;
  done: boolean;
}

/** Gaps before we know anything about durations: dense for the oldest, so one short evaluation is noticed quickly. */
const COLD_GAPS_MS = [300, 300, 300, 300, 300, 500, 500, 1000, 1000, 1500, 2000, 2500, 3000, 4000];
const COLD_SPARSE_GAPS_MS = [1000, 1000, 1500, 2000, 2500, 3000, 4000];
const MAX_GAP_MS = 5000;
/** Before anything finished, only the oldest few outstanding are polled densely. */
const COLD_DENSE = 2;
const INITIAL_WORKERS = 8;
/** Quantiles of the duration at which an evaluation is polled after its expected start. */
const LADDER = [0.85, 0.97];
/** At the end of a run (nothing more to submit, no queue left), finishes are noticed sooner. */
const TAIL_LADDER = [0.5, 0.7, 0.85, 0.97];
const SAMPLES = 64;
/**
 * A `pending` status this long after submission (beyond the shortest wait seen before a start)
 * means the evaluation waits in a queue.
 */
const QUEUED_AFTER_MS = 500;
const QUEUED_AFTER_COLD_MS = 1500;

export class CompletionModel {
  readonly #now: () => number;
  readonly #fixedMs?: number;
  /** Outstanding evaluations, oldest submission first. */
  #outstanding: Tracked[] = [];
  #seq = 0;
  /** Durations on a worker, newest last. */
  #durations: number[] = [];
  #sorted: number[] = [];
  /** Time between submission and start that even an unqueued evaluation spends (smallest seen). */
  #startLag = Infinity;
  /** Recent run intervals [start, end] (clock time) for the worker estimate. */
  #intervals: Array<[number, number]> = [];
  #workers = INITIAL_WORKERS;
  /** Lowest queue position found still `pending`: there are no more workers than that. */
  #workersAtMost = Infinity;
  #workersAtLeast = 1;
  /** Some evaluation waited in a queue: the service has no more workers than seen busy at once. */
  #queueSeen = false;
  #lastCompletionAt = 0;
  /** Before anything finished: the longest one was seen running (a floor on the durations). */
  #runningFor = 0;
  #finished = 0;
  #draining = false;
  /** Server clock − our clock, from submissions (median of the first few). */
  #offsets: number[] = [];
  #changed!: Promise<void>;
  #wake!: () => void;

  constructor(opts: { now: () => number; fixedIntervalMs?: number }) {
    this.#now = opts.now;
    this.#fixedMs = opts.fixedIntervalMs;
    this.#renew();
  }

  /** Resolves the next time the estimates move (an evaluation finished, the worker count changed). */
  get changed(): Promise<void> {
    return this.#changed;
  }

  /** Nothing more will be submitted: the last evaluations decide the makespan, poll them closer. */
  drain(): void {
    if (this.#draining) return;
    this.#draining = true;
    this.#signal();
  }

  /** Evaluations seen finishing so far. */
  get finished(): number {
    return this.#finished;
  }

  /**
   * Evaluations to keep submitted so the service never idles: its workers plus a queue holding a
   * few seconds of their work (at least as many again). Undefined until durations are known.
   */
  enoughInFlight(bufferMs = 4000): number | undefined {
    const median = this.#quantile(0.5);
    if (median === undefined || !this.#queueSeen) return undefined;
    const perSecond = (this.#workers * 1000) / Math.max(50, median);
    return this.#workers + Math.max(this.#workers, (perSecond * bufferMs) / 1000);
  }

  get workers(): number {
    return this.#workers;
  }

  get expectedMs(): number | undefined {
    return this.#quantile(0.5);
  }

  /** Starts following an evaluation the service accepted (its record, when known, tells the server clock). */
  track(record?: Evaluation): Tracked {
    const now = this.#now();
    const t: Tracked = { seq: this.#seq++, acceptedAt: now, polls: 0, done: false };
    const created = typeof record?.created_at === 'string' ? Date.parse(record.created_at) : NaN;
    if (Number.isFinite(created) && this.#offsets.length < 16) this.#offsets.push(created - now);
    this.#outstanding.push(t);
    if (this.#outstanding.length <= this.#workers) t.headSince = now;
    return t;
  }

  /** Stops following it (finished, failed to poll for good, or the run stopped). */
  untrack(t: Tracked): void {
    if (t.done) return;
    t.done = true;
    const i = this.#outstanding.indexOf(t);
    if (i >= 0) this.#outstanding.splice(i, 1);
    this.#promote();
    this.#signal();
  }

  /** What one poll saw. */
  observe(t: Tracked, record: Evaluation, terminal: boolean): void {
    const now = this.#now();
    t.previousPollAt = t.lastPollAt;
    t.lastPollAt = now;
    t.polls++;
    const status = typeof record.status_code === 'string' ? record.status_code : undefined;
    const index = this.#outstanding.indexOf(t);
    const queuedAfter = Number.isFinite(this.#startLag) ? this.#startLag + QUEUED_AFTER_MS : QUEUED_AFTER_COLD_MS;
    if (status === 'pending' && now - t.acceptedAt > queuedAfter && index >= 0) {
      // FIFO: everything ahead of it holds a worker, so there are at most `index` of them.
      this.#workersAtMost = Math.max(this.#workersAtLeast, Math.min(this.#workersAtMost, index));
      if (index < this.#workers) {
        this.#setWorkers(Math.min(this.#workers, Math.max(this.#workersAtLeast, index)));
        t.headSince = undefined;
      }
    }
    // Before anything finished, one running at position i means every one ahead of it holds a
    // worker too: at least i + 1 of them (the deep probe below finds a large service early).
    if (status === 'running' && index >= 0 && this.#sorted.length === 0) this.#raiseWorkersAtLeast(index + 1);
    const submittedAt = typeof record.submitted_at === 'string' ? Date.parse(record.submitted_at) : NaN;
    if (status === 'running' && typeof record.updated_at === 'string') this.#noteWait(Date.parse(record.updated_at) - submittedAt);
    if (status === 'running' && t.startedAt === undefined) {
      // The status changed at `updated_at` (server clock): that is when it left the queue.
      const updated = typeof record.updated_at === 'string' ? Date.parse(record.updated_at) : NaN;
      const offset = this.#offset();
      const prior = t.previousPollAt ?? t.acceptedAt;
      t.startedAt = Number.isFinite(updated) && offset !== undefined ? Math.min(now, Math.max(prior, updated - offset)) : (prior + now) / 2;
    }
    t.lastStatus = status;
    if (!terminal && this.#sorted.length === 0 && now - t.acceptedAt > this.#runningFor + 100) {
      // Those submitted with it will hardly finish sooner: their first polls wait for this long.
      this.#runningFor = now - t.acceptedAt;
      this.#signal();
    }
    if (terminal) {
      this.#finished++;
      this.#learn(t, record, now);
      this.untrack(t);
    }
  }

  #learn(t: Tracked, record: Evaluation, now: number): void {
    const total = now - t.acceptedAt;
    const completed = typeof record.completed_at === 'string' ? Date.parse(record.completed_at) : NaN;
    const submitted = typeof record.submitted_at === 'string' ? Date.parse(record.submitted_at) : NaN;
    const offset = this.#offset();
    const end = Number.isFinite(completed) && offset !== undefined && Math.abs(completed - offset - now) < 60_000 ? Math.min(now, completed - offset) : now;
    let run = typeof record.eval_duration_ms === 'number' && record.eval_duration_ms >= 0 ? record.eval_duration_ms : undefined;
    // A server figure longer than what we saw from outside is not trusted.
    if (run === undefined || run > total + 1000) run = Number.isFinite(completed) && Number.isFinite(submitted) && completed >= submitted && completed - submitted <= total + 1000 ? completed - submitted : total;
    if (Number.isFinite(completed) && Number.isFinite(submitted) && completed >= submitted) {
      this.#startLag = Math.max(0, Math.min(this.#startLag, completed - submitted - run, 1000));
      this.#noteWait(completed - submitted - run);
    }
    this.#durations.push(run);
    if (this.#durations.length > SAMPLES) this.#durations.shift();
    this.#sorted = [...this.#durations].sort((a, b) => a - b);
    this.#lastCompletionAt = Math.max(this.#lastCompletionAt, end);
    this.#intervals.push([end - run, end]);
    if (this.#intervals.length > 2 * SAMPLES) this.#intervals.shift();
    this.#raiseWorkersAtLeast(this.#overlapAt(end - run, end));
  }

  /** An evaluation waited `waitMs` between submission and start (server clock). */
  #noteWait(waitMs: number): void {
    if (this.#queueSeen || !Number.isFinite(waitMs) || !Number.isFinite(this.#startLag)) return;
    if (waitMs <= this.#startLag + QUEUED_AFTER_MS) return;
    this.#queueSeen = true;
    // No more probing past what was seen busy at once.
    this.#setWorkers(this.#workersAtLeast);
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

  #raiseWorkersAtLeast(n: number): void {
    if (n <= this.#workersAtLeast) return;
    this.#workersAtLeast = n;
    // Seen running together: the bound from a pending evaluation was too low (workers were added).
    if (this.#workersAtMost < n) this.#workersAtMost = Infinity;
    // Every worker we thought of is busy at once: there may be more; look further (bounded by
    // what a pending evaluation told us).
    // Once a queue was seen, the most seen running at once is the count; before, look further.
    const probe = this.#queueSeen || Number.isFinite(this.#workersAtMost) ? n : Math.ceil(n * 1.5);
    const next = n >= this.#workers ? Math.min(this.#workersAtMost, Math.max(this.#workers, probe)) : Math.max(this.#workers, n);
    this.#setWorkers(next);
  }

  #setWorkers(n: number): void {
    const w = Math.max(1, Math.round(n));
    if (w === this.#workers) return;
    const grew = w > this.#workers;
    this.#workers = w;
    this.#promote(grew);
    this.#signal();
  }

  /**
   * The first W outstanding are expected to be running from now on (if not already). One that
   * moved up because a worker came free started at the last completion we know of; one that is
   * among the first W only because we now count more workers has probably run all along.
   */
  #promote(moreWorkers = false): void {
    const now = this.#now();
    const limit = Math.min(this.#workers, this.#outstanding.length);
    for (let i = 0; i < limit; i++) {
      const t = this.#outstanding[i];
      if (t.headSince === undefined) t.headSince = moreWorkers ? t.acceptedAt : Math.max(t.acceptedAt, Math.min(now, this.#lastCompletionAt || now));
    }
  }

  #offset(): number | undefined {
    if (!this.#offsets.length) return undefined;
    const sorted = [...this.#offsets].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
  }

  #quantile(q: number): number | undefined {
    const s = this.#sorted;
    if (!s.length) return undefined;
    return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))];
  }

  /** Clock time of this evaluation's next poll. */
  nextPollAt(t: Tracked): number {
    const now = this.#now();
    const last = t.lastPollAt ?? t.acceptedAt;
    if (this.#fixedMs !== undefined) return last + this.#fixedMs;
    const index = this.#outstanding.indexOf(t);
    const median = this.#quantile(0.5);
    if (median === undefined) {
      // Nothing finished yet: the oldest few densely, the next ones sparsely, the queue not at all.
      const polls = t.polls;
      if (index < COLD_DENSE) {
        // Submitted together, the oldest few would be polled at the same instants; shifted by a
        // fraction of the gap, together they look COLD_DENSE times as often at no extra cost.
        const shift = polls === 0 ? ((t.seq % COLD_DENSE) * COLD_GAPS_MS[0]!) / COLD_DENSE : 0;
        return last + (COLD_GAPS_MS[polls] ?? MAX_GAP_MS) + shift;
      }
      if (index < this.#workers) return Math.max(last + (COLD_SPARSE_GAPS_MS[polls] ?? MAX_GAP_MS), t.acceptedAt + this.#runningFor);
      // One deeper in the list tells whether the service has more workers than we count yet
      // (running) or queues it (pending): a few polls instead of learning them one round at a time.
      if (index === Math.min(this.#outstanding.length, this.#workersAtMost, 2 * this.#workers) - 1) return last + (COLD_SPARSE_GAPS_MS[polls] ?? MAX_GAP_MS);
      return last + MAX_GAP_MS * 2;
    }
    const lag = Number.isFinite(this.#startLag) ? this.#startLag : 0;
    const minGap = Math.max(100, Math.min(1000, median * 0.05));
    let start: number;
    if (t.startedAt !== undefined) {
      start = t.startedAt;
    } else if (index >= 0 && index < this.#workers) {
      start = Math.max(t.acceptedAt, t.headSince ?? t.acceptedAt) + lag;
      // Seen still pending: it starts after that, at the earliest.
      if (t.lastStatus === 'pending' && t.lastPollAt !== undefined) start = Math.max(start, t.lastPollAt);
    } else {
      // Waits in the queue: starts after (index − W + 1) more evaluations finish.
      const mean = this.#durations.reduce((a, b) => a + b, 0) / this.#durations.length;
      const ahead = Math.max(0, index) - this.#workers + 1;
      start = Math.max(now, this.#lastCompletionAt) + (ahead * mean) / this.#workers + lag;
    }
    const tail = this.#draining && this.#outstanding.length <= this.#workers;
    const candidates = [...(tail ? TAIL_LADDER : LADDER).map((q) => this.#quantile(q)!), this.#sorted[this.#sorted.length - 1] * 1.05];
    // A little after each quantile: the record flips a moment after the service's clock says.
    for (const d of candidates) {
      const at = start + d + Math.max(20, d * 0.02);
      if (at > last + minGap) return this.#safe(at, last);
    }
    // Later than every duration seen: back off in proportion to how late it is (soon at first,
    // a few seconds between polls for a long one).
    const overdue = Math.max(0, last - (start + candidates[candidates.length - 1]));
    const gap = Math.max(minGap, Math.min(MAX_GAP_MS, overdue * (this.#draining ? 0.3 : 0.5), median * (this.#draining ? 0.15 : 0.25)));
    return this.#safe(last + gap, last);
  }

  /** However sure the model is, an evaluation is looked at now and then (the queue may not be FIFO). */
  #safe(at: number, last: number): number {
    const p97 = this.#quantile(0.97) ?? MAX_GAP_MS;
    return Math.min(at, last + Math.max(15_000, 3 * p97));
  }

  #signal(): void {
    const wake = this.#wake;
    this.#renew();
    wake();
  }

  #renew(): void {
    this.#changed = new Promise<void>((resolve) => {
      this.#wake = resolve;
    });
  }
}
