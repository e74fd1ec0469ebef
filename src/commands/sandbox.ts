import type { Command } from 'commander';
import type { Context } from '../context.js';
import { parseDuration } from '../util/duration.js';
import { UsageError } from '../errors.js';
import { action, withGlobals } from './define.js';
import { wholeNumberFlag } from '../validate.js';
import { plural } from '../util/plural.js';

interface Flags {
  port?: string;
  workers?: string;
  rate?: string;
  maxInflight?: string;
  evalTime?: string;
  host?: string;
}

/** Runs the built-in local API in the foreground until Ctrl-C or SIGTERM (SPEC §9); exits 130/143. */
async function runSandbox(ctx: Context, flags: Flags): Promise<number> {
  const port = wholeNumberFlag(flags.port, '--port', 0, 65535, 0);
  const workers = wholeNumberFlag(flags.workers, '--workers', 1, 10_000, 8);
  const rate = flags.rate === undefined ? undefined : wholeNumberFlag(flags.rate, '--rate', 1, 100_000, 1);
  const maxInflight = flags.maxInflight === undefined ? undefined : wholeNumberFlag(flags.maxInflight, '--max-inflight', 1, 100_000, 1);
  const evalTime = parseEvalTime(flags.evalTime);
  const host = flags.host ?? '127.0.0.1';
  const { isLoopbackHost } = await import('../util/url.js');
  if (!isLoopbackHost(host)) throw new UsageError(`--host must be a loopback address (127.0.0.1, localhost or ::1); the sandbox is not for other machines`);
  const { startSandbox } = await import('../sandbox/server.js');
  const sandbox = await startSandbox({
    port,
    host,
    workers,
    rate,
    maxInflight,
    evalTimeMs: evalTime.minMs,
    evalTimeMaxMs: evalTime.maxMs,
    log: ctx.verbose ? (l: string) => ctx.err(l) : undefined,
  }).catch((err: NodeJS.ErrnoException) => {
    if (err?.code === 'EADDRINUSE') throw new UsageError(`--port ${port}: port in use on ${host}`, { code: 'port_in_use', hint: 'pick another port, or --port 0 for any free one' });
    if (err?.code === 'EACCES') throw new UsageError(`--port ${port}: not allowed to listen on it (ports below 1024 need privileges)`, { code: 'port_not_allowed', hint: '--port 0 takes any free port' });
    throw err;
  });
  if (ctx.globals.json) {
    ctx.json({
      url: sandbox.url,
      workers,
      rate: rate ?? null,
      max_inflight: maxInflight ?? null,
      eval_time_ms: evalTime.minMs,
      eval_time_max_ms: evalTime.maxMs,
    });
  } else ctx.out(sandbox.url);
  const limits = [
    `${plural(workers, 'worker')}, later evaluations queue`,
    rate === undefined ? 'no request-rate limit' : `${rate} requests/s per key`,
    ...(maxInflight === undefined ? [] : [`${maxInflight} evaluations in flight`]),
  ];
  ctx.err(`sandbox listening on ${sandbox.url} (any bearer key accepted; ${limits.join('; ')}; Ctrl-C to stop)`);
  ctx.err(`try: RUNFLOW_BASE_URL=${sandbox.url} RUNFLOW_API_KEY=sandbox runflow-eval price`);
  await new Promise<void>((resolve) => {
    if (ctx.signal.aborted) return resolve();
    ctx.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await sandbox.close();
  ctx.err('sandbox stopped');
  // Stopping is the only way a foreground server ends, but SPEC §4 gives interrupts 130/143, as a
  // shell reports for any command ended by Ctrl-C or `kill`; a script that waits on it sees that.
  return ctx.interruptExitCode;
}

/** `--eval-time D`, or `MIN..MAX` to spread evaluation times evenly over a range. */
function parseEvalTime(raw: string | undefined): { minMs: number; maxMs: number } {
  if (raw === undefined) return { minMs: 0, maxMs: 0 };
  const parts = raw.split('..');
  if (parts.length > 2) throw new UsageError(`--eval-time ${JSON.stringify(raw)}: give one duration (2s) or a range (1s..4s)`);
  const minMs = parseDuration(parts[0]!, '--eval-time');
  const maxMs = parts.length === 2 ? parseDuration(parts[1]!, '--eval-time') : minMs;
  if (maxMs < minMs) throw new UsageError(`--eval-time ${JSON.stringify(raw)}: the range's end is below its start`);
  return { minMs, maxMs };
}

export function registerSandbox(program: Command, ctx: Context): void {
  withGlobals(program.command('sandbox'))
    .description('run the built-in local Runflow API in the foreground (prints its base URL)')
    .option('--port <n>', 'port to listen on (0 = any free port)', '0')
    .option('--host <addr>', 'loopback address to bind', '127.0.0.1')
    .option('--workers <n>', 'evaluations processed at once; later ones wait pending in a queue', '8')
    .option('--rate <n>', 'requests per second per key before 429 RATE_LIMITED (no headers); default no limit')
    .option('--max-inflight <n>', 'refuse submissions beyond N unfinished evaluations with 429 and Retry-After, like older deployments (default off)')
    .option('--eval-time <duration>', 'time a worker spends on each evaluation, at least (2s), or a range spread evenly (1s..4s)')
    .action(action(ctx, (flags: Flags) => runSandbox(ctx, flags)));
}
