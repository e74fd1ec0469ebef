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
 * This file holds the server (listening, the request log, faults, answers) and what tests call;
 * fake-api/ holds the rest by resource and job: router (the routing table), auth (keys, scopes,
 * rate limit, balance), evaluations (their routes and lifecycle), workers (the queue),
 * job-classes, uploads (and assets), validate, records, faults.
 */
import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EvaluationStore } from './fake-api/evaluations.js';
import { FaultQueue } from './fake-api/faults.js';
import { DEFAULT_JOB_CLASSES } from './fake-api/job-classes.js';
import { Router } from './fake-api/router.js';
import type { FakeApiOptions, FakeFault, LoggedRequest, OutcomeFn, Reply, ResolvedOptions, UploadRecord } from './fake-api/types.js';
import { defaultErrorBody, flattenHeaders, lowerKeys, matchPath, readBody } from './fake-api/util.js';

export { DEFAULT_JOB_CLASSES } from './fake-api/job-classes.js';
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
  readonly #evaluations = new EvaluationStore(this);
  readonly #router = new Router({ api: this, evaluations: this.#evaluations, userId: randomUUID(), unexpected: this.unexpected });
  #active = 0;
  #requestCounter = 0;
  #timers = new Set<NodeJS.Timeout>();

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
    this.#evaluations.setOutcome(fn);
  }

  /** Seeds a record served verbatim by GET /v1/evaluations/:id (odd shapes welcome). */
  putRecord(record: Record<string, unknown>): void {
    this.#evaluations.putRecord(record);
  }

  /** The evaluation's record as of now (status advanced), or undefined. */
  evaluation(id: string): Record<string, unknown> | undefined {
    return this.#evaluations.evaluation(id);
  }

  /**
   * Forgets every Idempotency-Key, as the service does after its (undocumented) retention: the
   * same key then creates a new evaluation.
   */
  forgetIdempotencyKeys(): void {
    this.#evaluations.forgetIdempotencyKeys();
  }

  /** Forgets an evaluation: GET answers 404 for it, and its key is forgotten too. */
  forgetEvaluation(id: string): void {
    this.#evaluations.forgetEvaluation(id);
  }

  /** Makes an evaluation reach its terminal status now. */
  finishNow(id: string): void {
    this.#evaluations.finishNow(id);
  }

  /**
   * The shortest possible makespan of the evaluations created so far: every one submitted at the
   * same instant, in creation order, with the same times on the same workers (the in-flight
   * limit acts as that many workers; no limit at all means each starts at once).
   */
  idealMakespan(): number {
    return this.#evaluations.idealMakespan();
  }

  /**
   * Share of the workers' capacity in use between the first and the last start of an evaluation
   * (1: the queue never ran dry while there was work to come). Needs `workers`.
   */
  workerBusyShare(): number {
    return this.#evaluations.workerBusyShare();
  }

  /** Most evaluations pending or running at once so far. */
  get peakInflight(): number {
    return this.#evaluations.peakInflight;
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
    this.#evaluations.reset();
    this.#router.reset();
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
      const reply = await this.#router.route(logged, text, url);
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
}
