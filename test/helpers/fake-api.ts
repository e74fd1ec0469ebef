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
 *
 * This file holds the server, the routing and the evaluations' lifecycle; fake-api/ holds the
 * rest by job: auth (keys, scopes, rate limit, balance), faults, uploads, validation, records.
 */
import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { balance, hasScope, keyIsValid, me, rateLimit } from './fake-api/auth.js';
import { FaultQueue } from './fake-api/faults.js';
import { DEFAULT_JOB_CLASSES, EMBEDS, KNOWN_EMBEDS, hostedUrl, isBrokenDataUri, jobClassItems, terminalFields, withoutEmbeds } from './fake-api/records.js';
import type { EvalState, FakeApiOptions, FakeFault, FieldError, LoggedRequest, OutcomeFn, Reply, ResolvedOptions, UploadRecord } from './fake-api/types.js';
import { confirmUpload, createUpload, storagePut } from './fake-api/uploads.js';
import {
  bearerKey,
  canonicalHash,
  defaultErrorBody,
  flattenHeaders,
  idealMakespan,
  isObject,
  lowerKeys,
  matchPath,
  parseJson,
  permissionDenied,
  readBody,
  validationError,
} from './fake-api/util.js';
import { UUID, validateEvaluation } from './fake-api/validate.js';

export { DEFAULT_JOB_CLASSES } from './fake-api/records.js';
export type { ChaosOptions, FakeApiOptions, FakeFault, LoggedRequest, OutcomeFn, UploadRecord } from './fake-api/types.js';
export { idealMakespan } from './fake-api/util.js';

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
  options: ResolvedOptions;
  /** Most requests being handled at the same time so far. */
  peakConcurrentRequests = 0;

  readonly #server: http.Server;
  readonly #initialOptions: FakeApi['options'];
  #faults = new FaultQueue(1);
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
    this.#faults = new FaultQueue(opts.chaos?.seed ?? 1);
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
    this.#faults.add(f);
  }

  /** Faults not yet used up (to assert that a test's faults all fired). */
  get pendingFaults(): number {
    return this.#faults.pending;
  }

  /**
   * Fails when the test went somewhere it did not mean to (as gh's httpmock.Registry.Verify): a
   * request no route matched, or a queued fault that no request matched.
   */
  verify(): void {
    const problems = [
      ...this.unexpected.map((r) => `unexpected request: ${r.method} ${r.path}`),
      ...this.#faults.unused().map((f) => `fault never used: ${f.method ?? 'any method'} ${f.path ?? 'any path'}${f.status !== undefined ? ` (status ${f.status})` : f.reset ? ' (reset)' : ''}`),
    ];
    if (problems.length > 0) throw new Error(`fake API: ${problems.join('; ')}`);
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
    this.#faults = new FaultQueue(this.options.chaos?.seed ?? 1);
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

      const fault = this.#faults.take(logged) ?? this.#faults.chaos(logged, this.options.chaos);
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
    if (path.startsWith('/storage/')) return method === 'PUT' ? storagePut(this, req, path.slice('/storage/'.length), url) : this.#unexpected(req, 405);
    if (path === '/v1/health') return method === 'GET' ? { status: 200, body: { status: 'ok' } } : this.#unexpected(req, 405);
    if (!path.startsWith('/v1/')) return this.#unexpected(req, 404);

    const key = bearerKey(req.headers.authorization);
    if (!key || !keyIsValid(this.options, key)) {
      return { status: 401, body: { code: 'UNAUTHORIZED', message: key ? 'Invalid or revoked API key.' : 'Missing bearer token.', errors: null } };
    }
    const org = req.headers['x-organization-id'] || this.options.orgId;
    const limited = rateLimit(this.options, this.#rateWindows, key);
    if (limited.reply) return limited.reply;
    const reply = await this.#routeV1(req, text, key, org);
    reply.headers = { ...limited.headers, ...reply.headers };
    return reply;
  }

  async #routeV1(req: LoggedRequest, text: string, key: string, org: string): Promise<Reply> {
    const { method, path } = req;
    let m: RegExpExecArray | null;
    if (path === '/v1/auth/me') {
      return method === 'GET' ? { status: 200, body: me(this.options, this.#userId, key, org) } : this.#unexpected(req, 405);
    }
    if (path === '/v1/evaluations/job-classes') {
      return method === 'GET' ? { status: 200, body: this.options.jobClasses } : this.#unexpected(req, 405);
    }
    if (path === '/v1/billing/balance') {
      if (method !== 'GET') return this.#unexpected(req, 405);
      if (!hasScope(this.options, key, 'billing:read')) return permissionDenied('billing:read');
      return balance(this.options, org);
    }
    if (path === '/v1/evaluations/statuses') {
      return method === 'GET' ? { status: 200, body: { items: ['pending', 'running', 'completed', 'failed'].map((code) => ({ code })) } } : this.#unexpected(req, 405);
    }
    if (path === '/v1/evaluations' || path === '/v1/evaluations/') {
      if (method !== 'POST') return this.#unexpected(req, 405);
      if (!hasScope(this.options, key, 'evaluations:create')) return permissionDenied('evaluations:create');
      return this.#createEvaluation(req, text, org);
    }
    if ((m = /^\/v1\/evaluations\/([^/]+)$/.exec(path))) {
      if (method !== 'GET') return this.#unexpected(req, 405);
      if (!hasScope(this.options, key, 'evaluations:read')) return permissionDenied('evaluations:read');
      return this.#getEvaluation(decodeURIComponent(m[1]), req.query, org);
    }
    if ((m = /^\/v1\/evaluations\/([^/]+)\/feedback$/.exec(path))) {
      if (method !== 'PATCH') return this.#unexpected(req, 405);
      return this.#feedback(decodeURIComponent(m[1]), text, org);
    }
    if (path === '/v1/asset-uploads') {
      return method === 'POST' ? createUpload(this, text, org) : this.#unexpected(req, 405);
    }
    if ((m = /^\/v1\/asset-uploads\/([^/]+)\/confirmations$/.exec(path))) {
      return method === 'POST' ? confirmUpload(this, this.#userId, decodeURIComponent(m[1]), text, org) : this.#unexpected(req, 405);
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

  // ---- evaluations -----------------------------------------------------------------------------

  #createEvaluation(req: LoggedRequest, text: string, org: string): Reply {
    const parsed = parseJson(text);
    if (!parsed.ok) return validationError([{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }]);
    const errors = validateEvaluation(parsed.value, this.options, this.assets);
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


}
