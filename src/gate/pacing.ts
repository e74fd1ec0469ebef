/**
 * When the gate looks at its evaluations: each one is polled when the completion model
 * (durations.ts) expects it done, through the poll loop `wait` shares (evaluations/poll.ts), and
 * every sleep wakes early when the model's estimates move.
 */
import type { RunflowClient } from '../api/client.js';
import { fetchEvaluation, type FetchedEvaluation } from '../api/evaluations.js';
import type { Evaluation } from '../api/types.js';
import type { Clock } from '../clock.js';
import { isTerminal, pollLoop } from '../evaluations/poll.js';
import type { CompletionModel, Tracked } from './durations.js';
import type { AdaptiveLimiter } from './limiter.js';

export interface PacingOptions {
  client: RunflowClient;
  clock: Clock;
  /** The run's signal: Ctrl-C, the deadline, or the service proving unreachable. */
  signal: AbortSignal;
  model: CompletionModel;
  /** Told how many in flight keep the service busy, as the model learns it. */
  limiter: AdaptiveLimiter;
  /** What polls ask to embed (judges, action… for the reports). */
  embed?: string | undefined;
  debug?: ((line: string) => void) | undefined;
  /** Every answer, whatever its status: the service is reachable. */
  onResponse: () => void;
  /** True when this error means the service cannot be reached (the run then stops). */
  unreachable: (err: unknown) => boolean;
}

export class Pacing {
  readonly #o: PacingOptions;
  readonly #source: { client(): Promise<RunflowClient> };

  constructor(opts: PacingOptions) {
    this.#o = opts;
    const client = Promise.resolve(opts.client);
    this.#source = { client: () => client };
  }

  /** GET one evaluation, with the embeds the run asks for. */
  fetch(id: string): Promise<FetchedEvaluation> {
    return fetchEvaluation(this.#source, id, this.#o.embed, this.#o.signal, this.#o.onResponse);
  }

  /** Sleeps until `at()` (recomputed whenever the model's estimates move). */
  async sleepUntil(at: () => number): Promise<void> {
    const { clock, model, signal } = this.#o;
    for (;;) {
      const ms = at() - clock.now();
      if (ms <= 0) return;
      const changed = model.changed;
      const ctl = new AbortController();
      const onAbort = () => ctl.abort(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      const sleeping = clock.sleep(ms, ctl.signal);
      sleeping.catch(() => undefined);
      try {
        await Promise.race([sleeping, changed]);
      } finally {
        signal.removeEventListener('abort', onAbort);
        ctl.abort();
      }
      signal.throwIfAborted();
    }
  }

  /**
   * Polls one evaluation until terminal (at once first when `immediate`); throws on abort, the
   * deadline or a non-transient error. `latest` holds the last record seen, for the caller's
   * result when it throws.
   */
  async pollUntilTerminal(id: string, tracked: Tracked, immediate: boolean, latest: { record?: Evaluation }): Promise<Evaluation> {
    const { clock, model, limiter } = this.#o;
    try {
      const outcome = await pollLoop({
        fetch: () => this.fetch(id),
        immediate,
        signal: this.#o.signal,
        pause: async () => {
          await this.sleepUntil(() => model.nextPollAt(tracked));
          return true;
        },
        done: ({ record }) => {
          latest.record = record;
          const terminal = isTerminal(record);
          model.observe(tracked, record, terminal);
          const enough = model.enoughInFlight();
          if (enough !== undefined) limiter.setEnough(enough);
          return terminal;
        },
        fatal: this.#o.unreachable,
        onTransientError: (err) => {
          tracked.lastPollAt = clock.now();
          tracked.polls++;
          this.#o.debug?.(`poll of ${id} failed, will retry: ${(err as Error).message}`);
        },
      });
      // `pause` never ends the loop: the run's deadline aborts it instead.
      return outcome.latest!.record;
    } finally {
      model.untrack(tracked);
    }
  }

  /**
   * A replayed POST (a rerun) can answer with an evaluation that already finished, but a POST
   * never carries the embedded detail; the reports that asked for it (judges, action…) need it.
   */
  async withDetail(record: Evaluation): Promise<Evaluation> {
    const wanted = (this.#o.embed ?? '').split(',').map((e) => e.trim()).filter((e) => e && e !== 'none');
    if (!wanted.some((name) => record[name] === undefined)) return record;
    try {
      return (await this.fetch(record.id as string)).record;
    } catch (err) {
      if (this.#o.signal.aborted) throw err;
      this.#o.debug?.(`could not fetch the detail of ${record.id}: ${(err as Error).message}; reporting without it`);
      return record;
    }
  }
}
