/** Server clock − our clock, from the `created_at` of the first submissions (their median). */
export class ServerClock {
  #offsets: number[] = [];

  /** A record created at `created` (server clock, NaN when unknown) was accepted at `now`. */
  accepted(created: number, now: number): void {
    if (Number.isFinite(created) && this.#offsets.length < 16) this.#offsets.push(created - now);
  }

  get offset(): number | undefined {
    if (!this.#offsets.length) return undefined;
    const sorted = [...this.#offsets].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
  }
}
