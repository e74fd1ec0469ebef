/**
 * A tiny work queue: at most `concurrency` jobs run at once, the rest wait in order. Judging is
 * CPU and memory heavy (a decoded image), so the sandbox judges a couple at a time however many
 * evaluations are in flight.
 */
export class WorkQueue {
  readonly #concurrency: number;
  readonly #waiting: Array<() => Promise<void>> = [];
  readonly #running = new Set<Promise<void>>();
  #closed = false;

  constructor(concurrency: number) {
    this.#concurrency = Math.max(1, Math.floor(concurrency));
  }

  /** Queues a job; its errors are the job's own business (they are swallowed here). */
  push(job: () => Promise<void>): void {
    if (this.#closed) return;
    this.#waiting.push(job);
    this.#pump();
  }

  /** Drops waiting jobs and resolves once the running ones have ended. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#waiting.length = 0;
    await Promise.allSettled([...this.#running]);
  }

  #pump(): void {
    while (!this.#closed && this.#running.size < this.#concurrency && this.#waiting.length > 0) {
      const job = this.#waiting.shift()!;
      const run: Promise<void> = job()
        .catch(() => undefined)
        .finally(() => {
          this.#running.delete(run);
          this.#pump();
        });
      this.#running.add(run);
    }
  }
}
