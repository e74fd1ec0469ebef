/**
 * A stateful fake of the Runflow API on a real socket (127.0.0.1, port 0), shared by every test
 * tier: in-process commands and spawned binaries talk to it over HTTP exactly as they would to
 * the service, so retries, timeouts, streaming uploads and headers are exercised for real.
 *
 * What it models (seeds/000, seeds/001, docs/runflow-api.md):
 * - Bearer auth on every /v1 route except /v1/health (401 UNAUTHORIZED), optional per-key scopes
 *   (403 PERMISSION_DENIED), a credit budget (402 INSUFFICIENT_CREDIT) and a request-rate limit,
 *   with X-RateLimit-* headers and Retry-After (older docs) or with none at all (the service's
 *   rate-limit page today: `rateLimit.headers: false`).
 * - A worker queue (`workers`): that many evaluations run at once, later ones stay `pending` in
 *   submission order until a worker is free, as the documented service does; `idealMakespan()`
 *   says how long the evaluations of a run would take had every one been submitted at once.
 * - Mixed faults at random (`chaos`): resets, responses lost after the server acted, 5xx, 429
 *   and slow answers, from a seeded generator so a failing run can be replayed.
 * - POST /v1/evaluations with the seeds' validation (422 VALIDATION_ERROR with `errors[].loc`),
 *   Idempotency-Key replay (same key + same body → the same evaluation) and conflict (409), and an
 *   in-flight limit (429 RATE_LIMITED, Retry-After).
 * - Evaluations move pending → running → completed/failed with time, computed lazily from their
 *   creation time (no timers). `embed` adds judges/action/gate_failures only when asked for.
 * - GET /v1/billing/balance in either documented shape (`balance` decimal string, or
 *   `balance_cents` + `currency`), 404 when `balance` is null, 403 without the `billing:read` scope.
 * - The three-step upload: session, presigned PUT to /storage/:id (streamed and counted, never
 *   buffered; refuses an Authorization header like a real presigned URL does), confirmation.
 * - Faults (`fault()`): a status, a slow answer, or a reset socket, before or after the request is
 *   handled, matched in order.
 * - Unknown routes answer 404 and are recorded in `unexpected`, so tests can assert none happened.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

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

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

interface EvalState {
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

const EMBEDS = ['judges', 'gate_failures', 'action'] as const;
const KNOWN_EMBEDS = new Set<string>([...EMBEDS, 'run', 'model', 'parent_evaluation']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ASSET_REF = /^runflow:\/\/assets\/([0-9a-f-]{36})$/i;
const MAX_UPLOAD_BYTES = 52_428_800;
const MAX_IMAGE_URL = 12_000_000;

export const DEFAULT_JOB_CLASSES = {
  items: [{ code: 'standard', name: 'Standard', price: '0.400000', currency_code: 'USD', is_active: true }],
};

const EVALUATION_FIELDS = new Set([
  'generated_image_url',
  'task_type',
  'task_description',
  'generation_prompt',
  'evaluation_instructions',
  'input_attributes',
  'reference_images',
  'run_id',
  'client_ref',
  'job_class',
  'callback_url',
]);

/** String caps from the seed (POST /v1/evaluations). */
const STRING_CAPS: Array<[field: string, max: number]> = [
  ['task_description', 4000],
  ['generation_prompt', 10000],
  ['evaluation_instructions', 4000],
  ['client_ref', 255],
  ['job_class', 50],
  ['callback_url', 2048],
];

export class FakeApi {
  readonly url: string;
  readonly requests: LoggedRequest[] = [];
  /** Requests no route matched (each also answered 404/405). */
  readonly unexpected: LoggedRequest[] = [];
  /** id → record, including judges/gate_failures/action; refreshed when served (see `evaluation()`). */
  readonly evaluations = new Map<string, Record<string, unknown>>();
  readonly uploads = new Map<string, UploadRecord>();
  /** Confirmed assets by id. */
  readonly assets = new Map<string, Record<string, unknown>>();
  /** Options in force; tests may change them between requests. */
  options: Required<Omit<FakeApiOptions, 'scopes' | 'rateLimit' | 'chaos' | 'balanceBody'>> & Pick<FakeApiOptions, 'scopes' | 'rateLimit' | 'chaos' | 'balanceBody'>;
  /** Most requests being handled at the same time so far. */
  peakConcurrentRequests = 0;

  readonly #server: http.Server;
  readonly #initialOptions: FakeApi['options'];
  #faults: Array<FakeFault & { remaining: number }> = [];
  #outcome: OutcomeFn | undefined;
  #states = new Map<string, EvalState>();
  #inflight = new Set<string>();
  #idempotency = new Map<string, { hash: string; id: string }>();
  #created = 0;
  #active = 0;
  #requestCounter = 0;
  #rateWindows = new Map<string, { start: number; count: number }>();
  #timers = new Set<NodeJS.Timeout>();
  /** When each worker is next free (with `workers`). */
  #workerFreeAt: number[] = [];
  /** Time on a worker of every evaluation created, in creation order (for idealMakespan). */
  #runTimes: number[] = [];
  /** When each evaluation ran on a worker (with `workers`). */
  #runs: Array<{ start: number; end: number }> = [];
  /** Most evaluations pending or running at once so far. */
  peakInflight = 0;
  #chaosRandom: () => number = seededRandom(1);
  readonly #userId = randomUUID();

  private constructor(server: http.Server, url: string, opts: FakeApiOptions) {
    this.#server = server;
    this.url = url;
    this.#initialOptions = {
      maxInflight: opts.maxInflight ?? Infinity,
      workers: opts.workers ?? Infinity,
      evalMs: opts.evalMs ?? 50,
      jobClasses: opts.jobClasses ?? DEFAULT_JOB_CLASSES,
      apiKeys: opts.apiKeys ?? ['test-key'],
      retryAfter: opts.retryAfter === undefined ? '1' : opts.retryAfter,
      now: opts.now ?? Date.now,
      orgId: opts.orgId ?? randomUUID(),
      creditEvaluations: opts.creditEvaluations ?? Infinity,
      requireKnownAssets: opts.requireKnownAssets ?? false,
      maxLoggedBody: opts.maxLoggedBody ?? Infinity,
      scopes: opts.scopes,
      rateLimit: opts.rateLimit,
      chaos: opts.chaos,
      balance: opts.balance === undefined ? '1000000.000000' : opts.balance,
      balanceShape: opts.balanceShape ?? 'decimal',
      balanceCurrency: opts.balanceCurrency ?? 'USD',
      balanceBody: opts.balanceBody,
    };
    this.options = { ...this.#initialOptions };
    this.#chaosRandom = seededRandom(opts.chaos?.seed ?? 1);
  }

