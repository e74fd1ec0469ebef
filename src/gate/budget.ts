/**
 * One request budget for everything a gate sends (submissions, polls, uploads), paced like a
 * congestion controller, because the service limits each organization's request rate without
 * saying how fast (its 429 `RATE_LIMITED` may carry no `Retry-After` or `X-RateLimit-*`).
 *
 * - Requests are spaced at `rate` per second: a token bucket (a short burst allowed) serving
 *   callers first come, first served, at whatever the rate is when their turn comes.
 * - A 429 cuts the rate at once (multiplicatively, at most once per second, so the 429s of
 *   requests already on the wire do not collapse it) and pauses every caller until the
 *   `Retry-After` when one is sent, else for one slot of the new rate.
 * - While calls succeed and callers are waiting for slots, the rate grows: quickly far below the
 *   rate that last drew a 429, slowly near it, and quickly again past it as time goes by. That
 *   remembered rate decays, so no 429, however early, caps the rest of a run.
 * - With `X-RateLimit-Remaining` and `X-RateLimit-Reset`, the remaining calls are spread over
 *   what is left of the window.
 */
import type { Clock } from '../clock.js';
import type { Pacer, PacedResponse } from '../api/client.js';
import { parseRetryAfter } from '../api/retry.js';

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

/** Growth per second of steady demand, as a share of the rate. */
const FAST_GROWTH = 1;
/** After a cut, the rate grows back at once to this share of the rate that failed. */
const PLATEAU = 0.85;
/** The deepest cut of the rate on a 429. */
const DECREASE = 0.5;
/** No growth this long after a cut: the cut must show its effect first. */
const HOLD_MS = 1000;
/**
 * The cap rises with the square of the time since the last 429 (0.95 of the failed rate after 5
 * s, 1.25 after 10 s, 2.45 after 20 s), as TCP CUBIC's window does: a plateau near the rate that failed, then probing.
 */
const CEILING_RISE_PER_S2 = 0.004;
/** A 429 cuts the rate when at least this share of the last two seconds' answers were 429s. */
const CUT_SHARE = 0.1;
/**
 * Up to half a second of the rate may go at once (at the start, or after a quiet moment), at
 * least 2 and at most 8 requests: a round of completions and the submissions that replace them
 * go out together instead of trickling, and a limit that allows our rate allows such a burst.
 */
const BURST_S = 0.5;
const MIN_BURST = 2;
const MAX_BURST = 8;
/** The first cut goes to this share of the estimated limit. */
const FIRST_CUT = 0.9;
/** The estimate holds for a limit met while starting (later, our average rate says little). */
const ESTIMATE_WITHIN_MS = 5000;

export class RequestBudget implements Pacer {
  readonly #clock: Clock;
  readonly #min: number;
  readonly #max: number;
  readonly #debug?: (line: string) => void;
  #rate: number;
  #tokens: number;
  #refilledAt: number;
  #queue: Array<{ read: boolean; grant: () => void }> = [];
  #lastGrantWasRead = false;
  /** Cancels the pending wake-up of the queue. */
  #timer: AbortController | undefined;
  #pausedUntil = 0;
  /** Rate at the last 429, and when. */
  #ceiling = Infinity;
  #ceilingAt = 0;
  #lastDecreaseAt = -Infinity;
  #lastGrowthAt: number;
  /** When a caller last had to wait for a slot: growth only makes sense under demand. */
  #lastWaitAt = -Infinity;
  /** From X-RateLimit-*: at most this rate until `until`. */
  #headerCap: { rate: number; until: number } | undefined;
  #sent = 0;
  #limited = 0;
  /** 429s in a row without a success in between (a fixed window refuses until it ends). */
  #consecutive429 = 0;
  /** Answers of the last two seconds: was each a 429? */
  #answers: Array<{ at: number; limited: boolean }> = [];
  /** Send times within the last second. */
  #recent: number[] = [];
  readonly #firstAt: number;
  /** When the first request went out (the limit's window began with it). */
  #firstSentAt: number | undefined;
  readonly #initial: number;
  /** The service has answered at least once. */
  #answered = false;
  #lastRead429At = -Infinity;
  /** A slow-down on a first 429, undone if no other follows soon (and only tried once). */
  #tentative: { rate: number; until: number } | undefined;
  #tentativeTried = false;
  /** What the last 429 on a submission meant. */
  #lastSubmit429: 'inflight' | 'rate' | undefined;

  constructor(opts: BudgetOptions) {
    this.#clock = opts.clock;
    this.#min = opts.minRate ?? 0.5;
    this.#max = opts.maxRate ?? 200;
    this.#rate = Math.min(this.#max, Math.max(this.#min, opts.initialRate ?? 32));
    this.#initial = this.#rate;
    this.#debug = opts.debug;
    this.#lastGrowthAt = this.#clock.now();
    this.#refilledAt = this.#lastGrowthAt;
    this.#firstAt = this.#lastGrowthAt;
    this.#tokens = this.#burst();
  }

