import type { Context } from '../context.js';
import { gateKeys, type GateFlags } from './flags.js';
import { runKeySuffixes, type RepeatOptions } from './repeats.js';
import type { PlannedInput } from './run-types.js';

/**
 * The submission record this gate reads and writes, and what it will spend: none of it needs a
 * key, so `--dry-run` and a real run share it.
 */
export async function openRecordAndPlanSpend(ctx: Context, planned: PlannedInput[], flags: GateFlags, settings: { baseUrl: string; orgId?: string }, repeat: RepeatOptions) {
  const { planSpend } = await import('./spend.js');
  const { SubmissionRecord } = await import('../cache/submission-record.js');
  const cacheDir = ctx.cacheDir();
  const record = cacheDir === undefined ? undefined : new SubmissionRecord(cacheDir, settings);
  // Whatever way the command ends (Ctrl-C included), what was submitted is recorded first.
  if (record) ctx.onDispose(() => record.flush());
  return { record, cacheDir, spend: await planSpend(planned, { record, resubmit: flags.resubmit, keys: gateKeys(flags, planned), keySuffixes: () => runKeySuffixes(repeat.runs) }) };
}
