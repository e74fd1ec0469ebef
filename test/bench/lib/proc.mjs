/**
 * Child processes for the bench: the built CLI run as a user runs it (a whole `node` process),
 * timed from spawn to exit, optionally with its peak RSS.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/**
 * The entry measured: the repo's bin by default; RUNFLOW_BENCH_CLI (set by `--cli PATH`) points
 * at another build, e.g. a patched copy, to record before/after figures in one session.
 */
export const CLI = process.env.RUNFLOW_BENCH_CLI ? resolve(process.env.RUNFLOW_BENCH_CLI) : join(REPO, 'bin', 'runflow-eval.js');
/** The local API is always the repo's own, so before/after runs talk to the same server. */
export const SANDBOX_CLI = join(REPO, 'bin', 'runflow-eval.js');
export const BENCH_DIR = join(REPO, 'test', 'bench');
const GNU_TIME = '/usr/bin/time';
const RSS_PROBE = join(BENCH_DIR, 'rss-probe.mjs');

/** True when /usr/bin/time can report a child's peak RSS; otherwise a preload probe does it. */
export const HAVE_GNU_TIME = existsSync(GNU_TIME);

/**
 * The environment every child gets: the caller's, minus what would change the tool's behaviour
 * or leak out of the bench (CI annotations and step summaries, proxies, colour, a real key).
 */
export function childEnv(extra = {}) {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^(RUNFLOW_|GITHUB_|HTTPS?_PROXY$|NO_PROXY$|ALL_PROXY$)/i.test(name)) delete env[name];
  }
  return { ...env, NO_COLOR: '1', RUNFLOW_API_KEY: 'bench', ...extra };
}

/**
 * Runs one process to its end. Resolves with its wall time (spawn to exit, ms), when it ended
 * (epoch ms, to line up with server timestamps), exit code,
 * output, and — with `measureRss` — its peak resident set size in bytes.
 *
 * @param {string} command
 * @param {string[]} args
 * @param {{ env?: NodeJS.ProcessEnv, measureRss?: boolean, cwd?: string, onStdout?: (chunk: Buffer, atMs: number) => void, timeoutMs?: number }} [opts]
 */
export async function runProcess(command, args, opts = {}) {
  let cmd = command;
  let argv = args;
  let rssFile;
  if (opts.measureRss) {
    rssFile = join(tmpdir(), `runflow-bench-rss-${randomUUID()}.txt`);
    if (HAVE_GNU_TIME) {
      cmd = GNU_TIME;
      argv = ['-f', '%M', '-o', rssFile, command, ...args];
    } else if (command === process.execPath) {
      argv = ['--import', RSS_PROBE, ...args];
    } else {
      throw new Error(`peak RSS of ${command} needs ${GNU_TIME}`);
    }
  }
  const env = rssFile && !HAVE_GNU_TIME ? { ...opts.env, RUNFLOW_BENCH_RSS_FILE: rssFile } : opts.env;
  const started = performance.now();
  const child = spawn(cmd, argv, { env: env ?? childEnv(), cwd: opts.cwd ?? REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = [];
  const err = [];
  child.stdout.on('data', (chunk) => {
    out.push(chunk);
    opts.onStdout?.(chunk, Date.now());
  });
  child.stderr.on('data', (chunk) => err.push(chunk));
  const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
  const code = await new Promise((resolveExit, reject) => {
    child.on('error', reject);
    child.on('close', (c, signal) => resolveExit(c ?? (signal ? 128 : 1)));
  });
  const ms = performance.now() - started;
  const endedAt = Date.now();
  if (timer) clearTimeout(timer);
  let peakRssBytes;
  if (rssFile) {
    try {
      const text = (await readFile(rssFile, 'utf8')).trim().split('\n').pop();
      // GNU time's %M and the probe both report kilobytes.
      peakRssBytes = Number(text) * 1024;
    } finally {
      await rm(rssFile, { force: true });
    }
  }
  return { ms, endedAt, code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), peakRssBytes };
}

let cliRuns = 0;

/**
 * The built CLI with `args`, as `runflow-eval ...` would run it. Each run gets a folder of its own
 * under RUNFLOW_CACHE_DIR, so no figure reuses another run's recorded evaluations (a sandbox may
 * get a port an earlier one had); `shareCache` keeps the folder given, for the rerun figure.
 */
export function runCli(args, opts = {}) {
  const cache = opts.env?.RUNFLOW_CACHE_DIR;
  const env = cache && !opts.shareCache ? { ...opts.env, RUNFLOW_CACHE_DIR: join(cache, `run-${++cliRuns}`) } : opts.env;
  return runProcess(process.execPath, [CLI, ...args], { ...opts, env });
}

/** Fails early with a useful message when `npm run build` has not been run. */
export function assertBuilt() {
  if (process.env.RUNFLOW_BENCH_CLI) {
    if (!existsSync(CLI)) throw new Error(`--cli ${CLI}: no such file`);
    return;
  }
  if (!existsSync(join(REPO, 'dist', 'main.js'))) {
    throw new Error('dist/ is missing: run `npm run build` first (the bench drives the built CLI)');
  }
}
