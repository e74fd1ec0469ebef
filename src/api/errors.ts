/**
 * What can go wrong talking to the API, as typed errors that carry their exit code (SPEC §4):
 * 401/402/403 → 4, everything else → 5. `apiErrorFromResponse` turns a non-2xx response into the
 * right one, with the server's `code`, `message` and field errors made safe to print.
 */
import { STATUS_CODES } from 'node:http';
import { CliError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { stripControl } from '../util/text.js';
import { parseEnvelope, requestIdFrom, summariseNonJson, summariseStorageBody } from './error-body.js';

export interface RequestDescription {
  method: string;
  /** The API path (`/v1/evaluations`), or for storage the host, never a presigned URL's query. */
  path: string;
}

export interface ApiErrorInit extends RequestDescription {
  status: number;
  /** The API's machine code (`VALIDATION_ERROR`), when it sent one. */
  apiCode?: string;
  /** The API's human message, control characters removed. */
  apiMessage?: string;
  /** Field errors of a 422, one display line each. */
  fieldErrors?: string[];
  requestId?: string;
  /** The raw `errors[]` of the envelope, for `--json` error details. */
  rawErrors?: unknown[];
  hint?: string;
  message?: string;
}

/** A non-2xx answer from the API (after retries, for the retryable ones). */
export class ApiError extends CliError {
  readonly apiCode?: string;
  readonly apiMessage?: string;
  readonly fieldErrors: string[];
  readonly requestId?: string;
  readonly method: string;
  readonly path: string;

  constructor(init: ApiErrorInit) {
    const fieldErrors = init.fieldErrors ?? [];
    super(init.message ?? describeFailure(init), {
      exitCode: isAuthStatus(init.status) ? ExitCode.Auth : ExitCode.Api,
      code: init.apiCode ?? `http_${init.status}`,
      status: init.status,
      hint: init.hint,
      lines: [...fieldErrors, ...(init.requestId ? [`request id: ${init.requestId}`] : [])],
      details: {
        method: init.method,
        path: init.path,
        ...(init.requestId ? { request_id: init.requestId } : {}),
        ...(init.rawErrors ? { errors: init.rawErrors } : {}),
      },
    });
    this.apiCode = init.apiCode;
    this.apiMessage = init.apiMessage;
    this.fieldErrors = fieldErrors;
    this.requestId = init.requestId;
    this.method = init.method;
    this.path = init.path;
  }
}

/** 401: the key was rejected. */
export class UnauthorizedError extends ApiError {}
/** 402: the balance does not cover the request. */
export class PaymentRequiredError extends ApiError {}
/** 403: the key lacks a scope, or the account/organization is not allowed. */
export class PermissionDeniedError extends ApiError {}
export class NotFoundError extends ApiError {}
/** 409: for `POST /v1/evaluations`, an Idempotency-Key reused for a different body. */
export class ConflictError extends ApiError {}
/** 422: the body failed validation; `fieldErrors` says where. */
export class ValidationError extends ApiError {}
/** 429 that outlasted the retries (or the deadline). */
export class RateLimitError extends ApiError {}
/** 5xx that outlasted the retries. */
export class ServerError extends ApiError {}

/** The connection failed (after retries): refused, reset, DNS, TLS. */
export class ConnectionError extends CliError {
  readonly host: string;
  readonly errno?: string;

  constructor(host: string, errno: string | undefined, opts: { attempts?: number; cause?: unknown; hint?: string; message?: string; details?: Record<string, unknown> } = {}) {
    const after = opts.attempts && opts.attempts > 1 ? ` (after ${opts.attempts} attempts)` : '';
    super(`${opts.message ?? `could not connect to ${host}: ${errno ?? 'network error'}`}${after}`, {
      exitCode: ExitCode.Api,
      code: 'connection_error',
      hint: opts.hint ?? connectionHint(errno),
      details: { host, errno: errno ?? null, attempts: opts.attempts ?? 1, ...opts.details },
      cause: opts.cause,
    });
    this.host = host;
    this.errno = errno;
  }

  /**
   * No connection could be made at all (refused, no route, DNS, TLS), as opposed to one that was
   * made and then dropped (a reset): the service cannot be reached from here.
   */
  get unreachable(): boolean {
    const e = this.errno ?? '';
    // A proxy that refuses the tunnel (PROXY_403, PROXY_407…) keeps the service out of reach too.
    return UNREACHABLE_ERRNOS.has(e) || e.startsWith('PROXY_') || /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/i.test(e);
  }

  /**
   * The proxy answered the CONNECT with a status other than 200 (undici reports it only as an
   * aborted request, `Proxy response (403) !== 200 when HTTP Tunneling`): name the proxy, the
   * variable it came from and its status, with what that status usually means.
   */
  static proxyRefused(host: string, status: number, proxy: { variable: string; url: string } | undefined, opts: { attempts?: number; cause?: unknown } = {}): ConnectionError {
    const via = proxy ? `the proxy ${proxy.url} (${proxy.variable})` : 'the proxy';
    const hint =
      status === 407
        ? `the proxy wants credentials: give them in the proxy URL (${proxy?.variable ?? 'HTTPS_PROXY'}=http://user:password@host:port)`
        : status === 403
          ? `the proxy does not allow ${host}; ask for it to be allowed, or list it in NO_PROXY if it can be reached directly`
          : `check the proxy (${proxy?.variable ?? 'HTTPS_PROXY'}) and NO_PROXY, or try again if the proxy was overloaded`;
    return new ConnectionError(host, `PROXY_${status}`, {
      ...opts,
      message: `could not connect to ${host}: ${via} refused the connection with HTTP ${status}`,
      hint,
      details: { proxy: proxy?.url ?? null, proxy_variable: proxy?.variable ?? null, proxy_status: status },
    });
  }
}

/** The status of a proxy that refused a CONNECT, from undici's error (or its causes). */
export function proxyRefusalStatus(error: unknown): number | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const m = /Proxy response \((\d{3})\)/.exec(String((e as { message?: unknown }).message ?? ''));
    if (m) return Number(m[1]);
  }
  return undefined;
}

