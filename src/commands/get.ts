import type { Command } from 'commander';
import { DEFAULT_EMBED, fetchEvaluation } from '../api/evaluations.js';
import type { Context } from '../context.js';
import { action, withGlobals } from './define.js';
import { requireUuid } from '../validate.js';
import { printEvaluation } from '../render/print-evaluation.js';

export function registerGet(program: Command, ctx: Context): void {
  withGlobals(program.command('get'))
    .description('show one evaluation: status, verdict, score, issues, judges and suggested action')
    .argument('<id>', 'evaluation id (UUID)')
    .option('--embed <list>', `related records to include (default ${DEFAULT_EMBED}; "none" for the bare record)`)
    .action(
      action(ctx, async (id: string, opts: { embed?: string }) => {
        const uuid = requireUuid(id, 'evaluation id');
        await printEvaluation(ctx, await fetchEvaluation(ctx, uuid, opts.embed));
        return 0;
      }),
    );
}
