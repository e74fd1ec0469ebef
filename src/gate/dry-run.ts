import type { Context } from '../context.js';
import { multiplyDecimal } from '../util/money.js';
import { plural } from '../util/plural.js';
import { checkMaxCost, describeBalance, lookupBalance, lookupPrice, type BalanceInfo, type PriceInfo } from './cost.js';
import type { GateFlags } from './flags.js';
import type { RepeatOptions } from './repeats.js';
import type { PlannedInput } from './run-types.js';
import { openRecordAndPlanSpend } from './spend-record.js';

/** `gate --dry-run`: the plan, its price and the balance, on stdout; nothing is sent. */
export async function runDryRun(ctx: Context, planned: PlannedInput[], flags: GateFlags, repeat: RepeatOptions): Promise<number> {
  const submits = planned.filter((p) => p.input.kind === 'submit');
  const jobClass = flags.jobClass ?? 'standard';
  const settings = await ctx.apiSettings({ requireKey: false });
  const { spend } = await openRecordAndPlanSpend(ctx, planned, flags, settings, repeat);
  let price: PriceInfo = { job_class: jobClass, price: null, currency: null };
  let priceKnown = false;
  try {
    price = await lookupPrice(ctx, jobClass);
    priceKnown = true;
  } catch (err) {
    if (flags.maxCost !== undefined) throw err;
    ctx.err(`warning: could not look up the price: ${(err as Error).message}`);
  }
  const total = price.price !== null ? multiplyDecimal(price.price, spend.newEvaluations) : null;
  checkMaxCost(flags.maxCost, price, total, spend.newEvaluations);
  // The balance needs the key the price lookup needed; without one (or with the check turned
  // off) it is simply not shown.
  let balance: BalanceInfo = { balance: null, currency: null, covered: null, needed: null };
  if (flags.balanceCheck !== false && priceKnown) balance = await lookupBalance(ctx, price, spend.newEvaluations);
  if (balance.covered === null && spend.newEvaluations === 0) balance.covered = true;
  if (ctx.globals.json) {
    // `inputs` lists what will be submitted (SPEC's shape); the other inputs the plan checked are
    // added beside it, only when there are some: evaluations to gate by id, and broken files that
    // will fail the gate (exit 3) without being sent.
    const existing = planned.flatMap((p) => (p.input.kind === 'id' ? [p.input.id] : []));
    const invalid = planned.flatMap((p) => (p.input.kind === 'invalid' ? [{ image: p.input.display, error: p.input.reason }] : []));
    ctx.json({
      dry_run: true,
      evaluations: spend.newEvaluations,
      ...(repeat.runs > 1 ? { runs: repeat.runs } : {}),
      job_class: price.job_class,
      price: price.price,
      currency: price.currency,
      total,
      inputs: submits.map((p) => ({ image: p.input.display, task_type: p.prepared!.spec.taskType ?? null })),
      ...(existing.length ? { existing } : {}),
      ...(invalid.length ? { invalid } : {}),
      reused: spend.reused,
      balance: balance.balance,
      covered: balance.covered,
    });
    return 0;
  }
  const existing = planned.filter((p) => p.input.kind === 'id').length;
  const broken = planned.filter((p) => p.input.kind === 'invalid').length;
  const reusedNote = spend.reused ? `, ${spend.reused} already evaluated (reused from the cache, not paid again)` : '';
  ctx.out(`dry run: ${plural(spend.newEvaluations, 'evaluation')} to submit${repeat.runs > 1 ? ` (at most ${repeat.runs} runs per image)` : ''}${reusedNote}${existing ? `, ${existing} existing to gate` : ''}${broken ? `, ${plural(broken, 'invalid file')} that will fail the gate` : ''}`);
  const label = { id: 'existing', submit: 'submit  ', invalid: 'invalid ' } as const;
  for (const p of planned) ctx.out(`  ${label[p.input.kind]}  ${p.input.display}${p.prepared ? `  (${p.prepared.spec.taskType})` : ''}  threshold ${p.threshold}`);
  ctx.out(price.price !== null ? `price: ${price.price}${price.currency ? ` ${price.currency}` : ''} per evaluation (${price.job_class}); total ${total}` : `price: unknown for job class ${price.job_class}`);
  if (balance.balance !== null || balance.unknown) ctx.out(describeBalance(balance, spend.newEvaluations));
  ctx.out('nothing was sent');
  return 0;
}
