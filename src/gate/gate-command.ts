import type { Context } from '../context.js';
import { buildComparedReport } from './baseline.js';
import { loadBaseline } from './baseline-file.js';
import { invalidMediaResult } from './decide.js';
import { runDryRun } from './dry-run.js';
import { parseGateFlags, type GateFlags } from './flags.js';
import { inInputOrder } from './input-order.js';
import type { ImagesFrom } from './inputs.js';
import { reportEnding, reportInvalid, reportSkipped } from './notices.js';
import { prepareReportTargets, writeErrorDocument } from './outputs.js';
import { planInputs } from './plan.js';
import { printReport } from './print-report.js';
import { parseShard } from './shard.js';
import { refuseSubcommandTypo } from './subcommand-typo.js';
import { submitAndWait } from './submit-and-wait.js';
import type { GateReport } from './types.js';

/**
 * `gate [image...]` from its flags to its exit code: every flag, file and input is checked before
 * the first request (exit 2, nothing sent), then the dry run, or the run and its report.
 */
export async function runGateCommand(ctx: Context, images: string[], flags: GateFlags, imagesFrom?: ImagesFrom): Promise<number> {
  // A typo of a subcommand is a command-line mistake; images from a project file are not one.
  if (!imagesFrom) refuseSubcommandTypo(images);
  const options = await parseGateFlags(flags);
  const baseline = await loadBaseline(flags);
  const { planned, skipped } = await planInputs(ctx, images, flags, options.threshold, imagesFrom);
  await prepareReportTargets(flags);
  reportSkipped(ctx, skipped);
  reportInvalid(ctx, planned);
  // From here the report paths are known good: an error with no results still leaves --json-file.
  const keepError = async (err: unknown): Promise<never> => {
    if (!flags.dryRun) await writeErrorDocument(ctx, flags.jsonFile, err);
    throw err;
  };
  if (flags.dryRun) return runDryRun(ctx, planned, flags, options.repeat);
  const shard = flags.shard !== undefined ? parseShard(flags.shard) : undefined;
  const decorate = (report: GateReport): GateReport => {
    if (skipped.length) report.skipped = skipped.map((f) => f.path);
    if (shard) report.shard = { index: shard.index, count: shard.count };
    return report;
  };

  // Broken files named as images are decided here, never sent; the rest go to the scheduler.
  const runnable = planned.filter((p) => p.input.kind !== 'invalid');
  const invalid = planned.map((p) => (p.input.kind === 'invalid' ? invalidMediaResult(p.input.display, p.threshold, p.input.reason) : undefined));
  if (!runnable.length) {
    // An empty shard is a pass with no results, so a CI matrix leg with nothing to do is green;
    // a folder of broken outputs fails without needing the service.
    if (!planned.length) await ctx.apiSettings().catch(keepError);
    const decided = invalid.filter((d) => d !== undefined);
    return printReport(ctx, decorate(buildComparedReport(decided.map((d) => d.result), decided.map((d) => d.exitCode), options.threshold, [], baseline)), [], flags);
  }

  const outcome = await submitAndWait(ctx, planned, runnable, flags, options).catch(keepError);
  const { results, exitCodes, extras } = inInputOrder(planned, invalid, outcome);
  const report = decorate(buildComparedReport(results, exitCodes, options.threshold, outcome.interrupted ? [ctx.interruptExitCode] : [], baseline));
  reportEnding(ctx, results, outcome, Boolean(flags.resubmit));
  return printReport(ctx, report, extras, flags);
}
