/**
 * The one retry policy (SPEC §6), as pure functions so it can be tested as a table.
 *
 * - 429, 5xx, transient connection errors and per-attempt timeouts are retried; every other
 *   status (including other 4xx) is final.
 * - Waits grow exponentially with jitter (1 s, 2 s, 4 s … plus up to 1 s), never above 32 s.
 * - `Retry-After` (seconds or an HTTP date) replaces the backoff when the server sends it.
 * - At most `maxAttempts` attempts, except for a 429 under `retry429Until`: a 429 on
 *   `POST /v1/evaluations` means "too many evaluations in flight", which clears as they finish,
 *   so it is retried until the command's deadline instead.
 */

export const MAX_WAIT_MS = 32_000;
export const DEFAULT_MAX_ATTEMPTS = 5;

/** Added to a server-given Retry-After so clients told the same time do not all return at once. */
const RETRY_AFTER_JITTER_MS = 250;

export interface RetryInput {
  /** 1-based number of the attempt that just failed. */
  attempt: number;
  maxAttempts: number;
  /** HTTP status, when a response arrived. */
  status?: number;
  /** Network error or per-attempt timeout, when no response arrived. */
  error?: unknown;
  /** Raw `Retry-After` header. */
  retryAfter?: string | null;
  nowMs: number;
  random: () => number;
  /** Absolute time (ms): a 429 is retried until then, whatever the attempt count. */
  retry429Until?: number;
}

export type RetryDecision = { retry: false } | { retry: true; delayMs: number; reason: string };

const NO_RETRY: RetryDecision = { retry: false };

export function decideRetry(i: RetryInput): RetryDecision {
  if (i.status !== undefined) return decideForStatus(i, i.status);
  if (i.error !== undefined) {
    const reason = retryableErrorReason(i.error);
    if (reason === undefined || i.attempt >= i.maxAttempts) return NO_RETRY;
    return { retry: true, delayMs: backoffDelay(i.attempt, i.random), reason };
  }
  return NO_RETRY;
}

function decideForStatus(i: RetryInput, status: number): RetryDecision {
  const reason = `HTTP ${status}`;
  if (status === 429 && i.retry429Until !== undefined) {
    // Until the deadline: honour any Retry-After in full (the deadline is the only cap), and stop
    // rather than sleep past the deadline.
    const serverWait = parseRetryAfter(i.retryAfter, i.nowMs);
    const delayMs =
      serverWait !== undefined ? serverWait + jitter(i.random) : backoffDelay(i.attempt, i.random);
    if (i.nowMs + delayMs > i.retry429Until) return NO_RETRY;
    return { retry: true, delayMs, reason };
  }
  if (status !== 429 && (status < 500 || status > 599)) return NO_RETRY;
  if (i.attempt >= i.maxAttempts) return NO_RETRY;
  const serverWait = parseRetryAfter(i.retryAfter, i.nowMs);
  const delayMs =
    serverWait !== undefined
      ? Math.min(MAX_WAIT_MS, serverWait + jitter(i.random))
      : backoffDelay(i.attempt, i.random);
  return { retry: true, delayMs, reason };
}

function jitter(random: () => number): number {
  return Math.floor(random() * RETRY_AFTER_JITTER_MS);
}

/**
 * Exponential backoff: 1 s after the first failure, then 2 s, 4 s, …, plus up to 1 s of jitter,
 * never more than 32 s in total.
 */
export function backoffDelay(attempt: number, random: () => number): number {
  const exponent = Math.max(0, Math.min(attempt - 1, 30));
  const base = 1000 * 2 ** exponent;
  return Math.min(MAX_WAIT_MS, Math.floor(base + random() * 1000));
}

/**
 * `Retry-After` as milliseconds from now: delta-seconds (`"3"`, also `"1.5"`) or an HTTP date
 * (a date in the past means 0). Anything else is undefined, so the caller falls back to backoff.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  // A bare number that is not a non-negative delay (e.g. "-1") is not a date either.
  if (/^[-+]?[\d.]+$/.test(text)) return undefined;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/**
 * Error codes that mean "the connection failed or dropped; the same request may well work a
 * moment later". DNS "not found", TLS certificate problems and undici argument errors are absent
 * on purpose: retrying them only delays the same failure.
 */
const TRANSIENT_ERROR_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** Marks an attempt that ran out of its own time (not the command's): retryable. */
export const ATTEMPT_TIMEOUT_CODE = 'attempt_timeout';

/** The reason to retry after a thrown error, or undefined when it is not transient. */
export function retryableErrorReason(error: unknown): string | undefined {
  for (const code of errorCodes(error)) {
    if (code === ATTEMPT_TIMEOUT_CODE) return 'timeout';
    if (TRANSIENT_ERROR_CODES.has(code)) return code;
  }
  return undefined;
}

/** The most specific error code found on an error, its `cause` chain or its aggregated errors. */
export function errorCode(error: unknown): string | undefined {
  const codes = errorCodes(error);
  return codes.find((c) => TRANSIENT_ERROR_CODES.has(c) || c === ATTEMPT_TIMEOUT_CODE) ?? codes[0];
}

function errorCodes(error: unknown, seen = new Set<unknown>()): string[] {
  if (error === null || typeof error !== 'object' || seen.has(error)) return [];
  seen.add(error);
  const out: string[] = [];
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string') out.push(code);
  if (Array.isArray(errors)) for (const e of errors) out.push(...errorCodes(e, seen));
  out.push(...errorCodes(cause, seen));
  return out;
}
