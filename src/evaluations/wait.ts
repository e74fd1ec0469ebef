import { fetchEvaluation } from '../api/evaluations.js';
import type { Context } from '../context.js';
import { InterruptedError, isAbort, TimeoutError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { explainFailure } from './failure-codes.js';
import { parseDuration, formatDuration } from '../util/duration.js';
import { waitUntilTerminal } from './poll.js';
import { startProgress } from '../progress.js';
import { printEvaluation } from '../render/print-evaluation.js';

export const DEFAULT_TIMEOUT = '10m';

export interface WaitFlags {
  timeout?: string;
  interval?: string;
  embed?: string;
}

/**
 * Waits for one evaluation and prints it. Exit 0 on completed (whatever the verdict), 3 on
 * failed; at the deadline it throws a TimeoutError (exit 6, after printing the last record seen
 * under --json), on Ctrl-C an InterruptedError (130): main() reports both. Shared by `wait` and
 * `submit --wait`.
 */
export async function waitAndReport(ctx: Context, id: string, flags: WaitFlags, deadline: number): Promise<number> {
  const intervalMs = flags.interval !== undefined ? parseDuration(flags.interval, '--interval') : undefined;
  const started = ctx.clock.now();
  const progress = await startProgress(ctx, `waiting for ${id}`);
  try {
    const outcome = await waitUntilTerminal(
      () => fetchEvaluation(ctx, id, flags.embed, ctx.signal),
      {
        clock: ctx.clock,
        deadline,
        signal: ctx.signal,
        intervalMs,
        onUpdate: (latest) => progress.update(`${id}: ${latest.record.status_code ?? 'unknown'} (${formatDuration(ctx.clock.now() - started)})`),
        onTransientError: (err) => ctx.debug(`poll failed, will retry: ${(err as Error).message}`),
      },
    );
    progress.stop();
    if (outcome.kind === 'deadline') {
      const status = outcome.latest?.record.status_code ?? 'unknown';
      // SPEC §5: past its deadline, `wait --json` prints the last record seen (main adds no error document then).
      if (ctx.globals.json && outcome.latest) ctx.jsonText(outcome.latest.text);
      throw new TimeoutError(`evaluation ${id} is still ${status} after ${formatDuration(deadline - started)}`, {
        hint: `run \`runflow-eval wait ${id}\` again later, or raise --timeout`,
        details: { ids: [id] },
        resultPrinted: ctx.globals.json && outcome.latest !== undefined,
      });
    }
    await printEvaluation(ctx, outcome.latest);
    if (outcome.latest.record.status_code === 'failed') {
      const code = outcome.latest.record.failure_code ?? 'unknown';
      ctx.err(`error: evaluation ${id} failed: ${String(code)} (${explainFailure(code)})`);
      return ExitCode.EvaluationFailed;
    }
    return ExitCode.Success;
  } catch (err) {
    progress.stop();
    if (isAbort(err) && ctx.signal.aborted) {
      throw new InterruptedError(`interrupted; evaluation ${id} keeps running on the server`, {
        details: { ids: [id] },
        lines: [`resume with: runflow-eval wait ${id}`],
      });
    }
    throw err;
  }
}
