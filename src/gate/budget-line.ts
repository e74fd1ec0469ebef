/**
 * The callers a request budget keeps waiting for a slot, in the order they get one. Reads (polls)
 * wait ahead of writes (submissions): a poll is only sent when a completion is due, and noticing
 * it frees a slot for the next submission. When both wait they take turns, so polls (however many
 * are due) never starve the submissions that keep a queueing service fed.
 */
interface Waiter {
  read: boolean;
  grant: () => void;
}

export class WaitingLine {
  #waiters: Waiter[] = [];
  /** Whether the last request let through was a read (so a waiting write goes next). */
  #lastWasRead = false;

  get length(): number {
    return this.#waiters.length;
  }

  /** A request went at once, without waiting in line: it still counts for taking turns. */
  passed(read: boolean): void {
    this.#lastWasRead = read;
  }

  /**
   * Joins the line (at once, before this returns): behind the reads already waiting and ahead of
   * every write for a read, at the end for a write. Resolves when `grantNext` picks this caller;
   * rejects with the signal's reason, leaving the line, if the signal aborts first.
   */
  wait(read: boolean, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        read,
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      if (read) {
        const firstWrite = this.#waiters.findIndex((w) => !w.read);
        this.#waiters.splice(firstWrite < 0 ? this.#waiters.length : firstWrite, 0, waiter);
      } else this.#waiters.push(waiter);
    });
  }

  /** Lets the next caller go: the first in line, or the first write when the last to go was a read. */
  grantNext(): void {
    const firstWrite = this.#lastWasRead ? this.#waiters.findIndex((w) => !w.read) : -1;
    const [waiter] = this.#waiters.splice(firstWrite > 0 ? firstWrite : 0, 1);
    if (!waiter) return;
    this.#lastWasRead = waiter.read;
    waiter.grant();
  }
}
