import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunflowClient } from './api/client.js';
import { systemClock, type Clock } from './clock.js';
import { validateBaseUrl } from './config/base-url.js';
import { cacheDir, configDir } from './config/paths.js';
import { resolveApiKey, resolveBaseUrl, resolveOrgId, type ProjectLayer, type Resolved } from './config/resolve.js';
import { ConfigStore } from './config/store.js';
import { missingKeyError } from './errors.js';
import { ExitCode } from './exit-codes.js';
import { indentJsonText } from './render/json-text.js';
import type { IO } from './io.js';
import { USER_AGENT } from './version.js';

export type Env = Record<string, string | undefined>;

/** Flags every command takes (SPEC §3). */
export interface GlobalOptions {
  json: boolean;
  baseUrl?: string;
  org?: string;
  sandbox: boolean;
  verbose: boolean;
  /** commander's `--no-color` gives color: false. */
  color: boolean;
}

export interface ApiSettings {
  baseUrl: string;
  orgId?: string;
  apiKey: string;
  /** Where the key came from (for the hint when it is rejected). */
  keySource?: 'env' | 'config';
  /** The sandbox's stand-in key: not a secret to mask in responses. */
  placeholderKey?: boolean;
}

/** The key sent to the built-in sandbox, which accepts any: the user's real one is never read. */
const SANDBOX_KEY = 'sandbox';

/**
 * Starts the built-in local API (sandbox/server.ts). main() passes it in, so this layer does not
 * import the sandbox above it, and `--sandbox` loads the server only when a command first needs it.
 */
export type SandboxStarter = (opts: { port: number; log: ((line: string) => void) | undefined }) => Promise<{ url: string; close(): Promise<void> }>;

/**
 * What a command may use: the IO streams, the environment, a clock, an abort signal for Ctrl-C,
 * and lazily created dependencies (config, API client, sandbox), so `--help` and usage errors
 * need neither a key nor a config file.
 */
export class Context {
  readonly io: IO;
  readonly env: Env;
  readonly clock: Clock;
  readonly abort = new AbortController();
  globals: GlobalOptions = { json: false, sandbox: false, verbose: false, color: true };
  /** What the command decided; main() returns it. */
  exitCode = 0;
  /** The working folder: where the project file search starts and relative inputs resolve. */
  readonly cwd: string;
  /** Base URL and organization from the project file, set by the commands that read it. */
  project?: ProjectLayer;
  #config?: ConfigStore;
  /** Under --sandbox: a throwaway config folder, so nothing real is read or written. */
  #sandboxConfig?: ConfigStore;
  #client?: RunflowClient;
  #sandbox?: { url: string; close(): Promise<void> };
  #cleanups: Array<() => Promise<void> | void> = [];
  readonly #startSandbox: SandboxStarter | undefined;

  constructor(io: IO, env: Env, clock: Clock = systemClock, cwd: string = process.cwd(), startSandbox?: SandboxStarter) {
    this.io = io;
    this.env = env;
    this.clock = clock;
    this.cwd = cwd;
    this.#startSandbox = startSandbox;
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** 130 after Ctrl-C, 143 after SIGTERM (a CI runner cancelling the job). */
  get interruptExitCode(): 130 | 143 {
    const reason = this.abort.signal.reason as { code?: string } | undefined;
    return this.abort.signal.aborted && reason?.code === 'SIGTERM' ? ExitCode.Terminated : ExitCode.Interrupted;
  }

  get verbose(): boolean {
    return this.globals.verbose || this.env.RUNFLOW_DEBUG === '1' || this.env.RUNFLOW_DEBUG === 'true';
  }

  /**
   * Colour only on a TTY, never under --json, NO_COLOR, --no-color or CI (SPEC §5); FORCE_COLOR
   * (as chalk and most CLIs read it) turns it on in a pipe or a CI log, or off with 0/false.
   * --json and --no-color still win: a JSON document and an explicit flag never get escapes.
   */
  get color(): boolean {
    if (this.globals.json || !this.globals.color) return false;
    const forced = forceColor(this.env);
    if (forced !== undefined) return forced;
    return this.io.stdoutIsTTY && this.#decorationsAllowed();
  }

  get stderrDecorations(): boolean {
    return this.io.stderrIsTTY && this.#decorationsAllowed();
  }

  #decorationsAllowed(): boolean {
    const env = this.env;
    return !this.globals.json && this.globals.color && env.NO_COLOR === undefined && !isCI(env) && env.TERM !== 'dumb';
  }

  get githubActions(): boolean {
    return this.env.GITHUB_ACTIONS === 'true';
  }