  static async start(opts: FakeApiOptions = {}): Promise<FakeApi> {
    let api: FakeApi | undefined;
    const server = http.createServer((req, res) => {
      void api!.#handle(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    api = new FakeApi(server, `http://127.0.0.1:${port}`, opts);
    return api;
  }

  /** Queues a fault; the first queued fault that matches a request applies to it. */
  fault(f: FakeFault): void {
    this.#faults.push({ ...f, remaining: f.times ?? 1 });
  }

  /** Faults not yet used up (to assert that a test's faults all fired). */
  get pendingFaults(): number {
    return this.#faults.length;
  }

  /**
   * Decides each new evaluation's outcome from its request body. Return record fields for the
   * terminal record (`failure_code` alone makes it `failed`; `judges`, `action`, `gate_failures`
   * replace the defaults) and optionally `durationMs` (Infinity: it never finishes).
   */
  setOutcome(fn: OutcomeFn | undefined): void {
    this.#outcome = fn;
  }

  /** Seeds a record served verbatim by GET /v1/evaluations/:id (odd shapes welcome). */
  putRecord(record: Record<string, unknown>): void {
    const id = record.id;
    if (typeof id !== 'string') throw new TypeError('putRecord: the record needs a string id');
    const state: EvalState = {
      id,
      org: typeof record.org_id === 'string' ? record.org_id : this.options.orgId,
      createdAt: this.options.now(),
      durationMs: 0,
      pendingMs: 0,
      runMs: 0,
      final: {},
      record,
      terminal: true,
      seeded: true,
    };
    this.#states.set(id, state);
    this.evaluations.set(id, record);
  }

  /** The evaluation's record as of now (status advanced), or undefined. */
  evaluation(id: string): Record<string, unknown> | undefined {
    const state = this.#states.get(id);
    if (!state) return undefined;
    this.#advance(state);
    return state.record;
  }

  /**
   * Forgets every Idempotency-Key, as the service does after its (undocumented) retention: the
   * same key then creates a new evaluation.
   */
  forgetIdempotencyKeys(): void {
    this.#idempotency.clear();
  }

  /** Forgets an evaluation: GET answers 404 for it, and its key is forgotten too. */
  forgetEvaluation(id: string): void {
    this.#states.delete(id);
    this.#inflight.delete(id);
    this.evaluations.delete(id);
    for (const [key, entry] of this.#idempotency) if (entry.id === id) this.#idempotency.delete(key);
  }

  /** Makes an evaluation reach its terminal status now. */
  finishNow(id: string): void {
    const state = this.#states.get(id);
    if (!state || state.seeded) return;
    state.durationMs = Math.max(0, this.options.now() - state.createdAt);
    state.pendingMs = Math.min(state.pendingMs, state.durationMs);
    this.#advance(state);
  }

  /**
   * The shortest possible makespan of the evaluations created so far: every one submitted at the
   * same instant, in creation order, with the same times on the same workers (the in-flight
   * limit acts as that many workers; no limit at all means each starts at once).
   */
  idealMakespan(): number {
    const slots = Math.min(this.options.workers, this.options.maxInflight);
    return idealMakespan(this.#runTimes, slots);
  }

  /**
   * Share of the workers' capacity in use between the first and the last start of an evaluation
   * (1: the queue never ran dry while there was work to come). Needs `workers`.
   */
  workerBusyShare(): number {
    if (!this.#runs.length || !Number.isFinite(this.options.workers)) return 1;
    const from = Math.min(...this.#runs.map((r) => r.start));
    const to = Math.max(...this.#runs.map((r) => r.start));
    if (to <= from) return 1;
    let busy = 0;
    for (const r of this.#runs) busy += Math.max(0, Math.min(r.end, to) - Math.max(r.start, from));
    return busy / (this.options.workers * (to - from));
  }

  /** Requests answered 429, and the share of all requests they are. */
  rateLimited(): { count: number; share: number } {
    const count = this.requests.filter((r) => r.status === 429).length;
    return { count, share: this.requests.length ? count / this.requests.length : 0 };
  }

  /** Requests matching a method and a path (exact or pattern). */
  find(method: string, path: string | RegExp): LoggedRequest[] {
    return this.requests.filter((r) => r.method === method && matchPath(path, r.path));
  }

  /** Forgets every request, fault, evaluation, upload and outcome, and restores the options. */
  reset(): void {
    this.requests.length = 0;
    this.unexpected.length = 0;
    this.evaluations.clear();
    this.uploads.clear();
    this.assets.clear();
    this.#faults = [];
    this.#outcome = undefined;
    this.#states.clear();
    this.#inflight.clear();
    this.#idempotency.clear();
    this.#rateWindows.clear();
    this.#created = 0;
    this.#workerFreeAt = [];
    this.#runTimes = [];
    this.#runs = [];
    this.peakInflight = 0;
    this.peakConcurrentRequests = 0;
    this.options = { ...this.#initialOptions };
    this.#chaosRandom = seededRandom(this.options.chaos?.seed ?? 1);
  }

  async close(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  // ---- request handling ----------------------------------------------------------------------

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.#active++;
    this.peakConcurrentRequests = Math.max(this.peakConcurrentRequests, this.#active);
    res.on('close', () => this.#active--);
    res.on('error', () => {});
    req.on('error', () => {});
    try {
      const url = new URL(req.url ?? '/', this.url);
      const isStorage = url.pathname.startsWith('/storage/');
      const { text, size } = await readBody(req, !isStorage);
      const logged: LoggedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: flattenHeaders(req.headers),
        body: text.length > this.options.maxLoggedBody ? text.slice(0, this.options.maxLoggedBody) : text,
        bodySize: size,
        time: this.options.now(),
      };
      this.requests.push(logged);

      const fault = this.#takeFault(logged) ?? this.#chaosFault(logged);
      if (fault?.delayMs) {
        const stillOpen = await this.#sleepWhileOpen(fault.delayMs, res);
        if (!stillOpen) return;
      }
      if (fault && !fault.afterHandling && (fault.reset || fault.status !== undefined)) {
        this.#applyFault(fault, res, logged);
        return;
      }
      const reply = await this.#route(logged, text, url);
      if (fault?.afterHandling && (fault.reset || fault.status !== undefined)) {
        this.#applyFault(fault, res, logged);
        return;
      }
      this.#send(res, logged, reply);
    } catch (err) {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ code: 'FAKE_API_BUG', message: String(err) }));
      }
    }
  }

  #takeFault(req: LoggedRequest): FakeFault | undefined {
    const index = this.#faults.findIndex(
      (f) => (f.method === undefined || f.method.toUpperCase() === req.method) && (f.path === undefined || matchPath(f.path, req.path)),
    );
    if (index < 0) return undefined;
    const fault = this.#faults[index];
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.#faults.splice(index, 1);
    return fault;
  }

  /** A random fault for a share of /v1 requests (options.chaos), or none. */
  #chaosFault(req: LoggedRequest): FakeFault | undefined {
    const chaos = this.options.chaos;
    if (!chaos || !req.path.startsWith('/v1/') || req.path === '/v1/health') return undefined;
    if (this.#chaosRandom() >= chaos.rate) return undefined;
    const kinds: Array<[string, FakeFault]> = [
      ['reset', { reset: true }],
      ['lost-response', { reset: true, afterHandling: true }],
      ['500', { status: 500 }],
      ['503', { status: 503 }],
      ['429', { status: 429 }],
      ['slow', { delayMs: chaos.slowMs ?? 1500 }],
    ];
    const [name, fault] = kinds[Math.floor(this.#chaosRandom() * kinds.length)];
    req.chaos = name;
    return fault;
  }

  #applyFault(fault: FakeFault, res: ServerResponse, logged: LoggedRequest): void {
    if (fault.reset) {
      res.socket?.destroy();
      return;
    }
    const status = fault.status ?? 500;
    let body: unknown = fault.body;
    if (body === undefined) body = defaultErrorBody(status);
    this.#send(res, logged, { status, body, headers: fault.headers });
  }

  /** Resolves true after `ms`, or false as soon as the client goes away. */
  #sleepWhileOpen(ms: number, res: ServerResponse): Promise<boolean> {
    return new Promise((resolve) => {
      const onClose = () => {
        clearTimeout(timer);
        this.#timers.delete(timer);
        resolve(false);
      };
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        res.off('close', onClose);
        resolve(!res.destroyed);
      }, ms);
      this.#timers.add(timer);
      res.once('close', onClose);
    });
  }

  #send(res: ServerResponse, logged: LoggedRequest, reply: Reply): void {
    if (res.destroyed || res.headersSent) return;
    logged.status = reply.status;
    const headers: Record<string, string> = { 'x-request-id': `req_${++this.#requestCounter}`, ...lowerKeys(reply.headers ?? {}) };
    let payload = '';
    if (typeof reply.body === 'string') {
      payload = reply.body;
      headers['content-type'] ??= reply.body.trimStart().startsWith('<') ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8';
    } else if (reply.body !== undefined) {
      payload = JSON.stringify(reply.body);
      headers['content-type'] ??= 'application/json';
    }
    headers['content-length'] = String(Buffer.byteLength(payload));
    res.writeHead(reply.status, headers);
    res.end(payload);
  }

  async #route(req: LoggedRequest, text: string, url: URL): Promise<Reply> {
    const { method, path } = req;
    if (path.startsWith('/storage/')) return method === 'PUT' ? this.#storagePut(req, path.slice('/storage/'.length), url) : this.#unexpected(req, 405);
    if (path === '/v1/health') return method === 'GET' ? { status: 200, body: { status: 'ok' } } : this.#unexpected(req, 405);
    if (!path.startsWith('/v1/')) return this.#unexpected(req, 404);

    const key = bearerKey(req.headers.authorization);
    if (!key || !this.#keyIsValid(key)) {
      return { status: 401, body: { code: 'UNAUTHORIZED', message: key ? 'Invalid or revoked API key.' : 'Missing bearer token.', errors: null } };
    }
    const org = req.headers['x-organization-id'] || this.options.orgId;
    const limited = this.#rateLimit(key);
    if (limited.reply) return limited.reply;
    const reply = await this.#routeV1(req, text, key, org);
    reply.headers = { ...limited.headers, ...reply.headers };
    return reply;
  }

