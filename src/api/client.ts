/**
 * The HTTP client for the Runflow API: authentication headers, a time limit per attempt, the
 * retry policy of retry.ts, idempotency keys that stay the same on every retry, typed errors, and
 * a --verbose log that never shows the API key.
 */
import type { Readable } from 'node:stream';
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import type { Dispatcher } from 'undici';
import { systemClock, type Clock } from '../clock.js';
import { stripControl } from '../util/text.js';
import {
  apiErrorFromResponse,
  ConnectionError,
  RequestTimeoutError,
  proxyRefusalStatus,
  ResponseFormatError,
  StorageUploadError,
  type RequestDescription,
} from './errors.js';
import { describeUnexpectedBody, requestIdFrom } from './error-body.js';
import { BodyAllowance } from './body-allowance.js';
import { proxyInUse, proxySettings } from './proxy.js';
import { ATTEMPT_TIMEOUT_CODE, decideRetry, DEFAULT_MAX_ATTEMPTS, errorCode, parseRetryAfter } from './retry.js';

/**
 * undici's package index also loads fetch, WebSocket, caches and more: about twice the start-up
 * time of Node itself. We use only an Agent (or the proxy agent) and `dispatcher.request()`, so
 * we load just those parts: undici's own files, not its public API, so package.json pins undici
 * exactly and test/api/undici-internals.test.ts fails if an upgrade moves them. The public entry
 * costs about 50 ms more per request-making command (measured for issue 13: `get --json` 123 ms
 * with these files, 172 ms with `require('undici')`, `node -e ""` 54 ms).
 */
const requireUndici = createRequire(import.meta.url);

// undici parses HTTP with a WebAssembly module. V8 first compiles it with its baseline compiler,
// then recompiles it with the optimising one in the background, and Node waits for that before
// the process can exit: about 200 ms and 30 MB on every command, for a CLI that makes a handful
// of requests. Staying on the baseline compiler removes that wait. Only WebAssembly is affected,
// and this module loads only when a command makes a request.
setFlagsFromString('--liftoff-only');
type AgentClass = new (opts?: object) => Dispatcher;
const { Agent, EnvHttpProxyAgent } = {
  Agent: requireUndici('undici/lib/dispatcher/agent.js') as AgentClass,
  EnvHttpProxyAgent: requireUndici('undici/lib/dispatcher/env-http-proxy-agent.js') as AgentClass,
};
// The package index gives every dispatcher request(), connect() (used by the proxy tunnel) and
// the rest of the API; do the same, once.
const DispatcherBase = requireUndici('undici/lib/dispatcher/dispatcher.js') as { prototype: Dispatcher };
if (typeof DispatcherBase.prototype.request !== 'function') {
  Object.assign(DispatcherBase.prototype, requireUndici('undici/lib/api/index.js'));
}

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

type StorageBody = NodeJS.ReadableStream | Buffer;

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
}

interface SendParams {
  method: HttpMethod;
  url: string;
  /** The URL as it may appear in logs: presigned query strings are credentials. */
  logUrl: string;
  description: RequestDescription;
  host: string;
  headers: Record<string, string>;
  body: () => string | StorageBody | undefined;
  /** Replaces `body`: built per attempt, within the client's allowance for such bodies. */
  lazyBody?: LazyBody;
  timeoutMs: number;
  signal?: AbortSignal;
  retry429Until?: number;
  onRateLimited?: RequestOptions['onRateLimited'];
  onResponse?: RequestOptions['onResponse'];
  /** API calls share the pacer's budget; storage uploads do not. */
  paced?: boolean;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const STORAGE_MIN_TIMEOUT_MS = 120_000;
const STORAGE_MIN_BYTES_PER_SECOND = 256 * 1024;
const MAX_TIMER_MS = 2 ** 31 - 1;
/**
 * Bytes of lazily built bodies in memory at once: a few inline photographs (a 2560-px PNG is a
 * 10 MB body). Sending them one after another over one link is no slower than all at once.
 */
const LAZY_BODY_BYTES = 32 * 1024 * 1024;
/** Shorter "keys" (a test's `k`) are not searched for in responses: they would mask ordinary words. */
const MIN_MASKED_KEY_LENGTH = 6;

export class RunflowClient {
  readonly baseUrl: string;
  readonly #opts: ClientOptions;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #clock: Clock;
  readonly #random: () => number;
  #closed = false;
  #pacer: Pacer | undefined;
  #responded = false;
  #respondedWaiters: Array<() => void> = [];
  readonly #bodies = new BodyAllowance(LAZY_BODY_BYTES);

