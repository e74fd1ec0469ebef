import { fetchJobClasses } from '../api/job-classes.js';
import type { Context } from '../context.js';
import { AuthError, UsageError } from '../errors.js';
import { compareDecimals, isDecimalString, multiplyDecimal } from '../util/money.js';
import { plural } from '../util/plural.js';
import type { GateFlags } from './flags.js';

/**
 * What the gate will cost, checked before anything is sent: the job class's price, `--max-cost`,
 * and whether the balance pays for the new evaluations (SPEC §3 "Balance").
 */

export interface PriceInfo {
  job_class: string;
  price: string | null;
  currency: string | null;
}

export async function lookupPrice(ctx: Context, jobClass: string): Promise<PriceInfo> {
  const { classes } = await fetchJobClasses(ctx);
  const match = classes?.find((c) => c.code === jobClass);
  const price = match && isDecimalString(match.price) ? match.price : null;
  return { job_class: jobClass, price, currency: typeof match?.currency_code === 'string' ? match.currency_code : null };
}

/** The balance as the gate shows it: the amount, and whether it pays for the new evaluations. */
export interface BalanceInfo {
  balance: string | null;
  currency: string | null;
  covered: boolean | null;
  needed: string | null;
  /** Why the balance or the coverage is unknown. */
  unknown?: string;
}

export async function lookupBalance(ctx: Context, price: PriceInfo, count: number): Promise<BalanceInfo> {
  const { readBalance } = await import('../api/billing.js');
  const { balanceCovers } = await import('./spend.js');
  const reading = await readBalance(await ctx.client(), { signal: ctx.signal });
  if (!reading.ok) return { balance: null, currency: null, covered: null, needed: null, unknown: reading.reason };
  const { amount, currency } = reading.balance;
  const coverage = balanceCovers(reading.balance, price, count);
  if (!coverage.ok) return { balance: amount, currency, covered: null, needed: null, unknown: coverage.reason };
  return { balance: amount, currency, covered: coverage.covered, needed: coverage.needed };
}

export function describeBalance(b: BalanceInfo, count: number): string {
  if (b.balance === null) return `balance: unknown (${b.unknown})`;
  const amount = `${b.balance}${b.currency ? ` ${b.currency}` : ''}`;
  if (b.covered === null) return `balance: ${amount} (whether it covers the run is unknown: ${b.unknown ?? 'no price'})`;
  if (count === 0) return `balance: ${amount}; nothing new to pay for`;
  return `balance: ${amount}; ${b.covered ? 'covers' : 'does NOT cover'} the ${b.needed} needed for ${plural(count, 'new evaluation')}`;
}

/**
 * Before a real run: `--max-cost` (which cannot be honoured without the price) and the balance
 * check (which is skipped, with a warning, when the price or balance cannot be read).
 */
export async function checkCostBeforeSending(ctx: Context, flags: GateFlags, newEvaluations: number): Promise<void> {
  const balanceCheck = flags.balanceCheck !== false && newEvaluations > 0;
  if (flags.maxCost === undefined && !balanceCheck) return;
  const jobClass = flags.jobClass ?? 'standard';
  let price: PriceInfo | undefined;
  try {
    price = await lookupPrice(ctx, jobClass);
  } catch (err) {
    if (flags.maxCost !== undefined || ctx.signal.aborted) throw err;
  }
  if (flags.maxCost !== undefined) {
    checkMaxCost(flags.maxCost, price!, price!.price !== null ? multiplyDecimal(price!.price, newEvaluations) : null, newEvaluations);
  }
  if (balanceCheck) await checkBalance(ctx, price, newEvaluations);
}

/**
 * Before the first submission (SPEC §3 "Balance"): refuses, exit 4 and nothing sent, when the
 * balance cannot pay for the new evaluations; says once that it could not check, and goes on,
 * when the balance (or the price) cannot be read.
 */
async function checkBalance(ctx: Context, price: PriceInfo | undefined, count: number): Promise<void> {
  const skip = (why: string) => ctx.err(`warning: could not check the balance before submitting: ${why}; going on (--no-balance-check skips this check)`);
  if (!price) return skip('the price of the job class could not be read');
  const info = await lookupBalance(ctx, price, count);
  if (info.covered === null) return skip(info.unknown ?? 'unknown');
  if (info.covered) {
    ctx.debug(`balance ${info.balance} covers the ${info.needed} needed for ${plural(count, 'new evaluation')}`);
    return;
  }
  const unit = info.currency ?? price.currency;
  const money = (v: string | null) => `${v}${unit ? ` ${unit}` : ''}`;
  throw new AuthError(
    `balance ${money(info.balance)} is below the ${money(info.needed)} needed for ${plural(count, 'new evaluation')} (${price.price} each); nothing was sent`,
    {
      code: 'INSUFFICIENT_BALANCE',
      hint: 'top up at app.runflow.io/settings/billing, or gate fewer images (--shard, --max-failures); --no-balance-check skips this check',
      details: { balance: info.balance, needed: info.needed, evaluations: count, price: price.price, currency: unit },
    },
  );
}

export function checkMaxCost(maxCost: string | undefined, price: PriceInfo, total: string | null, count: number): void {
  if (maxCost === undefined) return;
  if (total === null) throw new UsageError(`--max-cost: the price of job class ${price.job_class} is unknown, so the cost cannot be checked`);
  if (compareDecimals(total, maxCost) > 0) {
    throw new UsageError(`--max-cost ${maxCost}: ${plural(count, 'evaluation')} × ${price.price} = ${total}${price.currency ? ` ${price.currency}` : ''}, over the limit; nothing was sent`);
  }
}
