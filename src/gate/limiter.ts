/**
 * Adaptive concurrency for submissions (AIMD, like TCP): the server's in-flight limit is not
 * published, so the gate learns it. A 429 drops the limit to what the server had accepted at
 * that moment; each full window of successful submissions raises it by one, up to the cap, but
 * not past the level that last drew a 429 (each such probe costs a slot a Retry-After's wait).
 */
export class AdaptiveLimiter {
  #limit: number;
  readonly cap: number;
  #active = 0;
  #successesInWindow = 0;
  /** The limit at which the server last said 429: probing above it again only earns another 429. */
  #ceiling = Infinity;
  #waiters: Array<() => void> = [];

  constructor(opts: { initial: number; cap: number }) {
    this.cap = Math.max(1, opts.cap);
    this.#limit = Math.max(1, Math.min(opts.initial, this.cap));
  }

  get limit(): number {
    return this.#limit;
  }

  get active(): number {
    return this.#active;
  }

  /** Resolves when a slot is free; the caller must call release() exactly once. */
  async acquire(signal?: AbortSignal): Promise<void> {
    while (this.#active >= this.#limit) {
      signal?.throwIfAborted();
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          this.#waiters = this.#waiters.filter((w) => w !== wake);
          reject(signal!.reason);
        };
        const wake = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        this.#waiters.push(wake);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
    this.#active++;
  }

  release(): void {
    this.#active = Math.max(0, this.#active - 1);
    this.#wakeFree();
  }

  /** The server said "too many in flight" while `accepted` of ours were in flight. */
  onRateLimited(accepted: number): void {
    this.#limit = Math.max(1, Math.min(this.#limit, accepted));
    this.#ceiling = this.#limit;
    this.#successesInWindow = 0;
  }

  onSuccess(): void {
    this.#successesInWindow++;
    if (this.#successesInWindow >= this.#limit && this.#limit < Math.min(this.cap, this.#ceiling)) {
      this.#limit++;
      this.#successesInWindow = 0;
      this.#wakeFree();
    }
  }

  /** Wakes as many waiters as there are free slots, oldest first (not all: 1,000 waiting tasks). */
  #wakeFree(): void {
    const free = Math.max(0, this.#limit - this.#active);
    for (const wake of this.#waiters.splice(0, free)) wake();
  }
}
