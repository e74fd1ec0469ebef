import type { Command } from 'commander';
import type { Context } from '../context.js';
import { parseDuration } from '../duration.js';
import { UsageError } from '../errors.js';
import { action, withGlobals } from './define.js';
import { wholeNumberFlag } from '../validate.js';

interface Flags {
  port?: string;
  maxInflight?: string;
  evalTime?: string;
  host?: string;
}

/** Runs the built-in local API in the foreground until Ctrl-C (SPEC §9). */
async function runSandbox(ctx: Context, flags: Flags): Promise<number> {
  const port = wholeNumberFlag(flags.port, '--port', 0, 65535, 0);
  const maxInflight = wholeNumberFlag(flags.maxInflight, '--max-inflight', 1, 100_000, 8);
  const evalTimeMs = flags.evalTime === undefined ? 0 : parseDuration(flags.evalTime, '--eval-time');
  const host = flags.host ?? '127.0.0.1';
  const { isLoopbackHost } = await import('../config/base-url.js');
  if (!isLoopbackHost(host)) throw new UsageError(`--host must be a loopback address (127.0.0.1, localhost or ::1); the sandbox is not for other machines`);
  const { startSandbox } = await import('../sandbox/server.js');
  const sandbox = await startSandbox({ port, host, maxInflight, evalTimeMs, log: ctx.verbose ? (l: string) => ctx.err(l) : undefined }).catch((err: NodeJS.ErrnoException) => {
    if (err?.code === 'EADDRINUSE') throw new UsageError(`--port ${port}: port in use on ${host}`, { code: 'port_in_use', hint: 'pick another port, or --port 0 for any free one' });
    if (err?.code === 'EACCES') throw new UsageError(`--port ${port}: not allowed to listen on it (ports below 1024 need privileges)`, { code: 'port_not_allowed', hint: '--port 0 takes any free port' });
    throw err;
  });
  if (ctx.globals.json) ctx.json({ url: sandbox.url, max_inflight: maxInflight, eval_time_ms: evalTimeMs });
  else ctx.out(sandbox.url);
  ctx.err(`sandbox listening on ${sandbox.url} (any bearer key accepted; ${maxInflight} evaluations in flight; Ctrl-C to stop)`);
  ctx.err(`try: RUNFLOW_BASE_URL=${sandbox.url} RUNFLOW_API_KEY=sandbox runflow-eval price`);
  await new Promise<void>((resolve) => {
    if (ctx.signal.aborted) return resolve();
    ctx.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await sandbox.close();
  ctx.err('sandbox stopped');
  return 0;
}

export function registerSandbox(program: Command, ctx: Context): void {
  withGlobals(program.command('sandbox'))
    .description('run the built-in local Runflow API in the foreground (prints its base URL)')
    .option('--port <n>', 'port to listen on (0 = any free port)', '0')
    .option('--host <addr>', 'loopback address to bind', '127.0.0.1')
    .option('--max-inflight <n>', 'evaluations allowed in flight before 429', '8')
    .option('--eval-time <duration>', 'make each evaluation take at least this long (e.g. 2s)')
    .action(action(ctx, (flags: Flags) => runSandbox(ctx, flags)));
}
