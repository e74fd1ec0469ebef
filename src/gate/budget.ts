/**
 * One request budget for everything a gate sends (submissions, polls, uploads), paced like a
 * congestion controller, because the service limits each organization's request rate without
 * saying how fast (its 429 `RATE_LIMITED` may carry no `Retry-After` or `X-RateLimit-*`).
 *
 * - Requests are spaced at `rate` per second: a token bucket (a short burst allowed) serving
 *   callers in line (budget-line.ts), at whatever the rate is when their turn comes.
 * - A 429 pauses every caller until the `Retry-After` when one is sent, else for one slot of the
 *   new rate; the rate itself (cut on 429s, grown under demand, capped by `X-RateLimit-*`) is
 *   budget-rate.ts's, from what was sent and answered lately (budget-traffic.ts).
 * - An in-flight refusal of an older deployment is told from a request-rate limit, and left to
 *   the gate's in-flight limiter.
 */
import type { Clock } from '../clock.js';
import type { Pacer, PacedResponse } from '../api/client.js';
import { parseRetryAfter } from '../api/retry.js';
import { WaitingLine } from './budget-line.js';
import { RateControl } from './budget-rate.js';
import { Traffic } from './budget-traffic.js';

export interface BudgetOptions {
  clock: Clock;
  /** Requests per second to start with. @default 32 */
  initialRate?: number;
  /** @default 0.5 */
  minRate?: number;
  /** @default 200 */
  maxRate?: number;
  debug?: (line: string) => void;
}

/**
 * Up to half a second of the rate may go at once (at the start, or after a quiet moment), at
 * least 2 and at most 8 requests: a round of completions and the submissions that replace them
 * go out together instead of trickling, and a limit that allows our rate allows such a burst.
 */
const BURST_S = 0.5;
const MIN_BURST = 2;
const MAX_BURST = 8;

export class RequestBudget implements Pacer {
  readonly #clock: Clock;
  readonly #debug?: (line: string) => void;
  readonly #traffic = new Traffic();
  readonly #rate: RateControl;
  readonly #line = new WaitingLine();
  #tokens: number;
  #refilledAt: number;
  /** Cancels the pending wake-up of the line. */
  #timer: AbortController | undefined;
  #pausedUntil = 0;
  /** When a caller last had to wait for a slot: growth only makes sense under demand. */
  #lastWaitAt = -Infinity;
  /** 429s in a row without a success in between (a fixed window refuses until it ends). */
  #consecutive429 = 0;
  /** What the last 429 on a submission meant. */
  #lastSubmit429: 'inflight' | 'rate' | undefined;

  constructor(opts: BudgetOptions) {
    this.#clock = opts.clock;
    const start = this.#clock.now();
    this.#rate = new RateControl(this.#clock, this.#traffic, { initialRate: opts.initialRate ?? 32, minRate: opts.minRate ?? 0.5, maxRate: opts.maxRate ?? 200 }, start);
    this.#debug = opts.debug;
    this.#refilledAt = start;
    this.#tokens = this.#burst();
  }

