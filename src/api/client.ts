/**
 * The HTTP client for the Runflow API: authentication headers, a time limit per attempt, the
 * retry policy of retry.ts, idempotency keys that stay the same on every retry, typed errors, and
 * a --verbose log that never shows the API key. One attempt is api/attempt.ts; the connection
 * pool (undici) is api/dispatcher.ts; keeping the key out of output is api/redact.ts.
 */
import type { Dispatcher } from 'undici';
import { systemClock, type Clock } from '../clock.js';
import { linkSignals } from '../util/link-signals.js';
import { stripControl } from '../util/text.js';
import { apiErrorFromResponse, ResponseFormatError, StorageUploadError, type RequestDescription } from './errors.js';
import { describeUnexpectedBody, requestIdFrom } from './error-body.js';
import { describeNetworkError, networkFailure, sendAttempt, type RawResponse, type SendParams, type StorageBody } from './attempt.js';
import { BodyAllowance } from './body-allowance.js';
import type { ApiResponse, ClientOptions, HttpMethod, Pacer, RequestOptions, StorageUploadOptions } from './client-types.js';
import { createDispatcher } from './dispatcher.js';
import { proxyInUse } from './proxy.js';
import { formatHeadersForLog, maskKeyInResponse, redact } from './redact.js';
import { decideRetry, DEFAULT_MAX_ATTEMPTS, parseRetryAfter } from './retry.js';

export type { ApiResponse, ClientOptions, HttpMethod, LazyBody, PacedResponse, Pacer, RequestOptions, StorageUploadOptions } from './client-types.js';

const DEFAULT_TIMEOUT_MS = 30_000;
const STORAGE_MIN_TIMEOUT_MS = 120_000;
const STORAGE_MIN_BYTES_PER_SECOND = 256 * 1024;
/**
 * Bytes of lazily built bodies in memory at once: a few inline photographs (a 2560-px PNG is a
 * 10 MB body). Sending them one after another over one link is no slower than all at once.
 */
const LAZY_BODY_BYTES = 32 * 1024 * 1024;

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
            response = this.#masked(await sendAttempt(this.#dispatcher, p, outer.signal, lazy));
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
          throw networkFailure(p, error, attempt, (protocol) => (this.#opts.dispatcher ? undefined : proxyInUse(this.#opts.env ?? process.env, protocol)));
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

  /** Every response has the key masked before anything reads it (SPEC §2). */
  #masked(res: RawResponse): RawResponse {
    return maskKeyInResponse(res, this.#opts.apiKey, this.#opts.placeholderKey);
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
