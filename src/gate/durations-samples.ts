/** The durations evaluations took on a worker, the newest few dozen, and their quantiles. */

const SAMPLES = 64;

export class DurationSamples {
  /** Newest last. */
  #durations: number[] = [];
  #sorted: number[] = [];

  add(ms: number): void {
    this.#durations.push(ms);
    if (this.#durations.length > SAMPLES) this.#durations.shift();
    this.#sorted = [...this.#durations].sort((a, b) => a - b);
  }

  /** Some evaluation has finished: the quantiles are known. */
  get known(): boolean {
    return this.#sorted.length > 0;
  }

  quantile(q: number): number | undefined {
    const s = this.#sorted;
    if (!s.length) return undefined;
    return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))];
  }

  get longest(): number | undefined {
    return this.#sorted[this.#sorted.length - 1];
  }

  /** NaN while none is known. */
  get mean(): number {
    return this.#durations.reduce((a, b) => a + b, 0) / this.#durations.length;
  }
}
