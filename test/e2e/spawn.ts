/**
 * The spawn tier's one way to run the CLI: the BUILT `bin/runflow-eval.js` in a child process,
 * exactly as a user's shell or CI runs it (real argv parsing, real pipes, real signals, real exit
 * codes). The node binary comes from RFE_NODE when set, so `.ci/run` re-runs these same tests
 * with Node 22 and 24 children while vitest itself stays on the machine's node.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(REPO, 'bin', 'runflow-eval.js');
export const NODE = process.env.RFE_NODE || process.execPath;
export const PACKAGE_VERSION: string = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')).version;

/** A key no output may ever contain (SPEC §2); every run is checked for it. */
export const SECRET_KEY = 'rf_live_SECRET123';

export interface SpawnedRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface SpawnOptions {
  /** Variables added to the clean environment. */
  env?: Record<string, string>;
  cwd?: string;
  /** Written to the child's stdin, which is then closed (closed at once when absent). */
  stdin?: string;
  /** Kill the child after this long (a hung CLI must fail the test, not the whole run). @default 20_000 */
  killAfterMs?: number;
  /** Skips the stack-trace check (for `--verbose`, where a trace may be shown on purpose). */
  allowStackTrace?: boolean;
  /** Allows the key in a `::add-mask::` workflow command, its one sanctioned appearance (SPEC §2). */
  allowAddMask?: boolean;
}

export interface Spawned {
  child: ChildProcess;
  /** Output so far (grows while the child runs). */
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves when the child has exited and its pipes are drained; output hygiene already checked. */
  done: Promise<SpawnedRun>;
}

/**
 * Fails with a clear message when the CLI was not built: the spawn tier runs `dist/`, and testing
 * a stale or missing build would say nothing about the sources.
 */
export function requireBuild(): void {
  const entry = path.join(REPO, 'dist', 'main.js');
  if (!fs.existsSync(entry)) {
    throw new Error(`The spawn tier runs the built CLI, but ${path.relative(REPO, entry)} is missing: run \`npm run build\` first.`);
  }
}

export function tempDir(prefix = 'rfe-e2e-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * Starts the CLI with a clean environment: only PATH, HOME and a fresh RUNFLOW_CONFIG_DIR, plus
 * what the test passes, so nothing from the developer's shell (a real key, CI, a proxy) leaks in.
 */
export function start(args: string[], opts: SpawnOptions = {}): Spawned {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: tempDir('rfe-home-'),
    RUNFLOW_CONFIG_DIR: tempDir('rfe-config-'),
    ...opts.env,
  };
  const child = spawn(NODE, [BIN, ...args], { cwd: opts.cwd ?? REPO, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin!.on('error', () => {}); // the child may exit before reading its stdin
  child.stdin!.end(opts.stdin ?? '');

  const killer = setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs ?? 20_000);
  const done: Promise<SpawnedRun> = new Promise((resolve, reject) => {
    child.once('error', reject);
    // 'close' (not 'exit'): fires after stdout and stderr are fully read.
    child.once('close', (code, signal) => {
      clearTimeout(killer);
      const run = { code, signal, stdout, stderr };
      try {
        expectHygiene(run, opts);
        resolve(run);
      } catch (err) {
        reject(err);
      }
    });
  });
  // A test that fails before awaiting `done` must not also leave an unhandled rejection behind.
  done.catch(() => {});
  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    done,
  };
}

/** Runs the CLI to completion. */
export function run(args: string[], opts: SpawnOptions = {}): Promise<SpawnedRun> {
  return start(args, opts).done;
}

// ANSI escapes and the spinner's braille frames: neither belongs in piped output (SPEC §5).
const ANSI = /\u001b\[/;
const SPINNER = /[\u2800-\u28ff]/;
// A V8 stack frame: "    at fn (file:///…:12:5)" or "    at file:///…:12:5".
const STACK_FRAME = /^\s+at (?:.*[(\s])?(?:file:\/\/|node:|\/)\S*:\d+:\d+\)?$/m;

/** What must hold for every run, whatever the command: checked by `start` on each child. */
function expectHygiene(run: SpawnedRun, opts: SpawnOptions): void {
  const stderr = opts.allowAddMask ? run.stderr.replaceAll(`::add-mask::${SECRET_KEY}\n`, '') : run.stderr;
  for (const [name, text] of [['stdout', run.stdout], ['stderr', stderr]] as const) {
    expect(text, `${name} leaks the API key`).not.toContain(SECRET_KEY);
    expect(text, `${name} has ANSI escapes although it is not a TTY`).not.toMatch(ANSI);
    expect(text, `${name} shows a spinner although it is not a TTY`).not.toMatch(SPINNER);
    if (!opts.allowStackTrace) expect(text, `${name} shows a stack trace`).not.toMatch(STACK_FRAME);
  }
}

/**
 * Polls until `predicate` holds (e.g. the fake API saw a request), so signals are sent at a known
 * point rather than after a guessed delay. Given the child, it stops early when the child exits.
 */
export async function waitUntil(predicate: () => boolean, what: string, spawned?: Spawned, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    const exit = spawned?.child.exitCode ?? spawned?.child.signalCode;
    if (exit !== undefined && exit !== null) throw new Error(`waiting until ${what}, the CLI exited (${exit}):\n${spawned!.stderr}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Parses stdout as exactly one JSON document (JSON.parse refuses trailing text). Typed `any`
 * because the documents are the CLI's output under test, inspected field by field.
 */
export function parseJsonDocument(stdout: string): any {
  try {
    return JSON.parse(stdout);
  } catch {
    throw new Error(`stdout is not one JSON document:\n${stdout.slice(0, 2000)}`);
  }
}
