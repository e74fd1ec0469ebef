/** The fake's faults: queued by tests with `fault()`, or drawn at random by `chaos`. */
import type { ChaosOptions, FakeFault, LoggedRequest } from './types.js';
import { matchPath, seededRandom } from './util.js';

export class FaultQueue {
  #faults: Array<FakeFault & { remaining: number; fired?: boolean }> = [];
  readonly #random: () => number;

  /** `seed` makes the random faults of `chaos` replayable. */
  constructor(seed: number) {
    this.#random = seededRandom(seed);
  }

  add(f: FakeFault): void {
    this.#faults.push({ ...f, remaining: f.times ?? 1 });
  }

  /** Faults not yet used up. */
  get pending(): number {
    return this.#faults.length;
  }

  /** Faults that no request has matched yet: a test that queued them expected them to fire. */
  unused(): FakeFault[] {
    return this.#faults.filter((f) => !f.fired).map(({ remaining: _, fired: __, ...f }) => f);
  }

  /** The first queued fault that matches the request, used up once per match. */
  take(req: LoggedRequest): FakeFault | undefined {
    const index = this.#faults.findIndex(
      (f) => (f.method === undefined || f.method.toUpperCase() === req.method) && (f.path === undefined || matchPath(f.path, req.path)),
    );
    if (index < 0) return undefined;
    const fault = this.#faults[index];
    fault.fired = true;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.#faults.splice(index, 1);
    return fault;
  }

  /** A random fault for a share of /v1 requests (options.chaos), or none. */
  chaos(req: LoggedRequest, chaos: ChaosOptions | undefined): FakeFault | undefined {
    if (!chaos || !req.path.startsWith('/v1/') || req.path === '/v1/health') return undefined;
    if (this.#random() >= chaos.rate) return undefined;
    const kinds: Array<[string, FakeFault]> = [
      ['reset', { reset: true }],
      ['lost-response', { reset: true, afterHandling: true }],
      ['500', { status: 500 }],
      ['503', { status: 503 }],
      ['429', { status: 429 }],
      ['slow', { delayMs: chaos.slowMs ?? 1500 }],
    ];
    const [name, fault] = kinds[Math.floor(this.#random() * kinds.length)];
    req.chaos = name;
    return fault;
  }
}