  constructor(opts: ClientOptions) {
    this.#opts = opts;
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.#clock = opts.clock ?? systemClock;
    this.#random = opts.random ?? Math.random;
    this.#ownsDispatcher = opts.dispatcher === undefined;
    this.#dispatcher = opts.dispatcher ?? createDispatcher(opts.env ?? process.env);
  }

  /** Paces every later API call (and its retries) through `pacer`; undefined stops pacing. */
  setPacer(pacer: Pacer | undefined): void {
    this.#pacer = pacer;
  }

  /**
   * Resolves once any request of this client has had an HTTP response, whatever its status: the
   * service is reachable (the gate stops probing one input at a time).
   */
  whenResponded(): Promise<void> {
    if (this.#responded) return Promise.resolve();
    return new Promise((resolve) => this.#respondedWaiters.push(resolve));
  }

  /**
   * One API call, retried per retry.ts. Resolves with the parsed 2xx response; rejects with an
   * `ApiError` (non-2xx), `ConnectionError`, `RequestTimeoutError`, `ResponseFormatError` (2xx that
   * is not JSON), or the abort reason of a signal.
   */
  async request<T = unknown>(method: HttpMethod, path: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
    const url = this.#url(path, opts.query);
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.#opts.apiKey}`,
      accept: 'application/json',
      'user-agent': this.#opts.userAgent,
    };
    if (this.#opts.orgId) headers['x-organization-id'] = this.#opts.orgId;
    if (opts.idempotencyKey !== undefined) headers['idempotency-key'] = opts.idempotencyKey;
    const body = opts.body === undefined || opts.lazyBody ? undefined : JSON.stringify(opts.body);
    if (body !== undefined || opts.lazyBody) headers['content-type'] = 'application/json';
    for (const [name, value] of Object.entries(opts.headers ?? {})) headers[name.toLowerCase()] = value;

    const description = { method, path };
    const res = await this.#send({
      method,
      url,
      logUrl: url,
      description,
      host: new URL(url).host,
      headers,
      body: () => body,
      lazyBody: opts.lazyBody,
      timeoutMs: opts.timeoutMs ?? this.#opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      signal: opts.signal,
      retry429Until: opts.retry429Until,
      onRateLimited: opts.onRateLimited,
      onResponse: opts.onResponse,
      paced: true,
    });
    if (res.status < 200 || res.status > 299) {
      throw apiErrorFromResponse(res.status, res.headers, res.text, { ...description, keySource: this.#opts.keySource });
    }
    return { status: res.status, headers: res.headers, data: parseJsonBody<T>(res, description), text: res.text };
  }

  /**
   * PUT to a presigned storage URL. Sends no Authorization or X-Organization-Id (the URL carries
   * its own credentials, and the key must never reach a storage host), streams the body, and
   * sends the declared Content-Type and Content-Length. `body` is a factory so that a transient
   * failure can be retried with a fresh stream.
   */
  async putToStorage(url: string, body: () => StorageBody, opts: StorageUploadOptions): Promise<{ status: number }> {
    const parsed = new URL(url);
    const headers: Record<string, string> = {
      'content-type': opts.contentType,
      'content-length': String(opts.contentLength),
      'user-agent': this.#opts.userAgent,
    };
    const timeoutMs =
      opts.timeoutMs ??
      Math.max(STORAGE_MIN_TIMEOUT_MS, Math.ceil((opts.contentLength / STORAGE_MIN_BYTES_PER_SECOND) * 1000));
    const res = await this.#send({
      method: 'PUT',
      url,
      logUrl: `${parsed.origin}${parsed.pathname}${parsed.search ? '?…' : ''}`,
      description: { method: 'PUT', path: parsed.host },
      host: parsed.host,
      headers,
      body,
      timeoutMs,
      signal: opts.signal,
    });
    if (res.status < 200 || res.status > 299) throw new StorageUploadError(parsed.host, res.status, res.text);
    return { status: res.status };
  }