  async #routeV1(req: LoggedRequest, text: string, key: string, org: string): Promise<Reply> {
    const { method, path } = req;
    let m: RegExpExecArray | null;
    if (path === '/v1/auth/me') {
      return method === 'GET' ? { status: 200, body: this.#me(key, org) } : this.#unexpected(req, 405);
    }
    if (path === '/v1/evaluations/job-classes') {
      return method === 'GET' ? { status: 200, body: this.options.jobClasses } : this.#unexpected(req, 405);
    }
    if (path === '/v1/billing/balance') {
      if (method !== 'GET') return this.#unexpected(req, 405);
      if (!this.#hasScope(key, 'billing:read')) return permissionDenied('billing:read');
      return this.#balance(org);
    }
    if (path === '/v1/evaluations/statuses') {
      return method === 'GET' ? { status: 200, body: { items: ['pending', 'running', 'completed', 'failed'].map((code) => ({ code })) } } : this.#unexpected(req, 405);
    }
    if (path === '/v1/evaluations' || path === '/v1/evaluations/') {
      if (method !== 'POST') return this.#unexpected(req, 405);
      if (!this.#hasScope(key, 'evaluations:create')) return permissionDenied('evaluations:create');
      return this.#createEvaluation(req, text, org);
    }
    if ((m = /^\/v1\/evaluations\/([^/]+)$/.exec(path))) {
      if (method !== 'GET') return this.#unexpected(req, 405);
      if (!this.#hasScope(key, 'evaluations:read')) return permissionDenied('evaluations:read');
      return this.#getEvaluation(decodeURIComponent(m[1]), req.query, org);
    }
    if ((m = /^\/v1\/evaluations\/([^/]+)\/feedback$/.exec(path))) {
      if (method !== 'PATCH') return this.#unexpected(req, 405);
      return this.#feedback(decodeURIComponent(m[1]), text, org);
    }
    if (path === '/v1/asset-uploads') {
      return method === 'POST' ? this.#createUpload(text, org) : this.#unexpected(req, 405);
    }
    if ((m = /^\/v1\/asset-uploads\/([^/]+)\/confirmations$/.exec(path))) {
      return method === 'POST' ? this.#confirmUpload(decodeURIComponent(m[1]), text, org) : this.#unexpected(req, 405);
    }
    if ((m = /^\/v1\/assets\/([^/]+)$/.exec(path))) {
      if (method !== 'GET') return this.#unexpected(req, 405);
      const asset = this.assets.get(decodeURIComponent(m[1]));
      return asset && asset.org_id === org
        ? { status: 200, body: asset }
        : { status: 404, body: { code: 'ASSET_NOT_FOUND', message: 'Asset not found.', errors: null } };
    }
    return this.#unexpected(req, 404);
  }

  #unexpected(req: LoggedRequest, status: 404 | 405): Reply {
    this.unexpected.push(req);
    return {
      status,
      body: { code: status === 404 ? 'NOT_FOUND' : 'METHOD_NOT_ALLOWED', message: `fake API: no route for ${req.method} ${req.path}`, errors: null },
    };
  }

  // ---- auth, scopes, rate limit ----------------------------------------------------------------

  #keyIsValid(key: string): boolean {
    const keys = this.options.apiKeys;
    return keys.includes('*') || keys.includes(key);
  }

  #hasScope(key: string, scope: string): boolean {
    const scopes = this.options.scopes?.[key];
    return scopes === undefined || scopes.includes(scope);
  }

