/**
 * The request rate of a request budget, found like a congestion controller's window, because the
 * service limits each organization's request rate without saying how fast:
 *
 * - A 429 cuts the rate at once (multiplicatively, at most once per second, so the 429s of
 *   requests already on the wire do not collapse it), by how many recent answers were 429s.
 * - While calls succeed and callers are waiting for slots, the rate grows: quickly far below the
 *   rate that last drew a 429, slowly near it, and quickly again past it as time goes by. That
 *   remembered rate decays, so no 429, however early, caps the rest of a run.
 * - With `X-RateLimit-Remaining` and `X-RateLimit-Reset`, the remaining calls are spread over
 *   what is left of the window.
 */
import type { Clock } from '../clock.js';
import type { Traffic } from './budget-traffic.js';

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
/** The first cut goes to this share of the estimated limit. */
const FIRST_CUT = 0.9;
/** The estimate holds for a limit met while starting (later, our average rate says little). */
const ESTIMATE_WITHIN_MS = 5000;

export interface RateOptions {
  /** Requests per second to start with. */
  initialRate: number;
  minRate: number;
  maxRate: number;
}

export class RateControl {
  readonly #clock: Clock;
  readonly #traffic: Traffic;
  readonly #min: number;
  readonly #max: number;
  readonly #initial: number;
  /** When the budget began (the window of its first sending rate). */
  readonly #firstAt: number;
  #rate: number;
  /** Rate at the last 429, and when. */
  #ceiling = Infinity;
  #ceilingAt = 0;
  #lastDecreaseAt = -Infinity;
  #lastGrowthAt: number;
  /** From X-RateLimit-*: at most this rate until `until`. */
  #headerCap: { rate: number; until: number } | undefined;
  /** A slow-down on a first 429, undone if no other follows soon (and only tried once). */
  #tentative: { rate: number; until: number } | undefined;
  #tentativeTried = false;

  constructor(clock: Clock, traffic: Traffic, opts: RateOptions, start: number) {
    this.#clock = clock;
    this.#traffic = traffic;
    this.#min = opts.minRate;
    this.#max = opts.maxRate;
    this.#rate = Math.min(this.#max, Math.max(this.#min, opts.initialRate));
    this.#initial = this.#rate;
    this.#lastGrowthAt = start;
    this.#firstAt = start;
  }

  /** Requests per second allowed now. */
  get rate(): number {
    const now = this.#clock.now();
    const cap = this.#headerCap && this.#headerCap.until > now ? this.#headerCap.rate : Infinity;
    return Math.max(this.#min, Math.min(this.#rate, cap));
  }

  /** The rate found so far, before any X-RateLimit-* cap (for the debug line). */
  get found(): number {
    return this.#rate;
  }

  /**
   * A 429 for the request rate (not an in-flight limit). The cut follows how many recent answers
   * were 429s: a lone one among many successes (a blip) barely slows us; a limit we keep
   * exceeding halves the rate. A refusal of the first few requests, before anything was sent at
   * pace, says nothing of a rate: the budget's pause is the back-off, the rate stays. Returns
   * whether the rate was cut.
   */
  limited(now: number, ticket: number | undefined): boolean {
    const traffic = this.#traffic;
    const share = traffic.recent429Share(now);
    const sentLastSecond = traffic.sentAfter(now - 1000);
    const limitedLately = traffic.limitedLately;
    // Requests that went before the refused one and were not refused: only when we pushed that
    // many through did our own rate meet the limit (five refusals of the very first
    // submissions, before anything went at pace, say nothing of a rate).
    const through = (ticket ?? traffic.sent - 1) - (traffic.limited - 1);
    const firstSentAt = traffic.firstSentAt;
    const starting = firstSentAt !== undefined && now - firstSentAt < ESTIMATE_WITHIN_MS;
    if (share >= CUT_SHARE && limitedLately >= 2 && sentLastSecond >= 8 && through >= 8 && now - this.#lastDecreaseAt >= 1000) {
      if (this.#lastDecreaseAt === -Infinity && firstSentAt !== undefined && starting) {
        // The first limit met. A limit of r a second that lets a second's worth through at once
        // (a token bucket, a window of a second) has let about r × (t + 1) through in t seconds:
        // that tells the limit where the rate we sent at would not (the burst inflates it).
        const estimate = through / ((now - firstSentAt) / 1000 + 1);
        this.#ceiling = Math.max(this.#min, Math.min(this.#rate, estimate));
        this.#rate = Math.max(this.#min, Math.min(this.#rate, estimate * FIRST_CUT));
      } else {
        // What we really sent over the last second (the allowed rate may not have been used)
        // decides the ceiling; the new rate is what of it went through, a little less.
        const window = Math.max(300, Math.min(1000, now - this.#firstAt));
        const sentRate = (traffic.sentAfter(now - window) * 1000) / window;
        this.#rate = Math.min(this.#rate, Math.max(this.#min, sentRate));
        this.#ceiling = this.#rate;
        const factor = Math.max(DECREASE, Math.min(0.9, (1 - share) * 0.9));
        this.#rate = Math.max(this.#min, this.#rate * factor);
      }
      this.#ceilingAt = now;
      this.#lastDecreaseAt = now;
      this.#lastGrowthAt = now;
      this.#tentative = undefined;
      return true;
    }
    if (!this.#tentativeTried && this.#lastDecreaseAt === -Infinity && through >= 8 && sentLastSecond >= 8 && firstSentAt !== undefined && starting) {
      // A first 429 early in the run: go at the limit it implies until the answers tell a
      // limit (another 429 soon: the cut above makes it stick) from a blip (a second without
      // one: the rate comes back). Meanwhile more at the old pace would only be refused too.
      this.#tentativeTried = true;
      const estimate = through / ((now - firstSentAt) / 1000 + 1);
      if (estimate * FIRST_CUT < this.#rate) {
        this.#tentative = { rate: this.#rate, until: now + 1000 };
        this.#rate = Math.max(this.#min, estimate * FIRST_CUT);
      }
    }
    return false;
  }

  /** An answer other than a 429: a tentative slow-down a second old is undone; X-RateLimit-* is read. */
  answered(now: number, headers: Record<string, string>): void {
    if (this.#tentative && now >= this.#tentative.until) {
      this.#rate = Math.max(this.#rate, this.#tentative.rate);
      this.#tentative = undefined;
    }
    this.#readRateHeaders(headers, now);
  }

  /** Rate growth while callers wait for slots (the last waited at `demandAt`) and no 429 came for a while. */
  grow(now: number, demandAt: number): void {
    const dt = (now - this.#lastGrowthAt) / 1000;
    if (dt < 0.05) return;
    this.#lastGrowthAt = now;
    if (now - demandAt > 1000 || now - this.#lastDecreaseAt < HOLD_MS) return;
    const since = (now - this.#ceilingAt) / 1000;
    // Up to 85% of the rate that failed at once; that cap then rises with the square of the time
    // without a 429 (a plateau first, then probing ever faster).
    const cap = this.#ceiling * (PLATEAU + CEILING_RISE_PER_S2 * since * since);
    if (this.#rate >= cap) return;
    // Growth is for rates we use: never more than twice what went out in the last second.
    const used = Math.max(this.#initial, 2 * this.#traffic.sentAfter(now - 1000));
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