  /**
   * The user's config and credential store, or under --sandbox an empty throwaway one: a sandbox
   * command never reads or writes the real key, settings or cached uploads (SPEC §9), so
   * `login --sandbox` cannot overwrite a real key.
   */
  config(): ConfigStore {
    if (this.globals.sandbox) {
      if (!this.#sandboxConfig) {
        const dir = mkdtempSync(path.join(os.tmpdir(), 'runflow-eval-sandbox-'));
        this.#sandboxConfig = new ConfigStore(dir);
        this.onDispose(() => rmSync(dir, { recursive: true, force: true }));
      }
      return this.#sandboxConfig;
    }
    return (this.#config ??= new ConfigStore(configDir(this.env)));
  }

  /**
   * The cache folder (uploaded-asset references, the submission record), or undefined under
   * --sandbox: each --sandbox command starts an empty sandbox, so nothing recorded against it could
   * be used again, and it must never touch the real service's cache (SPEC §9).
   */
  cacheDir(): string | undefined {
    return this.globals.sandbox ? undefined : cacheDir(this.env);
  }

  /** Data on stdout. */
  out(text: string): void {
    this.io.stdout.write(text.endsWith('\n') ? text : text + '\n');
  }

  /** Chatter on stderr: progress, warnings, hints, errors. */
  err(text: string): void {
    this.io.stderr.write(text.endsWith('\n') ? text : text + '\n');
  }

  json(doc: unknown): void {
    this.io.stdout.write(JSON.stringify(doc, null, 2) + '\n');
  }

  /**
   * An API response's JSON text, passed through unchanged but for whitespace: indented like every
   * other `--json` document.
   */
  jsonText(text: string): void {
    this.out(indentJsonText(text) || 'null');
  }

  debug(line: string): void {
    if (this.verbose) this.err(`[debug] ${line}`);
  }

  apiKey(): Resolved {
    return resolveApiKey(this.env, this.config());
  }

  baseUrl(): Resolved {
    return resolveBaseUrl(this.globals, this.env, this.config(), this.project);
  }

  orgId(): Resolved {
    return resolveOrgId(this.globals, this.env, this.config(), this.project);
  }

  /**
   * Base URL, org and key for API calls. With --sandbox, starts the built-in local API first and
   * points at it with a throwaway key. The base URL is checked before any request is made.
   */
  async apiSettings(opts: { requireKey?: boolean } = {}): Promise<ApiSettings> {
    const orgId = this.orgId().value;
    if (this.globals.sandbox) {
      if (this.globals.baseUrl !== undefined && !this.#sandbox) this.err(`warning: --sandbox wins over --base-url ${this.globals.baseUrl}: this command talks to its own local sandbox`);
      const sandbox = await this.startSandbox();
      // The sandbox accepts any key: the user's real one is neither read nor sent.
      return { baseUrl: sandbox.url, orgId, apiKey: SANDBOX_KEY, placeholderKey: true };
    }
    const base = this.baseUrl();
    const origin =
      base.source === 'flag' ? '--base-url' : base.source === 'env' ? 'RUNFLOW_BASE_URL' : base.source === 'project' ? `project file ${base.origin} base-url` : base.source === 'config' ? 'config base-url' : 'default';
    const baseUrl = validateBaseUrl(base.value!, origin);
    const resolved = this.apiKey();
    const key = resolved.value;
    if (!key && opts.requireKey !== false) throw missingKeyError();
    const keySource = resolved.source === 'env' || resolved.source === 'config' ? resolved.source : undefined;
    return { baseUrl, orgId, apiKey: key ?? '', keySource };
  }

  async startSandbox(): Promise<{ url: string }> {
    if (!this.#sandbox) {
      if (!this.#startSandbox) throw new Error('--sandbox: this context was created without the built-in API');
      this.#sandbox = await this.#startSandbox({ port: 0, log: this.verbose ? (l: string) => this.debug(`sandbox: ${l}`) : undefined });
      this.debug(`sandbox listening on ${this.#sandbox.url}`);
    }
    return this.#sandbox;
  }

  /** The API client, created on first use. */
  async client(settings?: ApiSettings): Promise<RunflowClient> {
    if (this.#client) return this.#client;
    const s = settings ?? (await this.apiSettings());
    const { RunflowClient } = await import('./api/client.js');
    this.#client = new RunflowClient({
      baseUrl: s.baseUrl,
      apiKey: s.apiKey,
      orgId: s.orgId,
      userAgent: USER_AGENT,
      clock: this.clock,
      signal: this.signal,
      env: this.env,
      debug: this.verbose ? (line: string) => this.debug(line) : undefined,
      keySource: s.keySource,
      placeholderKey: s.placeholderKey,
    });
    return this.#client;
  }

  onDispose(fn: () => Promise<void> | void): void {
    this.#cleanups.push(fn);
  }

  async dispose(): Promise<void> {
    for (const fn of this.#cleanups.reverse()) {
      try {
        await fn();
      } catch {
        // cleanup is best effort
      }
    }
    this.#cleanups = [];
    if (this.#client) await this.#client.close().catch(() => {});
    if (this.#sandbox) await this.#sandbox.close().catch(() => {});
    this.#client = undefined;
    this.#sandbox = undefined;
  }
}

/** FORCE_COLOR: undefined when unset; false for 0/false; true otherwise (empty included, as supports-color reads it). */
export function forceColor(env: Env): boolean | undefined {
  const value = env.FORCE_COLOR;
  if (value === undefined) return undefined;
  return !(value === '0' || value.toLowerCase() === 'false');
}

export function isCI(env: Env): boolean {
  const ci = env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}
