import type { Context } from '../context.js';
import { SANDBOX_IDS_HINT } from '../errors.js';
import type { SkippedFile } from './inputs-types.js';
import type { PlannedInput } from './run-types.js';
import type { GateResult } from './types.js';
import { plural } from '../util/plural.js';

/** What the gate says on stderr about its inputs and how it ended; the report itself goes to stdout. */

/** Says how many files folders passed over (and which, with --verbose), so nothing vanishes silently. */
export function reportSkipped(ctx: Context, skipped: SkippedFile[]): void {
  if (!skipped.length) return;
  const n = skipped.length;
  ctx.err(`gate: skipped ${plural(n, 'file')} that ${n === 1 ? 'is' : 'are'} not named as an image (.png, .jpg, .webp, …)${ctx.verbose ? ':' : '; --verbose lists them'}`);
  if (ctx.verbose) for (const f of skipped) ctx.err(`  skipped ${f.path} (${f.reason})`);
}

/** Files named as images that are empty or not images: said on stderr too, before anything is sent. */
export function reportInvalid(ctx: Context, planned: PlannedInput[]): void {
  for (const p of planned) if (p.input.kind === 'invalid') ctx.err(`gate: ${p.input.reason}; it fails the gate as invalid_media and is not sent`);
}

/**
 * After the run: the sandbox's hint when ids were not found, then what an interrupt left running
 * or what the deadline left pending.
 */
export function reportEnding(ctx: Context, results: GateResult[], run: { interrupted: boolean; results: GateResult[] }, resubmit: boolean): void {
  if (ctx.globals.sandbox && results.some((r) => r.error && /not.?found|404/i.test(String(r.error.code)))) {
    ctx.err(`hint: ${SANDBOX_IDS_HINT}`);
  }
  if (run.interrupted) reportInterrupted(ctx, results, resubmit);
  else {
    const pending = distinctIds(run.results.filter((r) => r.status_code === 'pending' || r.status_code === 'running'));
    if (pending.length) {
      ctx.err(`deadline passed with ${pending.length} evaluation(s) still pending: ${pending.join(', ')}`);
      ctx.err('hint: raise --timeout, or rerun the same gate later to pick them up');
    }
  }
}

/**
 * After Ctrl-C/SIGTERM: what is still running on the server (and may be billed: there is no
 * cancel), by id, and what a rerun does about it.
 */
function reportInterrupted(ctx: Context, results: GateResult[], resubmit: boolean): void {
  // By evaluation: inputs with identical content share one, which runs (and is billed) once.
  const running = distinctIds(results.filter((r) => r.status_code === 'interrupted'));
  const finished = results.filter((r) => r.evaluation_id && r.status_code !== 'interrupted').length;
  const notSent = results.filter((r) => r.status_code === 'not_submitted').length;
  const parts = [`${running.length} still running on the server`];
  if (finished) parts.push(`${finished} finished`);
  if (notSent) parts.push(`${notSent} not_submitted`);
  ctx.err(`interrupted: ${parts.join(', ')}`);
  if (!running.length) return;
  ctx.err(`the ${running.length} still running keep running and may be billed (there is no cancel):`);
  for (const id of running) ctx.err(`  ${id}`);
  if (resubmit) {
    ctx.err('they were sent with --resubmit (fresh idempotency keys): running the gate again pays for them again; follow them with `runflow-eval wait <id>`');
  } else {
    ctx.err('run the same gate command again to pick them up (same idempotency keys) instead of paying twice');
  }
}

/** The evaluation ids of these results, each once, in order. */
function distinctIds(results: GateResult[]): string[] {
  return [...new Set(results.map((r) => r.evaluation_id).filter((id): id is string => typeof id === 'string' && id !== ''))];
}