  /** How many requests may go at once. */
  #burst(): number {
    return Math.max(MIN_BURST, Math.min(MAX_BURST, this.rate * BURST_S));
  }

  /** Requests per second allowed now. */
  get rate(): number {
    const now = this.#clock.now();
    const cap = this.#headerCap && this.#headerCap.until > now ? this.#headerCap.rate : Infinity;
    return Math.max(this.#min, Math.min(this.#rate, cap));
  }

  get stats(): { sent: number; rateLimited: number; rate: number } {
    return { sent: this.#sent, rateLimited: this.#limited, rate: this.rate };
  }

  /**
   * Waits for this request's turn. Reads (polls) go before writes (submissions): a poll is only
   * sent when a completion is due, and noticing it frees a slot for the next submission. When
   * both wait, they take turns (see #next).
   */
  async beforeAttempt(signal?: AbortSignal, method?: string): Promise<number> {
    signal?.throwIfAborted();
    const read = method === 'GET';
    if (this.#queue.length === 0 && this.#takeToken()) {
      this.#lastGrantWasRead = read;
      return this.#record();
    }
    this.#lastWaitAt = this.#clock.now();
    await new Promise<void>((resolve, reject) => {
      const entry = {
        read,
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        const i = this.#queue.indexOf(entry);
        if (i >= 0) this.#queue.splice(i, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      // Behind the reads already waiting, ahead of every write.
      if (read) {
        const firstWrite = this.#queue.findIndex((e) => !e.read);
        this.#queue.splice(firstWrite < 0 ? this.#queue.length : firstWrite, 0, entry);
      } else this.#queue.push(entry);
      this.#schedule();
    });
    return this.#record();
  }

  /** Notes a request going out; returns how many went before it (its ticket). */
  #record(): number {
    const ticket = this.#sent++;
    const at = this.#clock.now();
    this.#firstSentAt ??= at;
    this.#recent.push(at);
    if (this.#recent.length > 512 || this.#recent[0] < at - 1000) this.#recent = this.#recent.filter((t) => t > at - 1000);
    return ticket;
  }

  #refill(now: number): void {
    this.#grow(now);
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
  /**
   * The next waiter: reads first, but when reads and writes both wait they take turns, so polls
   * (however many are due) never starve the submissions that keep a queueing service fed.
   */
  #next(): { read: boolean; grant: () => void } {
    const firstWrite = this.#lastGrantWasRead ? this.#queue.findIndex((e) => !e.read) : -1;
    const [entry] = this.#queue.splice(firstWrite > 0 ? firstWrite : 0, 1);
    this.#lastGrantWasRead = entry.read;
    return entry;
  }

  #pump = (): void => {
    this.#timer = undefined;
    while (this.#queue.length > 0 && this.#takeToken()) this.#next().grant();
    if (this.#queue.length > 0) {
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
      now - this.#lastRead429At > 5000
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
    if (!this.#answered) return undefined;
    return Math.min(32_000, 250 * 2 ** Math.max(0, Math.min(attempt - 1, 10)) + Math.floor(Math.random() * 250));
  }

  /** Share of the answers of the last two seconds that were 429 (1 when there were few answers). */
  #recent429Share(now: number): number {
    this.#answers = this.#answers.filter((a) => a.at > now - 2000);
    if (this.#answers.length < 10) return 1;
    return this.#answers.filter((a) => a.limited).length / this.#answers.length;
  }

  afterAttempt(r: PacedResponse): void {
    const now = this.#clock.now();
    this.#answered = true;
    this.#answers.push({ at: now, limited: r.status === 429 });
    if (this.#answers.length > 1024) this.#answers = this.#answers.filter((a) => a.at > now - 2000);
    if (r.method === 'GET') {
      if (r.status === 429) this.#lastRead429At = now;
    }
    if (r.status === 429) {
      this.#limited++;
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
      // The cut follows how many recent answers were 429s: a lone one among many successes (a
      // blip) barely slows us; a limit we keep exceeding halves the rate.
      // A refusal of the first few requests, before anything was sent at pace, says nothing of a
      // rate: the pause above is the back-off, the rate stays.
      const share = this.#recent429Share(now);
      const sentLastSecond = this.#recent.filter((t) => t > now - 1000).length;
      const limitedLately = this.#answers.filter((a) => a.limited).length;
      // Requests that went before the refused one and were not refused: only when we pushed that
      // many through did our own rate meet the limit (five refusals of the very first
      // submissions, before anything went at pace, say nothing of a rate).
      const through = (r.ticket ?? this.#sent - 1) - (this.#limited - 1);
      if (share >= CUT_SHARE && limitedLately >= 2 && sentLastSecond >= 8 && through >= 8 && now - this.#lastDecreaseAt >= 1000) {
        if (this.#lastDecreaseAt === -Infinity && this.#firstSentAt !== undefined && now - this.#firstSentAt < ESTIMATE_WITHIN_MS) {
          // The first limit met. A limit of r a second that lets a second's worth through at once
          // (a token bucket, a window of a second) has let about r × (t + 1) through in t seconds:
          // that tells the limit where the rate we sent at would not (the burst inflates it).
          const estimate = through / ((now - this.#firstSentAt) / 1000 + 1);
          this.#ceiling = Math.max(this.#min, Math.min(this.#rate, estimate));
          this.#rate = Math.max(this.#min, Math.min(this.#rate, estimate * FIRST_CUT));
        } else {
          // What we really sent over the last second (the allowed rate may not have been used)
          // decides the ceiling; the new rate is what of it went through, a little less.
          const window = Math.max(300, Math.min(1000, now - this.#firstAt));
          const sentRate = (this.#recent.filter((t) => t > now - window).length * 1000) / window;
          this.#rate = Math.min(this.#rate, Math.max(this.#min, sentRate));
          this.#ceiling = this.#rate;
          const factor = Math.max(DECREASE, Math.min(0.9, (1 - share) * 0.9));
          this.#rate = Math.max(this.#min, this.#rate * factor);
        }
        this.#ceilingAt = now;
        this.#lastDecreaseAt = now;
        this.#lastGrowthAt = now;
        this.#tentative = undefined;
        this.#debug?.(`request budget: 429, rate now ${this.#rate.toFixed(1)}/s${retryAfter !== undefined ? `, pausing ${retryAfter} ms` : ''}`);
      } else if (!this.#tentativeTried && this.#lastDecreaseAt === -Infinity && through >= 8 && sentLastSecond >= 8 && this.#firstSentAt !== undefined && now - this.#firstSentAt < ESTIMATE_WITHIN_MS) {
        // A first 429 early in the run: go at the limit it implies until the answers tell a
        // limit (another 429 soon: the cut above makes it stick) from a blip (a second without
        // one: the rate comes back). Meanwhile more at the old pace would only be refused too.
        this.#tentativeTried = true;
        const estimate = through / ((now - this.#firstSentAt) / 1000 + 1);
        if (estimate * FIRST_CUT < this.#rate) {
          this.#tentative = { rate: this.#rate, until: now + 1000 };
          this.#rate = Math.max(this.#min, estimate * FIRST_CUT);
        }
      }
      // The next request waits one slot of the new rate (or the Retry-After).
      this.#refill(now);
      this.#tokens = Math.min(this.#tokens, 0);
      if (this.#queue.length > 0) this.#schedule();
      return;
    }
    if (r.status >= 200 && r.status < 300) this.#consecutive429 = 0;
    if (this.#tentative && now >= this.#tentative.until) {
      this.#rate = Math.max(this.#rate, this.#tentative.rate);
      this.#tentative = undefined;
    }
    this.#readRateHeaders(r.headers, now);
  }

  /** Rate growth while callers wait for slots and no 429 came for a while. */
  #grow(now: number): void {
    const dt = (now - this.#lastGrowthAt) / 1000;
    if (dt < 0.05) return;
    this.#lastGrowthAt = now;
    if (now - this.#lastWaitAt > 1000 || now - this.#lastDecreaseAt < HOLD_MS) return;
    const since = (now - this.#ceilingAt) / 1000;
    // Up to 85% of the rate that failed at once; that cap then rises with the square of the time
    // without a 429 (a plateau first, then probing ever faster).
    const cap = this.#ceiling * (PLATEAU + CEILING_RISE_PER_S2 * since * since);
    if (this.#rate >= cap) return;
    // Growth is for rates we use: never more than twice what went out in the last second.
    const used = Math.max(this.#initial, 2 * this.#recent.filter((t) => t > now - 1000).length);
    if (this.#rate >= used) return;
    this.#rate = Math.min(this.#max, cap, used, this.#rate * (1 + FAST_GROWTH * Math.min(dt, 1)));
  }

  #readRateHeaders(headers: Record<string, string>, now: number): void {
    const remaining = Number(headers['x-ratelimit-remaining']);
    const limit = Number(headers['x-ratelimit-limit']);
    const reset = Number(headers['x-ratelimit-reset']);
    if (!Number.isFinite(remaining) || !Number.isFinite(limit) || limit <= 0 || headers['x-ratelimit-remaining'] === undefined) return;
    if (remaining > limit / 2) {
      this.#headerCap = undefined;
      return;
    }
    // Reset is a Unix time in seconds (or, from some servers, seconds from now).
    let untilMs = Number.isFinite(reset) ? (reset > 1e9 ? reset * 1000 : now + reset * 1000) : now + 1000;
    if (untilMs <= now) untilMs = now + 1000;
    const rate = Math.max(this.#min, remaining / ((untilMs - now) / 1000));
    this.#headerCap = { rate, until: untilMs };
  }
}
