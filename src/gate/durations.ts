import type { Evaluation } from '../api/types.js';
import { ServerClock } from './durations-clock.js';
import { DurationSamples } from './durations-samples.js';
import { WorkerCount } from './durations-workers.js';

/**
 * Where the gate spends its polls. The service runs evaluations on a number of workers, first in
 * first out, and leaves the rest `pending` in a queue; the gate learns from what it sees:
 *
 * - how long an evaluation takes on a worker (`eval_duration_ms`, else what it observed),
 * - how many workers there are (the most evaluations seen running at the same time, lowered
 *   when one deep in our submission order is still `pending`: durations-workers.ts),
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
/** Quantiles of the duration at which an evaluation is polled after its expected start. */
const LADDER = [0.85, 0.97];
/** At the end of a run (nothing more to submit, no queue left), finishes are noticed sooner. */
const TAIL_LADDER = [0.5, 0.7, 0.85, 0.97];
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
  /** Durations on a worker. */
  readonly #samples = new DurationSamples();
  /** Time between submission and start that even an unqueued evaluation spends (smallest seen). */
  #startLag = Infinity;
  /** A new count moves who is expected to be running, and the estimates. */
  readonly #workers = new WorkerCount((grew) => {
    this.#promote(grew);
    this.#signal();
  });
  #lastCompletionAt = 0;
  /** Before anything finished: the longest one was seen running (a floor on the durations). */
  #runningFor = 0;
  #finished = 0;
  #draining = false;
  readonly #serverClock = new ServerClock();
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
    const median = this.#samples.quantile(0.5);
    if (median === undefined || !this.#workers.queueSeen) return undefined;
    const workers = this.#workers.count;
    const perSecond = (workers * 1000) / Math.max(50, median);
    return workers + Math.max(workers, (perSecond * bufferMs) / 1000);
  }

  get workers(): number {
    return this.#workers.count;
  }

  get expectedMs(): number | undefined {
    return this.#samples.quantile(0.5);
  }

  /** Starts following an evaluation the service accepted (its record, when known, tells the server clock). */
  track(record?: Evaluation): Tracked {
    const now = this.#now();
    const t: Tracked = { seq: this.#seq++, acceptedAt: now, polls: 0, done: false };
    const created = typeof record?.created_at === 'string' ? Date.parse(record.created_at) : NaN;
    this.#serverClock.accepted(created, now);
    this.#outstanding.push(t);
    if (this.#outstanding.length <= this.#workers.count) t.headSince = now;
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
    // FIFO: everything ahead of it holds a worker, so there are at most `index` of them.
    if (status === 'pending' && now - t.acceptedAt > queuedAfter && index >= 0 && this.#workers.pendingAt(index)) t.headSince = undefined;
    // Before anything finished, one running at position i means every one ahead of it holds a
    // worker too: at least i + 1 of them (the deep probe in nextPollAt finds a large service early).
    if (status === 'running' && index >= 0 && !this.#samples.known) this.#workers.runningAt(index);
    const submittedAt = typeof record.submitted_at === 'string' ? Date.parse(record.submitted_at) : NaN;
    if (status === 'running' && typeof record.updated_at === 'string') this.#noteWait(Date.parse(record.updated_at) - submittedAt);
    if (status === 'running' && t.startedAt === undefined) {
      // The status changed at `updated_at` (server clock): that is when it left the queue.
      const updated = typeof record.updated_at === 'string' ? Date.parse(record.updated_at) : NaN;
      const offset = this.#serverClock.offset;
      const prior = t.previousPollAt ?? t.acceptedAt;
      t.startedAt = Number.isFinite(updated) && offset !== undefined ? Math.min(now, Math.max(prior, updated - offset)) : (prior + now) / 2;
    }
    t.lastStatus = status;
    if (!terminal && !this.#samples.known && now - t.acceptedAt > this.#runningFor + 100) {
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
    const offset = this.#serverClock.offset;
    const end = Number.isFinite(completed) && offset !== undefined && Math.abs(completed - offset - now) < 60_000 ? Math.min(now, completed - offset) : now;
    let run = typeof record.eval_duration_ms === 'number' && record.eval_duration_ms >= 0 ? record.eval_duration_ms : undefined;
    // A server figure longer than what we saw from outside is not trusted.
    if (run === undefined || run > total + 1000) run = Number.isFinite(completed) && Number.isFinite(submitted) && completed >= submitted && completed - submitted <= total + 1000 ? completed - submitted : total;
    if (Number.isFinite(completed) && Number.isFinite(submitted) && completed >= submitted) {
      this.#startLag = Math.max(0, Math.min(this.#startLag, completed - submitted - run, 1000));
      this.#noteWait(completed - submitted - run);
    }
    this.#samples.add(run);
    this.#lastCompletionAt = Math.max(this.#lastCompletionAt, end);
    this.#workers.ran(end - run, end);
  }

  /** An evaluation waited `waitMs` between submission and start (server clock). */
  #noteWait(waitMs: number): void {
    if (this.#workers.queueSeen || !Number.isFinite(waitMs) || !Number.isFinite(this.#startLag)) return;
    if (waitMs <= this.#startLag + QUEUED_AFTER_MS) return;
    this.#workers.queued();
  }

  /**
   * The first W outstanding are expected to be running from now on (if not already). One that
   * moved up because a worker came free started at the last completion we know of; one that is
   * among the first W only because we now count more workers has probably run all along.
   */
  #promote(moreWorkers = false): void {
    const now = this.#now();
    for (const t of this.#outstanding.slice(0, this.#workers.count)) {
      if (t.headSince === undefined) t.headSince = moreWorkers ? t.acceptedAt : Math.max(t.acceptedAt, Math.min(now, this.#lastCompletionAt || now));
    }
  }

  /** Clock time of this evaluation's next poll. */
  nextPollAt(t: Tracked): number {
    const now = this.#now();
    const last = t.lastPollAt ?? t.acceptedAt;
    if (this.#fixedMs !== undefined) return last + this.#fixedMs;
    const index = this.#outstanding.indexOf(t);
    const workers = this.#workers.count;
    const median = this.#samples.quantile(0.5);
    const longest = this.#samples.longest;
    if (median === undefined || longest === undefined) {
      // Nothing finished yet: the oldest few densely, the next ones sparsely, the queue not at all.
      const polls = t.polls;
      if (index < COLD_DENSE) {
        // Submitted together, the oldest few would be polled at the same instants; shifted by a
        // fraction of the gap, together they look COLD_DENSE times as often at no extra cost.
        const shift = polls === 0 ? ((t.seq % COLD_DENSE) * COLD_GAPS_MS[0]!) / COLD_DENSE : 0;
        return last + (COLD_GAPS_MS[polls] ?? MAX_GAP_MS) + shift;
      }
      if (index < workers) return Math.max(last + (COLD_SPARSE_GAPS_MS[polls] ?? MAX_GAP_MS), t.acceptedAt + this.#runningFor);
      // One deeper in the list tells whether the service has more workers than we count yet
      // (running) or queues it (pending): a few polls instead of learning them one round at a time.
      if (index === Math.min(this.#outstanding.length, this.#workers.atMost, 2 * workers) - 1) return last + (COLD_SPARSE_GAPS_MS[polls] ?? MAX_GAP_MS);
      return last + MAX_GAP_MS * 2;
    }
    const lag = Number.isFinite(this.#startLag) ? this.#startLag : 0;
    const minGap = Math.max(100, Math.min(1000, median * 0.05));
    let start: number;
    if (t.startedAt !== undefined) {
      start = t.startedAt;
    } else if (index >= 0 && index < workers) {
      start = Math.max(t.acceptedAt, t.headSince ?? t.acceptedAt) + lag;
      // Seen still pending: it starts after that, at the earliest.
      if (t.lastStatus === 'pending' && t.lastPollAt !== undefined) start = Math.max(start, t.lastPollAt);
    } else {
      // Waits in the queue: starts after (index − W + 1) more evaluations finish.
      const ahead = Math.max(0, index) - workers + 1;
      start = Math.max(now, this.#lastCompletionAt) + (ahead * this.#samples.mean) / workers + lag;
    }
    const tail = this.#draining && this.#outstanding.length <= workers;
    const latest = longest * 1.05;
    const candidates = [...(tail ? TAIL_LADDER : LADDER).map((q) => this.#samples.quantile(q) ?? longest), latest];
    // A little after each quantile: the record flips a moment after the service's clock says.
    for (const d of candidates) {
      const at = start + d + Math.max(20, d * 0.02);
      if (at > last + minGap) return this.#safe(at, last);
    }
    // Later than every duration seen: back off in proportion to how late it is (soon at first,
    // a few seconds between polls for a long one).
    const overdue = Math.max(0, last - (start + latest));
    const gap = Math.max(minGap, Math.min(MAX_GAP_MS, overdue * (this.#draining ? 0.3 : 0.5), median * (this.#draining ? 0.15 : 0.25)));
    return this.#safe(last + gap, last);
  }

  /** However sure the model is, an evaluation is looked at now and then (the queue may not be FIFO). */
  #safe(at: number, last: number): number {
    const p97 = this.#samples.quantile(0.97) ?? MAX_GAP_MS;
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