  #rateLimit(key: string): { reply?: Reply; headers: Record<string, string> } {
    const limit = this.options.rateLimit;
    if (!limit) return { headers: {} };
    const now = this.options.now();
    let window = this.#rateWindows.get(key);
    if (!window || now - window.start >= limit.windowMs) {
      window = { start: now, count: 0 };
      this.#rateWindows.set(key, window);
    }
    window.count += 1;
    const resetMs = window.start + limit.windowMs;
    const withHeaders = limit.headers !== false;
    const headers: Record<string, string> = withHeaders
      ? {
          'x-ratelimit-limit': String(limit.limit),
          'x-ratelimit-remaining': String(Math.max(0, limit.limit - window.count)),
          'x-ratelimit-reset': String(Math.ceil(resetMs / 1000)),
        }
      : {};
    if (window.count <= limit.limit) return { headers };
    // A refused request does not use up the window.
    window.count -= 1;
    const retryAfter = String(Math.max(1, Math.ceil((resetMs - now) / 1000)));
    return {
      headers,
      reply: {
        status: 429,
        headers: withHeaders ? { ...headers, 'retry-after': retryAfter } : {},
        body: { code: 'RATE_LIMITED', message: `Rate limit exceeded: ${limit.limit} requests per ${limit.windowMs} ms.`, errors: null },
      },
    };
  }

  #me(key: string, org: string): Record<string, unknown> {
    return {
      id: this.#userId,
      email: 'ci@example.com',
      first_name: 'Test',
      last_name: 'User',
      org_id: org,
      organization: { id: org, name: 'Test Organization' },
      scopes: this.options.scopes?.[key] ?? ['evaluations:create', 'evaluations:read'],
    };
  }

  #balance(org: string): Reply {
    const o = this.options;
    if (o.balanceBody !== undefined) return { status: 200, body: o.balanceBody };
    if (o.balance === null) return { status: 404, body: { code: 'NOT_FOUND', message: 'Not found.', errors: null } };
    if (o.balanceShape === 'cents') {
      const m = /^(-?)(\d*)(?:\.(\d*))?$/.exec(o.balance.trim());
      if (!m) throw new Error(`fake API: balance ${o.balance} is not a decimal`);
      const cents = (Number(m[2] || '0') * 100 + Number((m[3] ?? '').padEnd(2, '0').slice(0, 2))) * (m[1] ? -1 : 1);
      return { status: 200, body: { balance_cents: cents, currency: o.balanceCurrency } };
    }
    const iso = new Date(o.now()).toISOString();
    return {
      status: 200,
      body: { id: randomUUID(), org_id: org, balance: o.balance, low_balance_threshold: '5.000000', low_balance_notified_at: null, created_at: iso, updated_at: iso },
    };
  }

  // ---- evaluations -----------------------------------------------------------------------------

  #createEvaluation(req: LoggedRequest, text: string, org: string): Reply {
    const parsed = parseJson(text);
    if (!parsed.ok) return validationError([{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }]);
    const errors = this.#validateEvaluation(parsed.value);
    if (errors.length > 0) return validationError(errors);
    const body = parsed.value as Record<string, unknown>;

    const key = req.headers['idempotency-key'];
    const hash = key === undefined ? '' : canonicalHash(body);
    if (key !== undefined) {
      if (key === '' || key.length > 255) {
        return validationError([{ loc: ['header', 'Idempotency-Key'], msg: 'String should have 1 to 255 characters', type: 'string_type' }]);
      }
      const previous = this.#idempotency.get(`${org}\u0000${key}`);
      if (previous) {
        if (previous.hash !== hash) {
          return {
            status: 409,
            body: { code: 'IDEMPOTENCY_CONFLICT', message: 'This Idempotency-Key was already used with a different request body.', errors: null },
          };
        }
        const state = this.#states.get(previous.id)!;
        this.#advance(state);
        return { status: 202, body: withoutEmbeds(state.record), headers: { 'idempotent-replayed': 'true', location: `/v1/evaluations/${state.id}` } };
      }
    }

    if (this.options.creditEvaluations <= 0) {
      return { status: 402, body: { code: 'INSUFFICIENT_CREDIT', message: 'Account balance is too low. Top up.', errors: null } };
    }
    if (this.#inflightCount(org) >= this.options.maxInflight) {
      const headers: Record<string, string> = {};
      if (this.options.retryAfter !== null) headers['retry-after'] = this.options.retryAfter;
      return {
        status: 429,
        headers,
        body: { code: 'RATE_LIMITED', message: `Too many evaluations in flight (limit ${this.options.maxInflight}).`, errors: null },
      };
    }

    this.options.creditEvaluations -= 1;
    const state = this.#newEvaluation(body, org);
    if (key !== undefined) this.#idempotency.set(`${org}\u0000${key}`, { hash, id: state.id });
    return { status: 202, body: withoutEmbeds(state.record), headers: { location: `/v1/evaluations/${state.id}` } };
  }

  #validateEvaluation(body: unknown): FieldError[] {
    if (!isObject(body)) return [{ loc: ['body'], msg: 'Input should be a valid dictionary', type: 'dict_type' }];
    const errors: FieldError[] = [];
    for (const field of Object.keys(body)) {
      if (!EVALUATION_FIELDS.has(field)) errors.push({ loc: ['body', field], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' });
    }
    const imageError = (loc: Array<string | number>, value: unknown) => {
      if (typeof value !== 'string') return { loc, msg: value === undefined ? 'Field required' : 'Input should be a valid string', type: value === undefined ? 'missing' : 'string_type' };
      if (value.length > MAX_IMAGE_URL) return { loc, msg: `String should have at most ${MAX_IMAGE_URL} characters`, type: 'string_too_long' };
      if (!/^(https:\/\/|runflow:\/\/assets\/|data:image\/)/i.test(value)) {
        return { loc, msg: 'URL must be https://, runflow://assets/{uuid}, or a data:image/ URI', type: 'value_error' };
      }
      const asset = ASSET_REF.exec(value);
      if (value.startsWith('runflow://') && !asset) return { loc, msg: 'Invalid asset reference; expected runflow://assets/{uuid}', type: 'value_error' };
      if (asset && this.options.requireKnownAssets && !this.assets.has(asset[1])) {
        return { loc, msg: `asset not found or expired: ${value}`, type: 'value_error' };
      }
      return undefined;
    };
    const image = imageError(['body', 'generated_image_url'], body.generated_image_url);
    if (image) errors.push(image);

    const taskType = body.task_type;
    if (typeof taskType !== 'string') {
      errors.push({ loc: ['body', 'task_type'], msg: taskType === undefined ? 'Field required' : 'Input should be a valid string', type: taskType === undefined ? 'missing' : 'string_type' });
    } else if (taskType.length < 1 || taskType.length > 100) {
      errors.push({ loc: ['body', 'task_type'], msg: 'String should have 1 to 100 characters', type: 'string_length' });
    }
    for (const [field, max] of STRING_CAPS) {
      const value = body[field];
      if (value === undefined || value === null) continue;
      if (typeof value !== 'string') errors.push({ loc: ['body', field], msg: 'Input should be a valid string', type: 'string_type' });
      else if (value.length > max) errors.push({ loc: ['body', field], msg: `String should have at most ${max} characters`, type: 'string_too_long' });
    }
    if (body.input_attributes !== undefined && body.input_attributes !== null && !isObject(body.input_attributes)) {
      errors.push({ loc: ['body', 'input_attributes'], msg: 'Input should be a valid dictionary', type: 'dict_type' });
    }
    const refs = body.reference_images;
    if (refs !== undefined && refs !== null) {
      if (!Array.isArray(refs)) errors.push({ loc: ['body', 'reference_images'], msg: 'Input should be a valid list', type: 'list_type' });
      else {
        if (refs.length > 4) errors.push({ loc: ['body', 'reference_images'], msg: 'List should have at most 4 items after validation', type: 'too_long' });
        refs.forEach((ref, i) => {
          if (!isObject(ref)) {
            errors.push({ loc: ['body', 'reference_images', i], msg: 'Input should be a valid dictionary', type: 'dict_type' });
            return;
          }
          const refError = imageError(['body', 'reference_images', i, 'url'], ref.url);
          if (refError) errors.push(refError);
          for (const k of Object.keys(ref)) {
            if (k !== 'url' && k !== 'kind' && k !== 'description') errors.push({ loc: ['body', 'reference_images', i, k], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' });
            else if (k !== 'url' && ref[k] !== null && typeof ref[k] !== 'string') errors.push({ loc: ['body', 'reference_images', i, k], msg: 'Input should be a valid string', type: 'string_type' });
          }
        });
      }
    }
    if (body.run_id !== undefined && body.run_id !== null && (typeof body.run_id !== 'string' || !UUID.test(body.run_id))) {
      errors.push({ loc: ['body', 'run_id'], msg: 'Input should be a valid UUID', type: 'uuid_parsing' });
    }
    if (typeof body.callback_url === 'string' && !/^https:\/\/[^\s/]+/i.test(body.callback_url)) {
      errors.push({ loc: ['body', 'callback_url'], msg: 'URL scheme should be https', type: 'url_scheme' });
    }
    if (typeof body.job_class === 'string' && body.job_class.length <= 50) {
      const active = activeJobClasses(this.options.jobClasses);
      if (active && !active.includes(body.job_class)) {
        errors.push({ loc: ['body', 'job_class'], msg: `Unknown or inactive job class '${body.job_class}'`, type: 'enum' });
      }
    }
    return errors;
  }

  #newEvaluation(body: Record<string, unknown>, org: string): EvalState {
    const index = this.#created++;
    const now = this.options.now();
    const id = randomUUID();
    const { durationMs: outcomeDuration, ...outcome } = this.#outcome?.(body, index) ?? {};
    const runMs = Math.max(0, outcomeDuration ?? this.options.evalMs);
    this.#runTimes.push(runMs);
    // With workers, the evaluation waits (pending) for the first free one, in submission order.
    let queuedMs = 0;
    if (Number.isFinite(this.options.workers)) {
      const free = this.#workerFreeAt;
      if (free.length < this.options.workers) free.push(now);
      let slot = 0;
      for (let i = 1; i < free.length; i++) if (free[i] < free[slot]) slot = i;
      const start = Math.max(now, free[slot]);
      free[slot] = start + runMs;
      queuedMs = start - now;
      this.#runs.push({ start, end: start + runMs });
    }
    const durationMs = queuedMs + runMs;
    const jobClass = typeof body.job_class === 'string' ? body.job_class : 'standard';
    const iso = new Date(now).toISOString();
    const record: Record<string, unknown> = {
      id,
      org_id: org,
      run_id: body.run_id ?? null,
      target_type_code: null,
      model_id: null,
      flow_id: null,
      comfyui_workflow_id: null,
      status_code: 'pending',
      task_type: body.task_type,
      task_description: body.task_description ?? null,
      generation_prompt: body.generation_prompt ?? null,
      generated_image_url: hostedUrl(body.generated_image_url as string, id, 'generated'),
      input_attributes: body.input_attributes ?? {},
      evaluation_instructions: body.evaluation_instructions ?? null,
      reference_images: Array.isArray(body.reference_images)
        ? (body.reference_images as Array<Record<string, unknown>>).map((ref, i) => ({ ...ref, url: hostedUrl(String(ref.url), id, `reference-${i + 1}`) }))
        : [],
      overall_passed: null,
      weighted_pass_rate: null,
      override_reason: null,
      top_issues: null,
      top_strengths: null,
      check_summary: {},
      analysis_modules_executed: null,
      primary_action_code: null,
      parent_evaluation_id: null,
      attempt_number: 1,
      superseded_at: null,
      eval_duration_ms: null,
      feedback_is_positive: null,
      feedback_reason: null,
      created_at: iso,
      updated_at: iso,
      source_code: 'api',
      client_ref: body.client_ref ?? null,
      submitted_at: iso,
      completed_at: null,
      callback_url: body.callback_url ?? null,
      cost: null,
      failure_code: null,
      job_class_code: jobClass,
      links: { self: `/v1/evaluations/${id}` },
      judges: [],
      gate_failures: [],
      action: null,
    };
    const state: EvalState = {
      id,
      org,
      createdAt: now,
      durationMs,
      pendingMs: Number.isFinite(this.options.workers) ? queuedMs : Math.min(durationMs / 4, 1000),
      runMs,
      final: terminalFields(record, outcome, this.#price(jobClass), runMs, isBrokenDataUri(body.generated_image_url)),
      record,
      terminal: false,
      seeded: false,
    };
    this.#states.set(id, state);
    this.evaluations.set(id, record);
    this.#inflight.add(id);
    this.peakInflight = Math.max(this.peakInflight, this.#inflightCount(org));
    return state;
  }

  #price(jobClass: string): string {
    const items = jobClassItems(this.options.jobClasses);
    const found = items?.find((c) => c.code === jobClass);
    return typeof found?.price === 'string' ? found.price : '0.400000';
  }

  /** Moves the record to the status its age says it has. */
  #advance(state: EvalState): void {
    if (state.terminal || state.seeded) return;
    const now = this.options.now();
    const age = now - state.createdAt;
    const record = state.record;
    if (age >= state.durationMs) {
      Object.assign(record, state.final, {
        updated_at: new Date(state.createdAt + state.durationMs).toISOString(),
        completed_at: new Date(state.createdAt + state.durationMs).toISOString(),
      });
      state.terminal = true;
      this.#inflight.delete(state.id);
    } else if (age >= state.pendingMs && record.status_code === 'pending') {
      record.status_code = 'running';
      record.updated_at = new Date(state.createdAt + state.pendingMs).toISOString();
    }
  }

  #inflightCount(org: string): number {
    let count = 0;
    for (const id of [...this.#inflight]) {
      const state = this.#states.get(id);
      if (!state) continue;
      this.#advance(state);
      if (!state.terminal && state.org === org) count++;
    }
    return count;
  }

  #getEvaluation(id: string, query: URLSearchParams, org: string): Reply {
    if (!UUID.test(id) && !this.#states.has(id)) {
      return validationError([{ loc: ['path', 'id'], msg: 'Input should be a valid UUID', type: 'uuid_parsing' }]);
    }
    const state = this.#states.get(id);
    if (!state || (!state.seeded && state.org !== org)) {
      return { status: 404, body: { code: 'EVALUATION_NOT_FOUND', message: `Evaluation ${id} not found.`, errors: null } };
    }
    if (state.seeded) return { status: 200, body: state.record };
    const embeds = (query.get('embed') ?? '')
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean);
    const unknown = embeds.filter((e) => !KNOWN_EMBEDS.has(e));
    if (unknown.length > 0) {
      return validationError([{ loc: ['query', 'embed'], msg: `Unknown embed value(s): ${unknown.join(', ')}`, type: 'enum' }]);
    }
    this.#advance(state);
    const body = withoutEmbeds(state.record);
    for (const name of EMBEDS) if (embeds.includes(name)) body[name] = state.record[name];
    for (const name of ['run', 'model', 'parent_evaluation']) if (embeds.includes(name)) body[name] = null;
    return { status: 200, body };
  }

  #feedback(id: string, text: string, org: string): Reply {
    const state = this.#states.get(id);
    if (!state || (!state.seeded && state.org !== org)) {
      return { status: 404, body: { code: 'EVALUATION_NOT_FOUND', message: `Evaluation ${id} not found.`, errors: null } };
    }
    const parsed = parseJson(text);
    if (!parsed.ok) return validationError([{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }]);
    const body = parsed.value;
    if (!isObject(body)) return validationError([{ loc: ['body'], msg: 'Input should be a valid dictionary', type: 'dict_type' }]);
    const errors: FieldError[] = [];
    if (!('is_positive' in body)) errors.push({ loc: ['body', 'is_positive'], msg: 'Field required', type: 'missing' });
    else if (body.is_positive !== null && typeof body.is_positive !== 'boolean') errors.push({ loc: ['body', 'is_positive'], msg: 'Input should be a valid boolean', type: 'bool_type' });
    if (body.reason !== undefined && body.reason !== null && typeof body.reason !== 'string') errors.push({ loc: ['body', 'reason'], msg: 'Input should be a valid string', type: 'string_type' });
    for (const k of Object.keys(body)) if (k !== 'is_positive' && k !== 'reason') errors.push({ loc: ['body', k], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' });
    if (errors.length > 0) return validationError(errors);
    this.#advance(state);
    state.record.feedback_is_positive = body.is_positive;
    state.record.feedback_reason = body.is_positive === null ? null : (body.reason ?? null);
    state.record.updated_at = new Date(this.options.now()).toISOString();
    return { status: 200, body: withoutEmbeds(state.record) };
  }

  // ---- uploads ---------------------------------------------------------------------------------

  #createUpload(text: string, org: string): Reply {
    const parsed = parseJson(text);
    if (!parsed.ok) return validationError([{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }]);
    const body = parsed.value;
    if (!isObject(body)) return validationError([{ loc: ['body'], msg: 'Input should be a valid dictionary', type: 'dict_type' }]);
    const errors: FieldError[] = [];
    const str = (field: string, max: number) => {
      const v = body[field];
      if (typeof v !== 'string') errors.push({ loc: ['body', field], msg: v === undefined ? 'Field required' : 'Input should be a valid string', type: 'string_type' });
      else if (v.length < 1 || v.length > max) errors.push({ loc: ['body', field], msg: `String should have 1 to ${max} characters`, type: 'string_length' });
    };
    str('filename', 500);
    str('mime_type', 255);
    const size = body.size_bytes;
    if (typeof size !== 'number' || !Number.isInteger(size)) errors.push({ loc: ['body', 'size_bytes'], msg: size === undefined ? 'Field required' : 'Input should be a valid integer', type: 'int_type' });
    else if (size < 1 || size > MAX_UPLOAD_BYTES) errors.push({ loc: ['body', 'size_bytes'], msg: `Input should be between 1 and ${MAX_UPLOAD_BYTES}`, type: 'range' });
    for (const k of Object.keys(body)) if (!['filename', 'mime_type', 'size_bytes'].includes(k)) errors.push({ loc: ['body', k], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' });
    if (errors.length > 0) return validationError(errors);
    const id = randomUUID();
    this.uploads.set(id, { filename: body.filename as string, mime_type: body.mime_type as string, size_bytes: size as number, headers: {}, org_id: org });
    // The query imitates a presigned URL's credentials (they must never be logged).
    const signature = randomBytes(16).toString('hex');
    return { status: 201, body: { asset_id: id, upload_url: `${this.url}/storage/${id}?X-Amz-Expires=3600&X-Amz-Signature=${signature}` } };
  }

  #storagePut(req: LoggedRequest, id: string, url: URL): Reply {
    const upload = this.uploads.get(decodeURIComponent(id));
    const xmlError = (status: number, code: string, message: string): Reply => ({
      status,
      headers: { 'content-type': 'application/xml' },
      body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`,
    });
    if (!upload) return xmlError(404, 'NoSuchUpload', 'The specified upload does not exist.');
    if (req.headers.authorization !== undefined) {
      return xmlError(400, 'InvalidArgument', 'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter should be specified');
    }
    if (!url.searchParams.get('X-Amz-Signature')) return xmlError(403, 'AccessDenied', 'Request has no signature.');
    const contentType = req.headers['content-type'];
    upload.headers = req.headers;
    upload.contentType = contentType;
    if (contentType !== upload.mime_type) {
      return xmlError(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
    }
    upload.received = req.bodySize;
    return { status: 200, headers: { etag: `"${createHash('md5').update(id).digest('hex')}"` } };
  }

  #confirmUpload(id: string, text: string, org: string): Reply {
    const upload = this.uploads.get(id);
    if (!upload || upload.org_id !== org) {
      return { status: 404, body: { code: 'ASSET_UPLOAD_NOT_FOUND', message: 'Upload session not found.', errors: null } };
    }
    if (text.trim() !== '') {
      const parsed = parseJson(text);
      if (!parsed.ok || !isObject(parsed.value)) return validationError([{ loc: ['body'], msg: 'Input should be a valid dictionary', type: 'dict_type' }]);
      for (const k of Object.keys(parsed.value)) {
        if (k !== 'folder_id') return validationError([{ loc: ['body', k], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' }]);
      }
    }
    if (upload.received === undefined) {
      return { status: 409, body: { code: 'UPLOAD_NOT_FOUND', message: 'No object was uploaded to the presigned URL.', errors: null } };
    }
    if (upload.received !== upload.size_bytes) {
      return validationError([{ loc: ['body'], msg: `Uploaded ${upload.received} bytes, but the session declared ${upload.size_bytes}`, type: 'value_error' }]);
    }
    const existing = this.assets.get(id);
    if (existing) return { status: 201, body: existing };
    upload.confirmed = true;
    const iso = new Date(this.options.now()).toISOString();
    const asset = {
      id,
      org_id: org,
      folder_id: null,
      name: upload.filename,
      r2_key: `orgs/${org}/assets/${id}/${upload.filename}`,
      url: `https://assets.runflow.test/${id}/${encodeURIComponent(upload.filename)}?sig=${randomBytes(8).toString('hex')}`,
      thumbnail_url: null,
      mime_type: upload.mime_type,
      size_bytes: upload.received,
      asset_type: upload.mime_type.startsWith('image/') ? 'image' : 'file',
      source_type: 'upload',
      source_id: null,
      created_by: this.#userId,
      created_at: iso,
      updated_at: iso,
      deleted_at: null,
      deleted_by: null,
    };
    this.assets.set(id, asset);
    return { status: 201, body: asset };
  }
}

// ---- helpers -----------------------------------------------------------------------------------

/**
 * Makespan of jobs all submitted at time 0 and run in the given order on `slots` workers, each
 * job on the first worker free (Infinity slots: the longest job).
 */
export function idealMakespan(runTimes: readonly number[], slots: number): number {
  if (!runTimes.length) return 0;
  if (!Number.isFinite(slots) || slots >= runTimes.length) return Math.max(...runTimes);
  const free = new Array<number>(Math.max(1, Math.floor(slots))).fill(0);
  let end = 0;
  for (const t of runTimes) {
    let slot = 0;
    for (let i = 1; i < free.length; i++) if (free[i] < free[slot]) slot = i;
    free[slot] += t;
    end = Math.max(end, free[slot]);
  }
  return end;
}

/** A small seeded generator (mulberry32): the same seed gives the same faults. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface FieldError {
  loc: Array<string | number>;
  msg: string;
  type: string;
}

function validationError(errors: FieldError[]): Reply {
  return { status: 422, body: { code: 'VALIDATION_ERROR', message: 'Request validation failed.', errors } };
}

function permissionDenied(scope: string): Reply {
  return { status: 403, body: { code: 'PERMISSION_DENIED', message: `Token lacks scope ${scope} for this operation.`, errors: null } };
}

function defaultErrorBody(status: number): unknown {
  if (status === 429) return { code: 'RATE_LIMITED', message: 'Rate limit exceeded.', errors: null };
  if (status === 503) return { code: 'SERVICE_UNAVAILABLE', message: 'Service temporarily unavailable.', errors: null };
  if (status >= 500) return { code: 'INTERNAL_ERROR', message: 'Internal server error.', errors: null };
  return { code: `HTTP_${status}`, message: http.STATUS_CODES[status] ?? 'Error', errors: null };
}

/** The terminal record's fields: defaults for the verdict, overridden by the test's outcome. */
function terminalFields(
  record: Record<string, unknown>,
  outcome: Record<string, unknown>,
  price: string,
  durationMs: number,
  brokenMedia: boolean,
): Record<string, unknown> {
  const failureCode = (outcome.failure_code as string | undefined) ?? (brokenMedia ? 'invalid_media' : undefined);
  const failed = outcome.status_code === 'failed' || (failureCode !== undefined && failureCode !== null);
  const evalId = record.id as string;
  const duration = Number.isFinite(durationMs) ? Math.round(durationMs) : null;
  if (failed) {
    const code = failureCode ?? 'processing_failed';
    return {
      status_code: 'failed',
      overall_passed: null,
      weighted_pass_rate: null,
      top_issues: null,
      top_strengths: null,
      eval_duration_ms: duration,
      // Only processing_failed (and completed) evaluations are billed (seeds/001).
      cost: code === 'processing_failed' ? price : null,
      judges: [],
      gate_failures: [],
      action: null,
      ...outcome,
      failure_code: code,
    };
  }
  const passed = outcome.overall_passed === undefined ? true : outcome.overall_passed;
  const rate = outcome.weighted_pass_rate === undefined ? (passed === false ? 0.55 : 0.9) : outcome.weighted_pass_rate;
  const judges = defaultJudges(evalId, passed !== false, record.created_at as string);
  const action = defaultAction(evalId, passed !== false, record, record.created_at as string);
  return {
    status_code: 'completed',
    overall_passed: passed,
    weighted_pass_rate: rate,
    top_issues: passed === false ? ['Background does not match the prompt', 'Slight shadow under the chin'] : ['Slight shadow under the chin'],
    top_strengths: ['identity', 'framing'],
    check_summary: { judges_total: judges.length, judges_passed: judges.filter((j) => j.passed).length },
    analysis_modules_executed: judges.length,
    primary_action_code: action.primary_action,
    eval_duration_ms: duration,
    cost: price,
    failure_code: null,
    judges,
    gate_failures:
      passed === false
        ? [{ id: randomUUID(), evaluation_id: evalId, output_key: 'background', module: 'prompt_adherence', reason: 'Background does not match the prompt', created_at: record.created_at }]
        : [],
    action,
    ...outcome,
  };
}

function defaultJudges(evaluationId: string, passed: boolean, createdAt: string): Array<Record<string, unknown>> {
  const judge = (name: string, category: string, ok: boolean, weight: number, confidence: number, reasoning: string, issues: Array<[string, string]>) => {
    const id = randomUUID();
    return {
      id,
      evaluation_id: evaluationId,
      name,
      description: `${name} of the generated image`,
      category,
      passed: ok,
      confidence,
      weight,
      reasoning,
      evidence: issues.map(([, detail]) => detail),
      sub_point_results: {},
      sub_points_evaluated: issues.length + 2,
      created_at: createdAt,
      issues: issues.map(([subcategory, detail]) => ({
        id: randomUUID(),
        evaluation_id: evaluationId,
        evaluation_judge_id: id,
        category,
        subcategory,
        detail,
        created_at: createdAt,
      })),
    };
  };
  return [
    judge('Technical quality', 'technical', true, 1, 0.92, 'Sharp, well exposed, no visible artefacts.', [['lighting', 'Slight shadow under the chin']]),
    judge(
      'Prompt adherence',
      'prompt',
      passed,
      1.5,
      0.81,
      passed ? 'The image follows the prompt.' : 'The background is busy although the prompt asks for a neutral one.',
      passed ? [] : [['background', 'Background does not match the prompt']],
    ),
    judge('Composition', 'composition', true, 0.8, 0.77, 'Subject is framed head-and-shoulders.', [['framing', 'Subject slightly off-centre']]),
  ];
}

function defaultAction(evaluationId: string, passed: boolean, record: Record<string, unknown>, createdAt: string): Record<string, unknown> {
  const prompt = typeof record.generation_prompt === 'string' && record.generation_prompt ? record.generation_prompt : String(record.task_type);
  return {
    id: randomUUID(),
    evaluation_id: evaluationId,
    primary_action: passed ? 'accept' : 'regenerate',
    failure_summary: passed ? null : 'The background does not match the prompt.',
    improved_prompt: `${prompt}, soft even lighting, plain neutral background`,
    created_at: createdAt,
  };
}

/** data: URIs are "materialized into a hosted asset" by the service; so are they here. */
function hostedUrl(url: string, evaluationId: string, name: string): string {
  const m = /^data:image\/([a-z0-9.+-]+)[;,]/i.exec(url);
  if (!m) return url;
  const ext = m[1].toLowerCase().replace('jpeg', 'jpg').replace(/\+.*$/, '');
  return `https://assets.runflow.test/evaluations/${evaluationId}/${name}.${ext}`;
}

/** A data: URI whose payload is not base64 can never be decoded: the evaluation ends invalid_media. */
function isBrokenDataUri(url: unknown): boolean {
  if (typeof url !== 'string' || !url.startsWith('data:')) return false;
  const comma = url.indexOf(',');
  if (comma < 0 || !/;base64$/i.test(url.slice(0, comma))) return true;
  const payload = url.slice(comma + 1);
  return payload.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(payload);
}

function jobClassItems(jobClasses: unknown): Array<Record<string, unknown>> | undefined {
  const items = Array.isArray(jobClasses) ? jobClasses : isObject(jobClasses) && Array.isArray(jobClasses.items) ? jobClasses.items : undefined;
  return items?.filter(isObject);
}

function activeJobClasses(jobClasses: unknown): string[] | undefined {
  const items = jobClassItems(jobClasses);
  if (!items || items.length === 0 || !items.every((c) => typeof c.code === 'string')) return undefined;
  return items.filter((c) => c.is_active !== false).map((c) => c.code as string);
}

function withoutEmbeds(record: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) if (!(EMBEDS as readonly string[]).includes(k)) copy[k] = v;
  return copy;
}

function canonicalHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function bearerKey(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return m?.[1];
}

function matchPath(pattern: string | RegExp, path: string): boolean {
  return typeof pattern === 'string' ? pattern === path : pattern.test(path);
}

function flattenHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function lowerKeys(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = v;
  return out;
}

/** Reads the whole body; with `keep` false only counts it (storage uploads stay out of memory). */
async function readBody(req: IncomingMessage, keep: boolean): Promise<{ text: string; size: number }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (keep) chunks.push(buf);
  }
  return { text: keep ? Buffer.concat(chunks).toString('utf8') : '', size };
}
