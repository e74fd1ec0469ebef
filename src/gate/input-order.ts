import { withClientRef } from './decide.js';
import type { GateRunOutcome, PlannedInput } from './run-types.js';
import type { GateResult, GateResultExtra } from './types.js';

/** A broken file's result, decided without sending it. */
export interface DecidedInvalid {
  result: GateResult;
  exitCode: number;
}

/**
 * The scheduler's results (of the runnable inputs only) back into input order, with each invalid
 * file's result where the file was found and each result's client_ref.
 */
export function inInputOrder(planned: PlannedInput[], invalid: Array<DecidedInvalid | undefined>, outcome: GateRunOutcome): { results: GateResult[]; exitCodes: number[]; extras: GateResultExtra[] } {
  const results: GateResult[] = [];
  const exitCodes: number[] = [];
  const extras: GateResultExtra[] = [];
  let next = 0;
  planned.forEach((p, i) => {
    const decided = invalid[i];
    if (decided) {
      results.push(decided.result);
      exitCodes.push(decided.exitCode);
      extras.push({});
    } else {
      results.push(withClientRef(outcome.results[next]!, clientRefOf(p, outcome.extras[next])));
      exitCodes.push(outcome.exitCodes[next]!);
      extras.push(outcome.extras[next]!);
      next++;
    }
  });
  return { results, exitCodes, extras };
}

/** The input's client_ref; for an existing evaluation (--id), the one it was submitted with. */
function clientRefOf(p: PlannedInput, extra: GateResultExtra | undefined): string | undefined {
  if (p.input.kind === 'submit') return p.input.spec.clientRef;
  const ref = extra?.evaluation?.client_ref;
  return typeof ref === 'string' ? ref : undefined;
}