const UNREACHABLE_ERRNOS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'UND_ERR_CONNECT_TIMEOUT']);

/** Every attempt ran out of its time limit. */
export class RequestTimeoutError extends CliError {
  constructor(request: RequestDescription, timeoutMs: number, opts: { attempts?: number; cause?: unknown } = {}) {
    const after = opts.attempts && opts.attempts > 1 ? ` (${opts.attempts} attempts)` : '';
    super(`${request.method} ${request.path} timed out after ${formatSeconds(timeoutMs)}${after}`, {
      exitCode: ExitCode.Api,
      code: 'request_timeout',
      hint: 'the API is slow or unreachable; try again later, or check the network and proxy settings',
      details: { method: request.method, path: request.path, timeout_ms: timeoutMs, attempts: opts.attempts ?? 1 },
      cause: opts.cause,
    });
  }
}

/** A 2xx whose body is not JSON, or not the shape the command needs. */
export class ResponseFormatError extends CliError {
  constructor(message: string, opts: { status?: number; requestId?: string; hint?: string; details?: unknown } = {}) {
    super(stripControl(message), {
      exitCode: ExitCode.Api,
      code: 'bad_response',
      status: opts.status,
      hint: opts.hint ?? 'the server did not answer like the Runflow API; check --base-url and any proxy in between',
      lines: opts.requestId ? [`request id: ${opts.requestId}`] : [],
      details: opts.details ?? (opts.requestId ? { request_id: opts.requestId } : undefined),
    });
  }
}

/** A presigned storage PUT was refused (expired URL, wrong Content-Type, …) after retries. */
export class StorageUploadError extends CliError {
  constructor(host: string, status: number, bodyText: string) {
    const summary = summariseStorageBody(bodyText);
    super(`upload to ${host} failed: HTTP ${status}${summary ? ` (${summary})` : ''}`, {
      exitCode: ExitCode.Api,
      code: 'upload_failed',
      status,
      hint:
        status === 403
          ? 'the presigned upload URL was refused (it may have expired); run the upload again'
          : 'run the upload again; if it keeps failing, check the network and proxy settings',
      details: { host, status },
    });
  }
}

export interface ApiErrorContext extends RequestDescription {
  /** Replaces the default hint for this status. */
  hint?: string;
  /** Where the key came from: a rejected RUNFLOW_API_KEY is not fixed by `login` (it wins over the stored key). */
  keySource?: 'env' | 'config';
}

/**
 * Builds the typed error for a non-2xx response. Reads the `{code, message, errors}` envelope,
 * tolerates `{error: {code, message}}`, and summarises non-JSON bodies (an HTML error page from a
 * proxy becomes one line naming its `<title>`), so nothing raw is ever dumped on the user.
 */
