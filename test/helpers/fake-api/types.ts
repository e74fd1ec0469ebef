/** The fake's options, faults and request log, and the shapes its modules pass around. */

export interface FakeApiOptions {
  /** Pending/running evaluations allowed per organization before a POST gets 429. @default Infinity */
  maxInflight?: number;
  /**
   * Evaluations processed at once; later ones wait `pending` in submission order, and `evalMs` (or
   * the outcome's `durationMs`) is then the time on a worker. @default Infinity (no queue)
   */
  workers?: number;
  /** Time from creation to a terminal status (time on a worker with `workers`). @default 50 */
  evalMs?: number;
  /** Body of GET /v1/evaluations/job-classes (served as is, so odd shapes can be tested). */
  jobClasses?: unknown;
  /** Valid bearer keys; `['*']` accepts any non-empty key. @default ['test-key'] */
  apiKeys?: string[];
  /** Retry-After sent with the in-flight 429; null sends none. @default '1' */
  retryAfter?: string | null;
  /** The fake's clock (ms), for lifecycle and timestamps. @default Date.now */
  now?: () => number;
  /** The organization a key belongs to when no X-Organization-Id is sent. */
  orgId?: string;
  /** Evaluations the balance covers; the next POST gets 402 INSUFFICIENT_CREDIT. @default Infinity */
  creditEvaluations?: number;
  /** Scopes per key; a key not listed has every scope. */
  scopes?: Record<string, string[]>;
  /**
   * A request-rate limit per key, `limit` requests per fixed window: 429 RATE_LIMITED when
   * exceeded. With `headers` (default true) every /v1 response carries X-RateLimit-* and the 429
   * a Retry-After; with `headers: false` nothing says how long to wait (the service today).
   */
  rateLimit?: { limit: number; windowMs: number; headers?: boolean };
  /** Random faults on /v1 requests (see ChaosOptions). */
  chaos?: ChaosOptions;
  /** Refuse (422) `runflow://assets/{uuid}` references to assets not uploaded here. @default false */
  requireKnownAssets?: boolean;
  /** Longest request body kept in the log (bodySize is always exact). @default Infinity */
  maxLoggedBody?: number;
  /**
   * GET /v1/billing/balance: the amount as a decimal string (null answers 404, as an API without
   * the endpoint). @default '1000000.000000' (covers any test)
   */
  balance?: string | null;
  /** `decimal`: the API reference's `{id, org_id, balance, …}`; `cents`: the pricing page's `{balance_cents, currency}`. @default 'decimal' */
  balanceShape?: 'decimal' | 'cents';
  /** Currency of the `cents` shape. @default 'USD' */
  balanceCurrency?: string;
  /** Served as is instead of the shapes above (odd shapes). */
  balanceBody?: unknown;
}

export interface FakeFault {
  method?: string;
  /** The pathname, exactly, or a pattern. */
  path?: string | RegExp;
  /** How many matching requests it applies to. @default 1 */
  times?: number;
  status?: number;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string as is (text/html when it starts with `<`). */
  body?: string | object;
  /** Destroy the socket instead of answering. */
  reset?: boolean;
  /** Wait this long first; then answer normally unless `status` or `reset` is given. */
  delayMs?: number;
  /**
   * Handle the request normally first (an evaluation is created, an upload is stored), then apply
   * the fault instead of sending the answer: a response lost on the way back.
   */
  afterHandling?: boolean;
}

/**
 * Faults injected at random into a share of /v1 requests, each kind equally likely: a reset before
 * the request is handled, a reset after it was handled (the response is lost although the server
 * acted), a 500 or 503, a 429 without headers, or a slow answer.
 */
export interface ChaosOptions {
  /** Share of requests that get a fault (0–1). */
  rate: number;
  /** @default 1 */
  seed?: number;
  /** Delay of a slow answer. @default 1500 */
  slowMs?: number;
}

export interface LoggedRequest {
  method: string;
  /** The pathname. */
  path: string;
  query: URLSearchParams;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: string;
  bodySize: number;
  time: number;
  /** The status answered (undefined for a reset or unanswered request). */
  status?: number;
  /** The fault injected by `chaos`, if any. */
  chaos?: string;
}

export interface UploadRecord {
  filename: string;
  mime_type: string;
  size_bytes: number;
  /** Bytes received by the storage PUT. */
  received?: number;
  /** Content-Type the storage PUT declared. */
  contentType?: string;
  /** Headers of the storage PUT (empty until it happens). */
  headers: Record<string, string>;
  confirmed?: boolean;
  org_id: string;
}

export type OutcomeFn = (body: any, index: number) => Partial<Record<string, unknown>> & { durationMs?: number };

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface EvalState {
  id: string;
  org: string;
  createdAt: number;
  /** From creation to the terminal status (queue wait included). */
  durationMs: number;
  pendingMs: number;
  /** Time on a worker (what `eval_duration_ms` reports). */
  runMs: number;
  /** Fields the terminal record gets (defaults merged with the outcome). */
  final: Record<string, unknown>;
  record: Record<string, unknown>;
  terminal: boolean;
  /** Seeded with putRecord: served verbatim, no lifecycle. */
  seeded: boolean;
}

/** The options in force: every default filled in. */
export type ResolvedOptions = Required<Omit<FakeApiOptions, 'scopes' | 'rateLimit' | 'chaos' | 'balanceBody'>> &
  Pick<FakeApiOptions, 'scopes' | 'rateLimit' | 'chaos' | 'balanceBody'>;

export interface FieldError {
  loc: Array<string | number>;
  msg: string;
  type: string;
}