  /** Closes the connections this client opened (not an injected dispatcher). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }

  #url(path: string, query: Record<string, string | undefined> | undefined): string {
    const url = new URL(this.baseUrl + (path.startsWith('/') ? path : `/${path}`));
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, value);
    }
    return url.toString();
  }

  /** Sends with retries; resolves with the last response (any status) or rejects on network failure. */
  async #send(p: SendParams): Promise<RawResponse> {
    const maxAttempts = this.#opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    const outer = linkSignals([this.#opts.signal, p.signal]);
    const label = `${p.method} ${p.description.path}`;
    let rateLimitedAttempts = 0;
    let otherFailures = 0;
    try {
      for (let attempt = 1; ; attempt++) {
        outer.signal?.throwIfAborted();
        this.#log(`request ${p.method} ${p.logUrl}${attempt > 1 ? ` (attempt ${attempt})` : ''}`);
        if (attempt === 1) this.#log(`  headers: ${formatHeadersForLog(p.headers)}`);
        // Real elapsed time for the log; the injected clock is for sleeps and deadlines.
        const pacer = p.paced ? this.#pacer : undefined;
        // A lazy body is built before the turn is taken (the pacer's timing stays true) and
        // dropped once this attempt is answered, within the allowance for such bodies.
        const giveBack = p.lazyBody ? await this.#bodies.acquire(p.lazyBody.size, outer.signal) : undefined;
        let ticket: number | void | undefined;
        let started = performance.now();
        let response: RawResponse | undefined;
        let error: unknown;
        let lazy: Buffer | undefined;
        try {
          lazy = p.lazyBody ? await p.lazyBody.encode() : undefined;
          ticket = pacer ? await pacer.beforeAttempt(outer.signal, p.method) : undefined;
          started = performance.now();
          try {
            response = await this.#attempt(p, outer.signal, lazy);
          } catch (err) {
            if (outer.signal?.aborted) throw outer.signal.reason;
            error = err;
          }
        } finally {
          lazy = undefined;
          giveBack?.();
        }
        const elapsed = `${Math.max(0, Math.round(performance.now() - started))}ms`;

        let handBack = false;
        if (response) {
          if (!this.#responded) {
            this.#responded = true;
            for (const wake of this.#respondedWaiters.splice(0)) wake();
          }
          const requestId = requestIdFrom(response.headers);
          this.#log(`response ${response.status} ${label} in ${elapsed}${requestId ? ` (request id ${requestId})` : ''}`);
          p.onResponse?.({ status: response.status, headers: response.headers });
          pacer?.afterAttempt({ method: p.method, path: p.description.path, status: response.status, headers: response.headers, ticket: ticket ?? undefined });
          if (response.status >= 200 && response.status <= 299) return response;
          if (response.status === 429) {
            const retryAfterMs = parseRetryAfter(response.headers['retry-after'], this.#clock.now());
            handBack = p.onRateLimited?.(retryAfterMs === undefined ? {} : { retryAfterMs }) === 'return';
          }
        } else {
          this.#log(`failed ${label} after ${elapsed}: ${describeNetworkError(error)}`);
        }

        if (handBack && response) return response;
        const underDeadline = response?.status === 429 && p.retry429Until !== undefined;
        const counted = underDeadline ? ++rateLimitedAttempts : ++otherFailures;
        let decision = decideRetry({
          attempt: counted,
          maxAttempts,
          status: response?.status,
          error: response ? undefined : error,
          retryAfter: response?.headers['retry-after'],
          nowMs: this.#clock.now(),
          random: this.#random,
          retry429Until: p.retry429Until,
        });
        if (!decision.retry) {
          if (response) return response;
          throw this.#networkFailure(p, error, attempt);
        }
        if (pacer?.retryDelayAfter429 && response?.status === 429 && response.headers['retry-after'] === undefined) {
          const paced = pacer.retryDelayAfter429(counted, { method: p.method, path: p.description.path, status: 429, headers: response.headers });
          if (paced !== undefined) decision = { ...decision, delayMs: paced };
        } else if (pacer?.retryDelay && response?.status !== 429 && response?.headers['retry-after'] === undefined) {
          const paced = pacer.retryDelay(counted);
          if (paced !== undefined) decision = { ...decision, delayMs: paced };
        }
        const limit = underDeadline ? 'until the deadline' : `${counted + 1}/${maxAttempts}`;
        this.#log(`retrying ${label} in ${(decision.delayMs / 1000).toFixed(1)}s (${decision.reason}; attempt ${limit})`);
        await this.#clock.sleep(decision.delayMs, outer.signal);
      }
    } finally {
      outer.dispose();
    }
  }

  /** One attempt under its own time limit; the body is read in full before it counts as done. */
  async #attempt(p: SendParams, outer: AbortSignal | undefined, lazy?: Buffer): Promise<RawResponse> {
    const controller = new AbortController();
    // setTimeout fires at once for delays past 2^31-1 ms; such a limit means "no limit".
    const limited = Number.isFinite(p.timeoutMs) && p.timeoutMs > 0 && p.timeoutMs <= MAX_TIMER_MS;
    const timer = limited ? setTimeout(() => controller.abort(attemptTimeout(p.timeoutMs)), p.timeoutMs) : undefined;
    const onOuterAbort = () => controller.abort(outer?.reason);
    outer?.addEventListener('abort', onOuterAbort, { once: true });
    const body = lazy ?? p.body();
    let bodyError: unknown;
    const stream = isStream(body) ? body : undefined;
    stream?.on('error', (err: unknown) => {
      bodyError ??= err;
    });
    try {
      const target = new URL(p.url);
      const res = await this.#dispatcher.request({
        origin: target.origin,
        path: `${target.pathname}${target.search}`,
        method: p.method as Dispatcher.HttpMethod,
        headers: p.headers,
        body: body as string | Buffer | Readable | undefined,
        signal: controller.signal,
        // Our own timer bounds the attempt; undici's defaults (300 s) would cut long uploads short.
        headersTimeout: limited ? p.timeoutMs : 0,
        bodyTimeout: limited ? p.timeoutMs : 0,
      });
      const text = await res.body.text();
      return this.#masked({ status: res.statusCode, headers: flattenHeaders(res.headers), text });
    } catch (err) {
      // A failing file read is the caller's problem, not the network's: surface it as it is.
      if (bodyError !== undefined) throw bodyError;
      if (controller.signal.aborted && !outer?.aborted) throw attemptTimeout(p.timeoutMs, err);
      throw err;
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuterAbort);
      if (stream && 'destroy' in stream && typeof stream.destroy === 'function') (stream as Readable).destroy();
    }
  }

  /**
   * A server that echoes the key back (an error message such as "invalid key rf_live_…", a field
   * error's `input`, a header) must not carry it into our output: every response has the key
   * replaced by `***` before anything reads it (SPEC §2: the key never appears in any output).
   */
  #masked(res: RawResponse): RawResponse {
    const key = this.#opts.apiKey;
    if (this.#opts.placeholderKey || key.length < MIN_MASKED_KEY_LENGTH) return res;
    const forms = [...new Set([key, JSON.stringify(key).slice(1, -1)])];
    const mask = (text: string) => (forms.some((f) => text.includes(f)) ? forms.reduce((t, f) => t.split(f).join('***'), text) : text);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(res.headers)) headers[name] = mask(value);
    return { status: res.status, headers, text: mask(res.text) };
  }

  #networkFailure(p: SendParams, error: unknown, attempts: number): Error {
    const code = errorCode(error);
    if (code === ATTEMPT_TIMEOUT_CODE || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
      return new RequestTimeoutError(p.description, p.timeoutMs, { attempts, cause: error });
    }
    const proxyStatus = proxyRefusalStatus(error);
    if (proxyStatus !== undefined) {
      const protocol = p.url.startsWith('http:') ? 'http:' : 'https:';
      return ConnectionError.proxyRefused(p.host, proxyStatus, this.#opts.dispatcher ? undefined : proxyInUse(this.#opts.env ?? process.env, protocol), { attempts, cause: error });
    }
    if (code === undefined) return error instanceof Error ? error : new Error(String(error));
    return new ConnectionError(p.host, code, { attempts, cause: error });
  }

  /** Every debug line goes through here: the key is masked wherever it appears. */
  #log(line: string): void {
    const sink = this.#opts.debug;
    if (!sink) return;
    sink(redact(stripControl(line), this.#opts.apiKey));
  }
}

