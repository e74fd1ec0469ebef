import type { Balance } from '../api/billing.js';
import type { SubmissionRecord } from '../cache/submission-record.js';
import { compareDecimals, multiplyDecimal } from '../util/money.js';
import { offlineKeySet, type KeyOptions } from '../evaluations/keys.js';
import type { PlannedInput } from './run-types.js';

/**
 * What a gate will spend, worked out before anything is sent (SPEC §3 "Reruns, spend and the
 * cache"): the evaluations it will create, and those the submission record already holds, which
 * are read back and cost nothing. `--dry-run`, `--max-cost` and the balance check all use it.
 */
export interface SpendPlan {
  /** Evaluations this run will create (and pay for). */
  newEvaluations: number;
  /** Evaluations the record already holds: read back, not paid again. */
  reused: number;
}

/** Files are hashed several at a time; each hash reads one file. */
const KEY_CONCURRENCY = 8;

/**
 * Counts the evaluations a gate will create. Each submitted input can create one evaluation per
 * key suffix `keySuffixes(p)` gives (default one, unsuffixed; with `--runs N` the N run keys
 * `''`, `-run2`, … `-run<N>`), and each of those keys is looked up in the record on its own: a
 * rerun with more runs than the recorded one reads back exactly the runs recorded and pays only
 * for the missing ones, as the gate itself then does (run.ts looks each run's key up).
 */
export async function planSpend(
  planned: readonly PlannedInput[],
  opts: { record?: SubmissionRecord; resubmit?: boolean; keys?: KeyOptions; keySuffixes?: (p: PlannedInput) => readonly string[] } = {},
): Promise<SpendPlan> {
  const submits = planned.filter((p) => p.input.kind === 'submit' && p.prepared);
  const suffixesOf = opts.keySuffixes ?? (() => ['']);
  const record = opts.resubmit ? undefined : opts.record;
  let newEvaluations = 0;
  let reused = 0;
  let next = 0;
  const worker = async () => {
    while (next < submits.length) {
      const p = submits[next++]!;
      const suffixes = suffixesOf(p);
      if (!record) {
        newEvaluations += suffixes.length;
        continue;
      }
      for (const keys of await offlineKeySet(p.prepared!, suffixes, opts.keys)) {
        if (await record.get(keys)) reused += 1;
        else newEvaluations += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(KEY_CONCURRENCY, submits.length) }, worker));
  return { newEvaluations, reused };
}

export type Coverage =
  | { ok: true; covered: boolean; needed: string }
  | { ok: false; reason: string };

/**
 * Whether a balance pays for `count` evaluations at `price`. A balance in another currency than
 * the price cannot be compared (a balance that names none is taken to be in the price's).
 */
export function balanceCovers(balance: Balance, price: { price: string | null; currency: string | null }, count: number): Coverage {
  if (price.price === null) return { ok: false, reason: 'the price of the job class is unknown' };
  const priceCurrency = price.currency?.trim().toUpperCase() || null;
  if (balance.currency && priceCurrency && balance.currency !== priceCurrency) {
    return { ok: false, reason: `the balance is in ${balance.currency} but the price in ${priceCurrency}` };
  }
  const needed = multiplyDecimal(price.price, count);
  return { ok: true, covered: compareDecimals(balance.amount, needed) >= 0, needed };
}
