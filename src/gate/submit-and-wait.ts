import { DEFAULT_EMBED } from '../api/evaluations.js';
import type { Context } from '../context.js';
import { spinnerFits, startProgress, startProgressLines } from '../progress.js';
import { checkCostBeforeSending } from './cost.js';
import { gateKeys, type GateFlags, type GateOptions } from './flags.js';
import type { GateRunOutcome, PlannedInput } from './run-types.js';
import { openRecordAndPlanSpend } from './spend-record.js';

/**
 * The gate's real run, once every input is checked: the price and balance checks, then the
 * scheduler submits `runnable` and polls until every verdict is in, the deadline passes or the
 * run is interrupted, with progress on stderr. `planned` (invalid files included) keys the
 * submission record and the idempotency keys as the dry run does.
 */
export async function submitAndWait(ctx: Context, planned: PlannedInput[], runnable: PlannedInput[], flags: GateFlags, options: GateOptions): Promise<GateRunOutcome> {
  const { repeat } = options;
  const settings = await ctx.apiSettings();
  const client = await ctx.client(settings);
  // One request budget for the whole command: the price and balance lookups count against the
  // service's request-rate limit as much as the gate's own requests do.
  const { RequestBudget } = await import('./budget.js');
  const budget = new RequestBudget({ clock: ctx.clock, debug: (line) => ctx.debug(line) });
  client.setPacer(budget);
  const deadline = ctx.clock.now() + options.timeoutMs;
  const { record, cacheDir, spend } = await openRecordAndPlanSpend(ctx, planned, flags, settings, repeat);
  await checkCostBeforeSending(ctx, flags, spend.newEvaluations);
  const { runGate } = await import('./run.js');
  const { runRepeated } = await import('./repeat-run.js');
  const { AssetCache } = await import('../images/asset-cache.js');
  const needDetail = Boolean(flags.report || flags.junit);
  const state = (s: { done: number; total: number; inFlight: number; passed: number }) => `gate: ${s.done}/${s.total} done, ${s.passed} passed, ${s.inFlight} in flight`;
  const first = state({ done: 0, total: runnable.length, inFlight: 0, passed: 0 });
  // A spinner on a terminal; plain lines in logs and pipes (CI), so a long gate is never silent.
  const progress = flags.quiet
    ? { update() {}, stop() {} }
    : spinnerFits(ctx)
      ? await startProgress(ctx, first)
      : startProgressLines(first, { clock: ctx.clock, write: (line) => ctx.err(line) });
  const outcome = await runRepeated(runnable, {
    client,
    clock: ctx.clock,
    signal: ctx.signal,
    deadline,
    baseUrl: settings.baseUrl,
    orgId: settings.orgId,
    cache: cacheDir === undefined ? undefined : new AssetCache(cacheDir, { legacyDir: ctx.config().dir }),
    record,
    maxFailures: options.maxFailures,
    concurrencyCap: options.concurrencyCap,
    retryFailed: options.retryFailed,
    intervalMs: options.intervalMs,
    forceUpload: flags.upload,
    resubmit: flags.resubmit,
    keys: gateKeys(flags, planned),
    embed: needDetail ? DEFAULT_EMBED : 'none',
    onProgress: (s) => progress.update(state(s)),
    debug: (line) => ctx.debug(line),
    budget,
  }, repeat, runGate).finally(() => progress.stop());
  await record?.flush();
  if (outcome.fatal) throw outcome.fatal;
  return outcome;
}
