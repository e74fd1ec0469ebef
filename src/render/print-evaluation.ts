import type { FetchedEvaluation } from '../api/evaluations.js';
import type { Context } from '../context.js';

/** Prints one evaluation as --json (raw) or the human view; shared by `get`, `wait` and `submit --wait`. */
export async function printEvaluation(ctx: Context, fetched: FetchedEvaluation): Promise<void> {
  if (ctx.globals.json) {
    ctx.jsonText(fetched.text);
    return;
  }
  const { renderEvaluation } = await import('./evaluation.js');
  ctx.out(renderEvaluation(fetched.record, { color: ctx.color, columns: ctx.io.columns }));
}
