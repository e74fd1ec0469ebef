/**
 * One HTTP attempt of RunflowClient: sent through the dispatcher under its own time limit, the
 * body read in full, and a network failure turned into the error the caller reports.
 */
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { ConnectionError, proxyRefusalStatus, RequestTimeoutError, type RequestDescription } from './errors.js';
import type { HttpMethod, LazyBody, RequestOptions } from './client-types.js';
import type { proxyInUse } from './proxy.js';
import { ATTEMPT_TIMEOUT_CODE, errorCode } from './retry.js';

export type StorageBody = NodeJS.ReadableStream | Buffer;

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
}

export interface SendParams {
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

const MAX_TIMER_MS = 2 ** 31 - 1;

/** One attempt under its own time limit; the body is read in full before it counts as done. */
export async function sendAttempt(dispatcher: Dispatcher, p: SendParams, outer: AbortSignal | undefined, lazy?: Buffer): Promise<RawResponse> {
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
    const res = await dispatcher.request({
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
    return { status: res.statusCode, headers: flattenHeaders(res.headers), text };
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
 * The error a request fails with once it has no answer and no retry left. `proxy` is the proxy
 * the request went through (undefined with an injected dispatcher, whose route is unknown).
 */
export function networkFailure(p: SendParams, error: unknown, attempts: number, proxy: (protocol: 'http:' | 'https:') => ReturnType<typeof proxyInUse>): Error {
  const code = errorCode(error);
  if (code === ATTEMPT_TIMEOUT_CODE || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new RequestTimeoutError(p.description, p.timeoutMs, { attempts, cause: error });
  }
  const proxyStatus = proxyRefusalStatus(error);
  if (proxyStatus !== undefined) {
    const protocol = p.url.startsWith('http:') ? 'http:' : 'https:';
    return ConnectionError.proxyRefused(p.host, proxyStatus, proxy(protocol), { attempts, cause: error });
  }
  if (code === undefined) return error instanceof Error ? error : new Error(String(error));
  return new ConnectionError(p.host, code, { attempts, cause: error });
}

/** A failed attempt as the --verbose log shows it. */
export function describeNetworkError(error: unknown): string {
  const code = errorCode(error);
  if (code === ATTEMPT_TIMEOUT_CODE) return 'timed out';
  const message = error instanceof Error ? error.message : String(error);
  return code && !message.includes(code) ? `${code} ${message}` : message;
}

function attemptTimeout(timeoutMs: number, cause?: unknown): Error {
  return Object.assign(new Error(`attempt timed out after ${timeoutMs}ms`, cause === undefined ? undefined : { cause }), {
    code: ATTEMPT_TIMEOUT_CODE,
  });
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function isStream(body: unknown): body is NodeJS.ReadableStream {
  return body !== null && typeof body === 'object' && !Buffer.isBuffer(body) && typeof (body as { pipe?: unknown }).pipe === 'function';
}