  /** How many requests may go at once. */
  #burst(): number {
    return Math.max(MIN_BURST, Math.min(MAX_BURST, this.rate * BURST_S));
  }

  /** Requests per second allowed now. */
  get rate(): number {
    return this.#rate.rate;
  }

  get stats(): { sent: number; rateLimited: number; rate: number } {
    return { sent: this.#traffic.sent, rateLimited: this.#traffic.limited, rate: this.rate };
  }

  /**
   * Waits for this request's turn. Reads (polls) go before writes (submissions), taking turns
   * when both wait (see WaitingLine). Resolves with the request's ticket.
   */
  async beforeAttempt(signal?: AbortSignal, method?: string): Promise<number> {
    signal?.throwIfAborted();
    const read = method === 'GET';
    if (this.#line.length === 0 && this.#takeToken()) {
      this.#line.passed(read);
      return this.#traffic.sendAt(this.#clock.now());
    }
    this.#lastWaitAt = this.#clock.now();
    const turn = this.#line.wait(read, signal);
    this.#schedule();
    await turn;
    return this.#traffic.sendAt(this.#clock.now());
  }

  #refill(now: number): void {
    this.#rate.grow(now, this.#lastWaitAt);
    this.#tokens = Math.min(this.#burst(), this.#tokens + ((now - this.#refilledAt) / 1000) * this.rate);
    this.#refilledAt = now;
  }

  #takeToken(): boolean {
    const now = this.#clock.now();
    this.#refill(now);
    if (now < this.#pausedUntil || this.#tokens < 1 - 1e-9) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Serves waiting callers while tokens last, then sleeps until the next token. */
  #pump = (): void => {
    this.#timer = undefined;
    while (this.#line.length > 0 && this.#takeToken()) this.#line.grantNext();
    if (this.#line.length > 0) {
      this.#lastWaitAt = this.#clock.now();
      this.#schedule();
    }
  };

  #schedule(): void {
    this.#timer?.abort();
    const now = this.#clock.now();
    const untilToken = this.#tokens >= 1 - 1e-9 ? 0 : Math.ceil(((1 - this.#tokens) * 1000) / this.rate);
    const wait = Math.max(0, this.#pausedUntil - now, untilToken);
    const timer = new AbortController();
    this.#timer = timer;
    this.#clock.sleep(wait, timer.signal).then(this.#pump, () => undefined);
  }

  /** True when the last 429 on a submission was an in-flight limit rather than the request rate. */
  get lastSubmit429WasInflight(): boolean {
    return this.#lastSubmit429 === 'inflight';
  }

  /**
   * An older deployment's in-flight limit answers a submission with 429 and `Retry-After` while
   * reads go through; a request-rate limit refuses reads too (or sends no Retry-After, as the
   * service today), or says so in X-RateLimit-*.
   */
  #isInflightLimit(r: PacedResponse, now: number): boolean {
    return (
      r.method === 'POST' &&
      r.headers['retry-after'] !== undefined &&
      r.headers['x-ratelimit-remaining'] === undefined &&
      now - this.#traffic.lastRead429At > 5000
    );
  }

  retryDelayAfter429(): number {
    return 200;
  }

  /**
   * Retries of resets, lost answers and 5xx back off exponentially from a quarter of a second
   * (0.25 s, 0.5 s, 1 s, … plus jitter, at most 32 s): the budget already spaces every request,
   * and a whole second's wait per fault would leave the service's workers idle. Until the service
   * has answered once (it may be down or unreachable), the usual 1 s, 2 s, 4 s… apply.
   */
  retryDelay(attempt: number): number | undefined {
    if (!this.#traffic.answered) return undefined;
    return Math.min(32_000, 250 * 2 ** Math.max(0, Math.min(attempt - 1, 10)) + Math.floor(Math.random() * 250));
  }

  afterAttempt(r: PacedResponse): void {
    const now = this.#clock.now();
    this.#traffic.answer(now, r.method === 'GET', r.status === 429);
    if (r.status !== 429) {
      if (r.status >= 200 && r.status < 300) this.#consecutive429 = 0;
      this.#rate.answered(now, r.headers);
      return;
    }
    const inflight = this.#isInflightLimit(r, now);
    if (r.method === 'POST') this.#lastSubmit429 = inflight ? 'inflight' : 'rate';
    if (inflight) return;
    this.#consecutive429++;
    const retryAfter = parseRetryAfter(r.headers['retry-after'], now);
    if (retryAfter !== undefined) this.#pausedUntil = Math.max(this.#pausedUntil, now + Math.min(retryAfter, 32_000));
    // Without a Retry-After, a first 429 holds everyone a tenth of a second (the answers to
    // what is already on its way tell whether it was a blip or a limit; more sent meanwhile
    // would only be refused too); 429s in a row mean the limit's window has not ended yet:
    // wait longer each time (50 ms, 100 ms, … 1 s).
    else this.#pausedUntil = Math.max(this.#pausedUntil, now + (this.#consecutive429 === 1 ? 100 : Math.min(1000, 50 * (this.#consecutive429 - 1))));
    if (this.#rate.limited(now, r.ticket)) {
      this.#debug?.(`request budget: 429, rate now ${this.#rate.found.toFixed(1)}/s${retryAfter !== undefined ? `, pausing ${retryAfter} ms` : ''}`);
    }
    // The next request waits one slot of the new rate (or the Retry-After).
    this.#refill(now);
    this.#tokens = Math.min(this.#tokens, 0);
    if (this.#line.length > 0) this.#schedule();
  }
}
