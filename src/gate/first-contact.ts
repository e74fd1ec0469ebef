import { ConnectionError, RequestTimeoutError } from '../api/errors.js';
import { CliError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { plural } from '../util/plural.js';
import { WaitQueue } from '../util/wait-queue.js';

/**
 * Until the service has answered once, only one submission tries at a time (the probe). When the
 * service cannot be reached at all (a wrong URL, no network, a proxy refusing TLS), one input's
 * retries say so and the gate stops, instead of every input retrying five times in turn and
 * printing the same connection error on every row (SPEC §3 "gate"). Once anything answers, every
 * submission goes ahead at once.
 */
export class FirstContact {
  #reached = false;
  #probing = false;
  readonly #waiting = new WaitQueue();

  get reached(): boolean {
    return this.#reached;
  }

  /** Any HTTP response, whatever its status, proves the service reachable. */
  markReached(): void {
    if (this.#reached) return;
    this.#reached = true;
    this.#probing = false;
    this.#waiting.wakeAll();
  }

  /**
   * Waits for this caller's turn to send: at once when the service has answered, or when no one
   * is probing (the caller becomes the probe). Returns whether the caller is the probe.
   */
  async turn(signal: AbortSignal): Promise<boolean> {
    while (!this.#reached) {
      if (!this.#probing) {
        this.#probing = true;
        return true;
      }
      await this.#waiting.wait(signal);
    }
    return false;
  }

  /** The probe ended without learning whether the service is reachable: the next caller probes. */
  handOff(): void {
    if (this.#reached) return;
    this.#probing = false;
    this.#waiting.wakeNext();
  }
}

/** A failure that means no connection could be made at all (after the client's retries). */
export function isUnreachable(err: unknown): boolean {
  return (err instanceof ConnectionError && err.unreachable) || err instanceof RequestTimeoutError;
}

/** The one message of a gate that could not reach the service. */
export function unreachableError(err: CliError, inputs: number): CliError {
  const others = inputs - 1;
  const rest = others > 0 ? `; stopped without trying the other ${plural(others, 'input')}` : '';
  return new CliError(`the service cannot be reached: ${err.message}${rest}`, {
    exitCode: ExitCode.Api,
    code: err.code,
    hint: err.hint,
    details: err.details,
    cause: err,
  });
}
