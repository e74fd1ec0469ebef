/**
 * Callers waiting their turn, first come first served, each free to give up when its signal
 * aborts. What a turn is stays with the owner: it decides when to wake the oldest waiter (a slot
 * came free, bytes were given back, the service answered) and what each waiter's item means (an
 * entry's index, a body's size). One home for the hand-written queues of the gate's limiter, its
 * first contact, --max-failures window and request budget, and the client's body allowance.
 */
export class WaitQueue<T = undefined> {
  readonly #waiting: Array<{ item: T; wake: () => void }> = [];
  readonly #onAbort: (() => void) | undefined;

  /** `onAbort` runs after an aborted waiter has left the queue, before its wait rejects. */
  constructor(opts: { onAbort?: () => void } = {}) {
    this.#onAbort = opts.onAbort;
  }

  /** Waiters still queued. */
  get length(): number {
    return this.#waiting.length;
  }

  /** The oldest waiter's item; undefined when no one waits. */
  get head(): T | undefined {
    return this.#waiting[0]?.item;
  }

  /**
   * Joins the queue. Resolves when woken; rejects with the signal's reason when it aborts first
   * (already aborted: at once, without queueing), and then no longer holds a place.
   */
  wait(signal?: AbortSignal, item?: T): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        item: item as T,
        wake: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        const at = this.#waiting.indexOf(waiter);
        if (at !== -1) this.#waiting.splice(at, 1);
        this.#onAbort?.();
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(waiter);
    });
  }

  /** Wakes the oldest waiter; false when no one waits. */
  wakeNext(): boolean {
    const next = this.#waiting.shift();
    next?.wake();
    return next !== undefined;
  }

  /** Wakes up to `count` of the oldest waiters (not all: a gate may have a thousand waiting). */
  wake(count: number): void {
    for (const waiter of this.#waiting.splice(0, Math.max(0, count))) waiter.wake();
  }

  /** Wakes every waiter, oldest first. */
  wakeAll(): void {
    for (const waiter of this.#waiting.splice(0)) waiter.wake();
  }
}
