import type { Clock } from '../clock.js';
import { WaitQueue } from '../util/wait-queue.js';

/**
 * How many evaluations the gate keeps submitted and unfinished. Against a service that queues
 * (the documented one), more in flight only keeps its queue fed, so the limit climbs quickly to
 * the cap (--concurrency). Older deployments refuse a submission over an in-flight limit (429
 * with Retry-After): then the limit drops to what the server had accepted, and it probes one
 * higher now and then, since the server's limit may rise and an early refusal must not cap the
 * rest of the run (each probe costs one submission a Retry-After's wait).
 */
export class AdaptiveLimiter {
  #limit: number;
  readonly cap: number;
  readonly #clock?: Clock;
  #active = 0;
  #successesInWindow = 0;
  /** The limit at which the server last refused, and when. */
  #ceiling = Infinity;
  #ceilingAt = 0;
  readonly #waiting = new WaitQueue();
  /** What the service needs in flight to stay busy (workers plus a queue), when known. */
  #enough = Infinity;

  constructor(opts: { initial: number; cap: number; clock?: Clock }) {
    this.cap = Math.max(1, opts.cap);
    this.#limit = Math.max(1, Math.min(opts.initial, this.cap));
    this.#clock = opts.clock;
  }

  get limit(): number {
    return Math.max(1, Math.min(this.#limit, this.#enough));
  }

  /**
   * Against a queueing service, enough in flight keeps its queue fed; more only sends requests
   * early (and leaves more running on Ctrl-C). Raising it wakes waiting submissions.
   */
  setEnough(n: number): void {
    const next = Math.max(1, Math.ceil(n));
    if (next === this.#enough) return;
    this.#enough = next;
    this.#wakeFree();
  }

  get active(): number {
    return this.#active;
  }

  /** Resolves when a slot is free; the caller must call release() exactly once. */
  async acquire(signal?: AbortSignal): Promise<void> {
    while (this.#active >= this.limit) await this.#waiting.wait(signal);
    this.#active++;
  }

  release(): void {
    this.#active = Math.max(0, this.#active - 1);
    this.#wakeFree();
  }

  /** The server refused a submission over its in-flight limit while `accepted` of ours were in flight. */
  onRateLimited(accepted: number): void {
    this.#limit = Math.max(1, Math.min(this.#limit, accepted));
    this.#ceiling = this.#limit;
    this.#ceilingAt = this.#clock?.now() ?? 0;
    this.#successesInWindow = 0;
  }

  onSuccess(): void {
    this.#successesInWindow++;
    const refused = Number.isFinite(this.#ceiling);
    // Before any refusal: one more per success (doubling per round, as TCP's slow start). After
    // one: one more per full window, and past the refused level only once it has aged.
    const step = refused ? this.#successesInWindow >= this.#limit : true;
    if (step && this.#limit < Math.min(this.cap, this.#ceilingNow())) {
      this.#limit++;
      this.#successesInWindow = 0;
      this.#wakeFree();
    }
  }

  /** The refused level, lifted by one every few seconds without another refusal. */
  #ceilingNow(): number {
    if (!Number.isFinite(this.#ceiling) || !this.#clock) return this.#ceiling;
    return this.#ceiling + Math.floor((this.#clock.now() - this.#ceilingAt) / PROBE_EVERY_MS);
  }

  /** Wakes as many waiters as there are free slots, oldest first (not all: 1,000 waiting tasks). */
  #wakeFree(): void {
    this.#waiting.wake(this.limit - this.#active);
  }
}

/** After a refusal, the limit may probe one higher every this long. */
const PROBE_EVERY_MS = 5000;
