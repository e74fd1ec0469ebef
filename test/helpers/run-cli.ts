import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Clock } from '../../src/clock.js';
import { systemClock } from '../../src/clock.js';
import { main } from '../../src/main.js';
import { memoryIO, type MemoryIO } from './memory-io.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  io: MemoryIO;
}

export function tempDir(prefix = 'rfe-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * Runs the CLI in-process with a clean environment: nothing from the developer's shell leaks in
 * (no real key, no proxy, no CI flags) unless a test passes it.
 */
export async function runCli(
  argv: string[],
  env: Record<string, string | undefined> = {},
  opts: { stdin?: string; tty?: boolean; io?: MemoryIO; clock?: Clock; cwd?: string } = {},
): Promise<CliRun> {
  const io = opts.io ?? memoryIO({ stdin: opts.stdin, tty: opts.tty });
  const fullEnv: Record<string, string | undefined> = {
    HOME: env.HOME ?? os.tmpdir(),
    PATH: process.env.PATH,
    RUNFLOW_CONFIG_DIR: env.RUNFLOW_CONFIG_DIR ?? tempDir('rfe-config-'),
    // A fresh cache too, so no test reuses another's recorded evaluations.
    RUNFLOW_CACHE_DIR: env.RUNFLOW_CACHE_DIR ?? tempDir('rfe-cache-'),
    ...env,
  };
  const code = await main(argv, io, fullEnv, { clock: opts.clock, cwd: opts.cwd });
  return { code, stdout: io.stdoutText(), stderr: io.stderrText(), io };
}

/** Real time, but every sleep (retry backoff, poll gap) is `factor` times shorter. */
export function fastClock(factor = 20): Clock {
  return { now: systemClock.now, sleep: (ms, signal) => systemClock.sleep(ms / factor, signal) };
}