function parseJsonBody<T>(res: RawResponse, description: RequestDescription): T {
  if (res.text.trim() === '') return null as T;
  try {
    return JSON.parse(res.text) as T;
  } catch {
    throw new ResponseFormatError(
      `${description.method} ${description.path} returned HTTP ${res.status} with a body that is not JSON: ${describeUnexpectedBody(res.text, res.headers)}`,
      { status: res.status, requestId: requestIdFrom(res.headers) },
    );
  }
}

function attemptTimeout(timeoutMs: number, cause?: unknown): Error {
  return Object.assign(new Error(`attempt timed out after ${timeoutMs}ms`, cause === undefined ? undefined : { cause }), {
    code: ATTEMPT_TIMEOUT_CODE,
  });
}

function describeNetworkError(error: unknown): string {
  const code = errorCode(error);
  if (code === ATTEMPT_TIMEOUT_CODE) return 'timed out';
  const message = error instanceof Error ? error.message : String(error);
  return code && !message.includes(code) ? `${code} ${message}` : message;
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function formatHeadersForLog(headers: Record<string, string>): string {
  return Object.entries(headers)
    .map(([name, value]) => `${titleCase(name)}: ${name === 'authorization' ? 'Bearer ***' : value}`)
    .join(', ');
}

/** `x-organization-id` → `X-Organization-Id`, as headers are usually written. */
function titleCase(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_m, dash: string, ch: string) => dash + ch.toUpperCase());
}

