import { WaitQueue } from '../util/wait-queue.js';

/**
 * How many bytes of request bodies built on demand (`RequestOptions.lazyBody`) may be in memory
 * at once. A gate of large photographs sent inline would otherwise hold a body per submission the
 * request budget lets go at once (up to 16 at 32 requests/s), each 1.33× its file. Waiters are
 * served in the order they asked, so submissions keep their order. A body larger than the whole
 * allowance still goes, alone.
 */
export class BodyAllowance {
  #free: number;
  /** Each waiter's item is its size in bytes; one that gives up may let those behind it go. */
  readonly #waiting = new WaitQueue<number>({ onAbort: () => this.#serve() });

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
    return this.#waiting.wait(signal, bytes).then(() => this.#releaser(bytes));
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
    for (let next = this.#waiting.head; next !== undefined && next <= this.#free; next = this.#waiting.head) {
      this.#free -= next;
      this.#waiting.wakeNext();
    }
  }
}
