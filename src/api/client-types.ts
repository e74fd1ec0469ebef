/**
 * The shapes RunflowClient (api/client.ts) is called with and answers with, and the pacer it
 * consults before each attempt; type-only, so importing them loads nothing.
 */
import type { Dispatcher } from 'undici';
import type { Clock } from '../clock.js';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** One API response as a pacer sees it. */
export interface PacedResponse {
  method: HttpMethod;
  path: string;
  status: number;
  headers: Record<string, string>;
  /** What `beforeAttempt` returned for this attempt: which of the pacer's sends this answers. */
  ticket?: number;
}

/**
 * Shares one request budget between every API call a command makes (the gate's): consulted
 * before each attempt, retries included, and told every answer. Storage uploads are not paced.
 */
export interface Pacer {
  /** Resolves when the attempt may go; what it resolves with comes back as the answer's `ticket`. */
  beforeAttempt(signal?: AbortSignal, method?: HttpMethod): Promise<number | void>;
  afterAttempt(response: PacedResponse): void;
  /**
   * The wait before retrying after a 429 without `Retry-After`: the pacer already slows every
   * request down, so a long exponential backoff on top would only leave the service idle.
   */
  retryDelayAfter429?(attempt: number, response: PacedResponse): number | undefined;
  /** The wait before retrying after a 5xx or a connection error (exponential, with jitter). */
  retryDelay?(attempt: number): number | undefined;
}

export interface ClientOptions {
  /** Already validated by the caller, e.g. `https://api.runflow.io` or `http://127.0.0.1:PORT`. */
  baseUrl: string;
  apiKey: string;
  /** Sent as `X-Organization-Id` when set. */
  orgId?: string;
  /** `runflow-eval/<v> node/<v>` */
  userAgent: string;
  /** Time limit of one attempt. @default 30_000 */
  timeoutMs?: number;
  /** @default 5 */
  maxAttempts?: number;
  /** --verbose sink: requests, statuses, timings and retries. The key never reaches it. */
  debug?: (line: string) => void;
  /** Sleeps between retries and time for deadlines. @default systemClock */
  clock?: Clock;
  /** Jitter source. @default Math.random */
  random?: () => number;
  /** Command-wide abort (Ctrl-C): aborts in-flight requests and retry sleeps. */
  signal?: AbortSignal;
  /** Where HTTPS_PROXY / HTTP_PROXY / NO_PROXY are read. @default process.env */
  env?: Record<string, string | undefined>;
  /** Replaces the dispatcher built from `env` (tests). Not closed by `close()`. */
  dispatcher?: Dispatcher;
  /** Where the key came from, so a rejected key's hint points at the right fix. */
  keySource?: 'env' | 'config';
  /**
   * The key is a stand-in (the sandbox's `sandbox`), not a secret: responses are not searched for
   * it, so a field that happens to hold the same word is left alone.
   */
  placeholderKey?: boolean;
}

/**
 * A JSON body made only when it is about to be sent, once per attempt, and let go as soon as
 * that attempt has its answer: nothing of it is held while the request waits for its turn, for
 * its retry, or for the rest of the command.
 */
export interface LazyBody {
  /** Its length in bytes (what `encode` returns). */
  size: number;
  encode(): Promise<Buffer>;
}

export interface RequestOptions {
  query?: Record<string, string | undefined>;
  /** JSON-encoded, sent with `Content-Type: application/json`. */
  body?: unknown;
  /** Instead of `body`: JSON bytes built per attempt (see LazyBody). */
  lazyBody?: LazyBody;
  headers?: Record<string, string>;
  /** Sent as `Idempotency-Key`, identical on every retry. */
  idempotencyKey?: string;
  /** Absolute time (ms, clock time): a 429 is retried until then rather than `maxAttempts` times. */
  retry429Until?: number;
  /** Time limit of one attempt; overrides the client's. */
  timeoutMs?: number;
  /** Aborts this request (a deadline, for instance); its reason is what the call rejects with. */
  signal?: AbortSignal;
  /**
   * Called on every 429, so a caller can lower its concurrency. Returning `'return'` hands the
   * 429 back to the caller (an `ApiError`) instead of retrying: the caller knows better when to
   * try again (the gate, when one of its evaluations has finished).
   */
  onRateLimited?: (info: { retryAfterMs?: number }) => void | 'return';
  /** Called on every response, whatever its status (for X-RateLimit-Remaining). */
  onResponse?: (info: { status: number; headers: Record<string, string> }) => void;
}

export interface ApiResponse<T> {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON; null for an empty body (204). */
  data: T;
  /** The raw body, for pass-through `--json`. */
  text: string;
}

export interface StorageUploadOptions {
  contentType: string;
  contentLength: number;
  /** @default max(120 s, the time to send the body at 256 KiB/s) */
  timeoutMs?: number;
  signal?: AbortSignal;
}