/** Masks the key, and anything that looks like a bearer token, in a log line. */
export function redact(line: string, secret: string | undefined): string {
  let out = line.replace(/(Bearer\s+)(?!\*\*\*)\S+/gi, '$1***');
  if (secret) out = out.split(secret).join('***');
  return out;
}

function isStream(body: unknown): body is NodeJS.ReadableStream {
  return body !== null && typeof body === 'object' && !Buffer.isBuffer(body) && typeof (body as { pipe?: unknown }).pipe === 'function';
}

/** One signal that aborts when any of `signals` does (with its reason); dispose() unhooks it. */
function linkSignals(signals: Array<AbortSignal | undefined>): { signal?: AbortSignal; dispose(): void } {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  if (present.length === 0) return { dispose() {} };
  if (present.length === 1) return { signal: present[0], dispose() {} };
  const controller = new AbortController();
  const already = present.find((s) => s.aborted);
  if (already) {
    controller.abort(already.reason);
    return { signal: controller.signal, dispose() {} };
  }
  const listeners = present.map((s) => {
    const onAbort = () => controller.abort(s.reason);
    s.addEventListener('abort', onAbort, { once: true });
    return () => s.removeEventListener('abort', onAbort);
  });
  return { signal: controller.signal, dispose: () => listeners.forEach((off) => off()) };
}

/** A dispatcher honouring the proxy variables in `env`; the caller closes it. */
export function createDispatcher(env: Record<string, string | undefined>): Dispatcher {
  const settings = proxySettings(env);
  // Explicit values (never undefined) so undici does not fall back to process.env on its own.
  if (settings) return new EnvHttpProxyAgent(settings);
  return new Agent();
}
