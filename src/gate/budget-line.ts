/**
 * The callers a request budget keeps waiting for a slot, in the order they get one. Reads (polls)
 * wait ahead of writes (submissions): a poll is only sent when a completion is due, and noticing
 * it frees a slot for the next submission. When both wait they take turns, so polls (however many
 * are due) never starve the submissions that keep a queueing service fed. Each kind waits in its
 * own first-come, first-served queue (util/wait-queue), whose callers may give up on abort.
 */
import { WaitQueue } from '../util/wait-queue.js';

export class WaitingLine {
  readonly #reads = new WaitQueue();
  readonly #writes = new WaitQueue();
  /** Whether the last request let through was a read (so a waiting write goes next). */
  #lastWasRead = false;

  get length(): number {
    return this.#reads.length + this.#writes.length;
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
    return (read ? this.#reads : this.#writes).wait(signal);
  }

  /** Lets the next caller go: the first read, or the first write when none waits or the last to go was a read. */
  grantNext(): void {
    const write = this.#writes.length > 0 && (this.#lastWasRead || this.#reads.length === 0);
    if (!(write ? this.#writes : this.#reads).wakeNext()) return;
    this.#lastWasRead = !write;
  }
}
