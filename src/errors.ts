import { ExitCode, type ExitCodeValue } from './exit-codes.js';

export interface ErrorDetails {
  [key: string]: unknown;
}

/**
 * Base of every error the CLI expects. `main()` turns one of these into a one-line message
 * (plus an optional hint) and its exit code; anything else is a bug and is reported as such.
 */
export class CliError extends Error {
  readonly exitCode: ExitCodeValue;
  /** Machine-friendly code, shown in `--json` errors (API `code` when the API sent one). */
  readonly code: string;
  readonly hint?: string;
  readonly status?: number;
  readonly details?: unknown;
  /** Extra lines printed under the message (for instance field errors of a 422). */
  readonly lines: string[];
  /**
   * The command already printed its result document on stdout (`wait` past its deadline prints
   * the last record seen), so `--json` gets no error document: SPEC §5 prints exactly one.
   */
  readonly resultPrinted: boolean;

  constructor(
    message: string,
    opts: {
      exitCode: ExitCodeValue;
      code: string;
      hint?: string;
      status?: number;
      details?: unknown;
      lines?: string[];
      cause?: unknown;
      resultPrinted?: boolean;
    },
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.exitCode = opts.exitCode;
    this.code = opts.code;
    this.hint = opts.hint;
    this.status = opts.status;
    this.details = opts.details;
    this.lines = opts.lines ?? [];
    this.resultPrinted = opts.resultPrinted ?? false;
  }
}

/** Bad flags, bad files, bad values: exit 2, nothing was sent. */
export class UsageError extends CliError {
  constructor(message: string, opts: { hint?: string; code?: string; details?: unknown } = {}) {
    super(message, { exitCode: ExitCode.Usage, code: opts.code ?? 'usage', hint: opts.hint, details: opts.details });
  }
}

/** No key, or a 401/402/403. */
export class AuthError extends CliError {
  constructor(
    message: string,
    opts: { hint?: string; code?: string; status?: number; details?: unknown; lines?: string[] } = {},
  ) {
    super(message, { exitCode: ExitCode.Auth, code: opts.code ?? 'auth', ...opts });
  }
}

/**
 * Ctrl-C or SIGTERM, with what the user needs to pick up the work (`lines`, printed as they are).
 * main() prints it without the `error:` prefix and exits 130, or 143 on SIGTERM.
 */
export class InterruptedError extends CliError {
  constructor(message = 'interrupted', opts: { details?: unknown; lines?: string[] } = {}) {
    super(message, { exitCode: ExitCode.Interrupted, code: 'interrupted', ...opts });
  }
}

/** A wait's deadline passed while an evaluation was still pending or running: exit 6. */
export class TimeoutError extends CliError {
  constructor(message: string, opts: { hint?: string; details?: unknown; resultPrinted?: boolean } = {}) {
    super(message, { exitCode: ExitCode.Timeout, code: 'timeout', ...opts });
  }
}

/**
 * The one `--json` error document (SPEC §5): `{"error": {code, message, status, exit_code, details}}`,
 * with `code` in the one style of errorCode().
 */
export function errorDocument(e: { code: string; message: string; status?: number; exitCode: number; details?: unknown }): { error: Record<string, unknown> } {
  return { error: { code: errorCode(e.code), message: e.message, status: e.status ?? null, exit_code: e.exitCode, details: e.details ?? null } };
}

export function missingKeyError(): AuthError {
  return new AuthError('no API key found', {
    code: 'missing_api_key',
    hint: 'set RUNFLOW_API_KEY, or run `runflow-eval login` (or try `--sandbox`, which needs no key)',
  });
}

/** An abort (Ctrl-C, a deadline) as undici, timers and our own signals report it. */
export function isAbort(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { name?: string; code?: string };
  return e.name === 'AbortError' || e.code === 'ABORT_ERR' || e.code === 'SIGINT' || e.code === 'UND_ERR_ABORTED';
}

/** Why an id from an earlier `--sandbox` command is unknown to this one (SPEC §9). */
export const SANDBOX_IDS_HINT =
  'each --sandbox command starts its own empty sandbox, so ids do not carry from one command to the next; ' +
  'to keep one sandbox across commands, run `runflow-eval sandbox` (it prints its URL) and set RUNFLOW_BASE_URL to that URL instead of --sandbox';

/**
 * Every `error.code` the tool prints in one style, the API's own (UPPER_SNAKE_CASE:
 * `UNAUTHORIZED`, `RATE_LIMITED`), whatever produced it: commander's `unknownOption` becomes
 * `UNKNOWN_OPTION`, our `missing_api_key` `MISSING_API_KEY`; the API's codes pass unchanged.
 * (`failure_code`, `status_code` are record fields, in the API's lower case, and are not codes of
 * this kind.) An API code that had to be respelled stays available in `details.api_code`.
 */
export function errorCode(code: string): string {
  return (
    code
      .replace(/^commander\./, '')
      .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
      .replace(/[^A-Za-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .toUpperCase() || 'ERROR'
  );
}
