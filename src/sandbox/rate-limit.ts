/**
 * The service's request-rate limit, per API key: a token bucket holding one second of requests
 * (`perSecond` of them) that refills continuously. A request beyond it is answered `429
 * RATE_LIMITED` with no `Retry-After` or `X-RateLimit-*` headers, as the service's rate-limit page
 * says it does today; refused requests do not use up the budget.
 */
export class RequestRateLimit {
  readonly perSecond: number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #now: () => number;

  constructor(perSecond: number, now: () => number = Date.now) {
    this.perSecond = perSecond;
    this.#now = now;
  }

  /** True when the request may go ahead (and counts it). */
  take(key: string): boolean {
    const now = this.#now();
    const bucket = this.#buckets.get(key) ?? { tokens: this.perSecond, at: now };
    bucket.tokens = Math.min(this.perSecond, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
    bucket.at = now;
    this.#buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