export function apiErrorFromResponse(
  status: number,
  headers: Record<string, string | string[] | undefined>,
  bodyText: string,
  ctx: ApiErrorContext,
): ApiError {
  const requestId = requestIdFrom(headers);
  const envelope = parseEnvelope(bodyText);
  const init: ApiErrorInit = { status, method: ctx.method, path: ctx.path, requestId };
  if (envelope) {
    init.apiCode = envelope.code;
    init.apiMessage = envelope.message;
    init.fieldErrors = envelope.fieldErrors;
    init.rawErrors = envelope.rawErrors;
  } else {
    const summary = summariseNonJson(bodyText, headers);
    if (summary) init.message = `HTTP ${status} from ${ctx.method} ${ctx.path}: ${summary}`;
  }
  init.hint = ctx.hint ?? defaultHint(status, init.apiCode, ctx);
  const ErrorClass = errorClassFor(status);
  return new ErrorClass(init);
}

function errorClassFor(status: number): typeof ApiError {
  switch (status) {
    case 401:
      return UnauthorizedError;
    case 402:
      return PaymentRequiredError;
    case 403:
      return PermissionDeniedError;
    case 404:
      return NotFoundError;
    case 409:
      return ConflictError;
    case 422:
      return ValidationError;
    case 429:
      return RateLimitError;
    default:
      return status >= 500 ? ServerError : ApiError;
  }
}

function isAuthStatus(status: number): boolean {
  return status === 401 || status === 402 || status === 403;
}

/** `POST /v1/evaluations failed: HTTP 422 VALIDATION_ERROR: Request validation failed` */
function describeFailure(init: ApiErrorInit): string {
  const reason = STATUS_CODES[init.status];
  const head = `${init.method} ${init.path} failed: HTTP ${init.status}`;
  const code = init.apiCode ? ` ${init.apiCode}` : reason ? ` ${reason}` : '';
  const message = init.apiMessage ? `: ${init.apiMessage}` : '';
  return `${head}${code}${message}`;
}

const EVALUATIONS_POST = /^\/v1\/evaluations\/?$/;

function defaultHint(status: number, apiCode: string | undefined, ctx: ApiErrorContext): string | undefined {
  const submitting = ctx.method === 'POST' && EVALUATIONS_POST.test(ctx.path);
  switch (status) {
    case 401:
      if (ctx.keySource === 'env') return 'the key in RUNFLOW_API_KEY is invalid, expired or revoked: set RUNFLOW_API_KEY to a valid key (it takes precedence over any key stored by `login`)';
      if (ctx.keySource === 'config') return 'the key stored by `login` is invalid, expired or revoked: run `runflow-eval login` with a valid key';
      return 'the API key is invalid, expired or revoked: run `runflow-eval login` with a valid key, or set RUNFLOW_API_KEY';
    case 402:
      return 'the account balance is too low: top up at https://app.runflow.io/settings/billing, then run again';
    case 403:
      if (apiCode === 'EMAIL_NOT_VERIFIED') return 'verify the account email address at https://app.runflow.io, then run again';
      if (apiCode === 'ORGANIZATION_MEMBERSHIP_REQUIRED') return 'the key does not belong to that organization: check --org / RUNFLOW_ORG_ID';
      return 'the API key lacks a needed scope (evaluations:create to submit, evaluations:read to read results): create a key with both scopes';
    case 404:
      return /^\/v1\/evaluations\/[^/]+/.test(ctx.path)
        ? 'check the evaluation id, and that it belongs to this organization (--org)'
        : undefined;
    case 409:
      return submitting
        ? 'this Idempotency-Key was already used for a different request; pass --resubmit to create a new evaluation'
        : 'the request conflicts with the current state; fetch it again and retry';
    case 422:
      return 'the API rejected the request; fix the fields listed above';
    case 429:
      return submitting
        ? "the service kept answering 429 (its request-rate limit, or a cap on evaluations in flight) until the deadline; allow more time with --timeout, or send fewer at once (gate --concurrency)"
        : 'rate limited by the API; wait a little and run again';
    default:
      return status >= 500 ? 'the API had a problem; try again in a little while' : undefined;
  }
}

function connectionHint(errno: string | undefined): string {
  // The other end does not speak TLS at all (an http:// server, or the wrong port): no certificate
  // bundle would help.
  if (errno && /WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|HTTP_REQUEST/i.test(errno)) {
    return 'the server did not answer in TLS: check the scheme and port of --base-url / RUNFLOW_BASE_URL (a local server on loopback may be http://)';
  }
  if (errno && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/i.test(errno)) {
    return 'the TLS certificate could not be verified; behind a corporate proxy, point NODE_EXTRA_CA_CERTS at its CA bundle';
  }
  if (errno === 'ENOTFOUND' || errno === 'EAI_AGAIN') return 'the host name did not resolve; check --base-url / RUNFLOW_BASE_URL and DNS';
  return 'check the network, the proxy settings (HTTPS_PROXY, NO_PROXY) and --base-url';
}

function formatSeconds(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`;
}
