/**
 * How many bytes of request bodies built on demand (`RequestOptions.lazyBody`) may be in memory
 * at once. A gate of large photographs sent inline would otherwise hold a body per submission the
 * request budget lets go at once (up to 16 at 32 requests/s), each 1.33× its file. Waiters are
 * served in the order they asked, so submissions keep their order. A body larger than the whole
 * allowance still goes, alone.
 */
export class BodyAllowance {
  #free: number;
  readonly #waiting: Array<{ bytes: number; grant: () => void }> = [];

  constructor(readonly capacity: number) {
    this.#free = capacity;
  }

  /** Resolves with the function that gives the bytes back (call it once the body is no longer needed). */
  acquire(size: number, signal?: AbortSignal): Promise<() => void> {
    const bytes = Math.max(0, Math.min(size, this.capacity));
    signal?.throwIfAborted();
    if (this.#waiting.length === 0 && bytes <= this.#free) {
      this.#free -= bytes;
      return Promise.resolve(this.#releaser(bytes));
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        bytes,
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.#releaser(bytes));
        },
      };
      const onAbort = () => {
        const at = this.#waiting.indexOf(waiter);
        if (at !== -1) this.#waiting.splice(at, 1);
        // The one ahead leaving may let those behind it go.
        this.#serve();
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(waiter);
    });
  }

  /** Bytes not handed out (for tests). */
  get free(): number {
    return this.#free;
  }

  #releaser(bytes: number): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#free += bytes;
      this.#serve();
    };
  }

  #serve(): void {
    while (this.#waiting.length > 0 && this.#waiting[0]!.bytes <= this.#free) {
      const next = this.#waiting.shift()!;
      this.#free -= next.bytes;
      next.grant();
    }
  }
}
