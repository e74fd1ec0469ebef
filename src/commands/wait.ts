import type { Command } from 'commander';
import type { Context } from '../context.js';
import { DEFAULT_EMBED } from '../api/evaluations.js';
import { parseDuration, parseDeadline } from '../util/duration.js';
import { DEFAULT_TIMEOUT, waitAndReport, type WaitFlags } from '../evaluations/wait.js';
import { action, withGlobals } from './define.js';
import { requireUuid } from '../validate.js';

export function registerWait(program: Command, ctx: Context): void {
  withGlobals(program.command('wait'))
    .description('poll an evaluation until it is completed or failed')
    .addHelpText(
      'after',
      `
Examples:
  $ runflow-eval wait 3c90c3cc-0d44-4b50-8888-8dd25736052a
  $ runflow-eval wait "$ID" --timeout 5m --json > result.json
  $ runflow-eval wait "$(runflow-eval submit shot.png --task-type headshot)"`,
    )
    .argument('<id>', 'evaluation id (UUID)')
    .option('--timeout <duration>', 'give up after this long (e.g. 90s, 2m, 1h, 500ms)', DEFAULT_TIMEOUT)
    .option('--interval <duration>', 'fixed time between polls (default: adaptive, about 1s at first, up to 5s)')
    .option('--embed <list>', `related records to include (default ${DEFAULT_EMBED})`)
    .action(
      action(ctx, async (rawId: string, flags: WaitFlags) => {
        const id = requireUuid(rawId, 'evaluation id');
        const timeoutMs = parseDeadline(flags.timeout ?? DEFAULT_TIMEOUT, '--timeout');
        if (flags.interval !== undefined) parseDuration(flags.interval, '--interval');
        await ctx.apiSettings();
        return waitAndReport(ctx, id, flags, ctx.clock.now() + timeoutMs);
      }),
    );
}
