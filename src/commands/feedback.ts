import type { Command } from 'commander';
import { patchFeedback } from '../api/evaluations.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { action, withGlobals } from './define.js';
import { maxLength, requireUuid } from '../validate.js';

interface Flags {
  up?: boolean;
  down?: boolean;
  clear?: boolean;
  reason?: string;
}

async function runFeedback(ctx: Context, rawId: string, flags: Flags): Promise<number> {
  const id = requireUuid(rawId, 'evaluation id');
  const chosen = [flags.up && '--up', flags.down && '--down', flags.clear && '--clear'].filter(Boolean);
  if (chosen.length !== 1) throw new UsageError(`give exactly one of --up, --down or --clear${chosen.length ? ` (got ${chosen.join(' and ')})` : ''}`);
  if (flags.clear && flags.reason !== undefined) throw new UsageError('--reason goes with --up or --down, not --clear');
  maxLength(flags.reason, 4000, '--reason');
  const body = flags.clear ? { is_positive: null, reason: null } : { is_positive: Boolean(flags.up), reason: flags.reason ?? null };
  const client = await ctx.client();
  const res = await patchFeedback(client, id, body);
  if (ctx.globals.json) ctx.jsonText(res.text);
  else ctx.err(flags.clear ? `Cleared feedback on ${id}` : `Recorded ${flags.up ? 'positive' : 'negative'} feedback on ${id}`);
  return 0;
}

export function registerFeedback(program: Command, ctx: Context): void {
  withGlobals(program.command('feedback'))
    .description('set or clear your feedback on an evaluation')
    .argument('<id>', 'evaluation id (UUID)')
    .option('--up', 'the verdict was right')
    .option('--down', 'the verdict was wrong')
    .option('--clear', 'remove feedback')
    .option('--reason <text>', 'why (with --up or --down)')
    .action(action(ctx, (id: string, flags: Flags) => runFeedback(ctx, id, flags)));
}
