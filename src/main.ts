import { CommanderError } from './commander.js';
import { Context, type Env, type SandboxStarter } from './context.js';
import { CliError, InterruptedError, isAbort, SANDBOX_IDS_HINT, errorCode, errorDocument } from './errors.js';
import { ExitCode } from './exit-codes.js';
import type { IO } from './io.js';
import { createProgram } from './program.js';
import { stripControl } from './util/text.js';
import type { Clock } from './clock.js';

export interface MainOptions {
  clock?: Clock;
  /** The working folder (default process.cwd()): where the project file search starts. */
  cwd?: string;
}

/**
 * The whole CLI as a function: parses argv, runs one command, and returns its exit code.
 * Nothing below this calls process.exit, and this is the only place that turns an error into
 * an exit code and a message.
 */
export async function main(argv: string[], io: IO, env: Env, opts: MainOptions = {}): Promise<number> {
  const ctx = new Context(io, env, opts.clock, opts.cwd, startBuiltInSandbox);
  const unsubscribe = io.onInterrupt?.((signal) => ctx.abort.abort(interruptReason(signal)));
  try {
    announceMask(ctx);
    const program = await createProgram(ctx, { argv });
    await program.parseAsync(argv, { from: 'user' });
    // Commands say 130 when interrupted; a SIGTERM ends as 143, as a shell reports it.
    return ctx.exitCode === ExitCode.Interrupted ? ctx.interruptExitCode : ctx.exitCode;
  } catch (err) {
    return reportError(err, ctx, argv);
  } finally {
    unsubscribe?.();
    await ctx.dispose();
  }
}

/** `--sandbox`: the built-in API, loaded on first use (off the start-up path of every other run). */
const startBuiltInSandbox: SandboxStarter = async (opts) => (await import('./sandbox/server.js')).startSandbox(opts);

function interruptReason(signal: 'SIGINT' | 'SIGTERM' = 'SIGINT'): Error {
  return Object.assign(new Error(signal === 'SIGTERM' ? 'terminated' : 'interrupted'), { name: 'AbortError', code: signal });
}

/**
 * Under GitHub Actions the runner hides any value announced with ::add-mask:: from the log.
 * It must come before anything else is printed, so a later line cannot leak the key first.
 */
function announceMask(ctx: Context): void {
  if (!ctx.githubActions) return;
  let key = ctx.env.RUNFLOW_API_KEY;
  if (!key) {
    try {
      key = ctx.config().get('api-key');
    } catch {
      // a broken config file is reported by the command that needs it
    }
  }
  if (key) ctx.err(`::add-mask::${key}`);
}

/** The error's details, plus the API's own `code` as sent when it differs from the printed one. */
function withApiCode(err: CliError): unknown {
  const apiCode = (err as { apiCode?: unknown }).apiCode;
  if (typeof apiCode !== 'string' || apiCode === errorCode(apiCode)) return err.details ?? null;
  const details = err.details && typeof err.details === 'object' && !Array.isArray(err.details) ? err.details : {};
  return { ...details, api_code: apiCode };
}

export function reportError(err: unknown, ctx: Context, argv: string[]): number {
  const json = ctx.globals.json || argv.includes('--json');
  if (err instanceof CommanderError) {
    // Help and version were already printed by commander through configureOutput.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    if (err.exitCode === 0) return 0;
    if (json) ctx.json(errorDocument({ code: err.code, message: stripControl(err.message.replace(/^error: /, '')), exitCode: ExitCode.Usage }));
    return ExitCode.Usage;
  }
  if (err instanceof InterruptedError) {
    // Not a failure of the tool: no `error:` prefix; the lines say how to pick the work up again.
    const exitCode = ctx.interruptExitCode;
    if (json) ctx.json(errorDocument({ code: err.code, message: err.message, exitCode, details: err.details }));
    ctx.err(stripControl(err.message));
    for (const line of err.lines) ctx.err(stripControl(line));
    return exitCode;
  }
  if (isAbort(err) && ctx.signal.aborted) {
    ctx.err('interrupted');
    return ctx.interruptExitCode;
  }
  if (err instanceof CliError) {
    if (json && !err.resultPrinted) {
      ctx.json(errorDocument({ code: err.code, message: err.message, status: err.status, exitCode: err.exitCode, details: withApiCode(err) }));
    }
    ctx.err(`error: ${stripControl(err.message)}`);
    for (const line of err.lines) ctx.err(`  ${stripControl(line)}`);
    if (err.hint) ctx.err(`hint: ${err.hint}`);
    if (ctx.globals.sandbox && err.status === 404) ctx.err(`hint: ${SANDBOX_IDS_HINT}`);
    if (ctx.verbose && err.stack) ctx.err(err.stack);
    return err.exitCode;
  }
  // Not an error we expected: still no stack trace unless --verbose, but say it is a bug.
  const message = err instanceof Error ? err.message : String(err);
  if (json) ctx.json(errorDocument({ code: 'internal', message, exitCode: ExitCode.Api }));
  ctx.err(`error: ${stripControl(message)}`);
  ctx.err('hint: this looks like a bug in runflow-eval; rerun with --verbose and report it');
  if (ctx.verbose && err instanceof Error && err.stack) ctx.err(err.stack);
  return ExitCode.Api;
}
