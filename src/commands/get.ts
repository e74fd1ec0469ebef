import type { Command } from 'commander';
import type { Evaluation } from '../api/types.js';
import type { Context } from '../context.js';
import { action, withGlobals } from './define.js';
import { requireUuid } from '../validate.js';
import { ResponseFormatError } from '../api/errors.js';

export const DEFAULT_EMBED = 'judges,action,gate_failures';

/** `--embed none` (or an empty value) asks for the bare record. */
export function embedQuery(embed: string | undefined): string | undefined {
  const value = (embed ?? DEFAULT_EMBED).trim();
  return value === '' || value === 'none' ? undefined : value;
}

export interface FetchedEvaluation {
  record: Evaluation;
  /** The raw body, printed unchanged under --json. */
  text: string;
}

export async function fetchEvaluation(
  ctx: Context,
  id: string,
  embed: string | undefined,
  signal?: AbortSignal,
  onResponse?: (info: { status: number; headers: Record<string, string> }) => void,
): Promise<FetchedEvaluation> {
  const client = await ctx.client();
  const res = await client.request<Evaluation>('GET', `/v1/evaluations/${encodeURIComponent(id)}`, {
    query: { embed: embedQuery(embed) },
    signal,
    onResponse,
  });
  if (!res.data || typeof res.data !== 'object' || Array.isArray(res.data)) {
    throw new ResponseFormatError(`GET /v1/evaluations/${id} returned ${Array.isArray(res.data) ? 'an array' : typeof res.data}, not an evaluation record`);
  }
  return { record: res.data, text: res.text };
}

/** Prints one evaluation as --json (raw) or the human view. */
export async function printEvaluation(ctx: Context, fetched: FetchedEvaluation): Promise<void> {
  if (ctx.globals.json) {
    ctx.out(fetched.text.trim());
    return;
  }
  const { renderEvaluation } = await import('../render/evaluation.js');
  ctx.out(renderEvaluation(fetched.record, { color: ctx.color, columns: ctx.io.columns }));
}

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
