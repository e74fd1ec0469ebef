/**
 * The built-in local Runflow API (SPEC §9): the endpoints this tool uses, with the service's
 * validation, statuses, idempotency, worker queue and limits (a request rate per key; optionally
 * the in-flight limit of older deployments), and real technical judges computed from the image's
 * pixels. Loopback only by default; any bearer key is accepted and billing is zero.
 *
 *   GET   /v1/health                               (no key needed)        routes/account.ts
 *   GET   /v1/auth/me                                                     routes/account.ts
 *   GET   /v1/billing/balance                      a balance that covers anything (it bills nothing)
 *   GET   /v1/evaluations/job-classes              standard (active, price "0.000000"), quick (inactive)
 *   GET   /v1/evaluations/statuses                                        routes/reference.ts
 *   POST  /v1/evaluations                          202; 422 / 409 / 429 as the service
 *   GET   /v1/evaluations/{id}?embed=judges,action,gate_failures
 *   PATCH /v1/evaluations/{id}/feedback                                   routes/evaluations.ts
 *   POST  /v1/asset-uploads                        201 {asset_id, upload_url}
 *   PUT   /storage/{id}                            the "presigned" upload URL (no key needed)
 *   POST  /v1/asset-uploads/{id}/confirmations     201 asset record
 *   GET   /v1/assets/{id}, GET /storage/{id}                              routes/uploads.ts
 *
 * This file puts one sandbox together and runs it: its stores, its engine, the router over the
 * routes, listening and closing. Dispatch, auth and errors are in router.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AssetStore } from './assets.js';
import { EvaluationEngine } from './engine.js';
import { SANDBOX_USER_ID } from './identities.js';
import { RequestRateLimit } from './rate-limit.js';
import { createRouter } from './router.js';
import { accountRoutes } from './routes/account.js';
import { evaluationRoutes } from './routes/evaluations.js';
import { referenceRoutes } from './routes/reference.js';
import { uploadRoutes } from './routes/uploads.js';
import type { SandboxServices } from './services.js';
import { EvaluationStore } from './store.js';

export interface SandboxOptions {
  /** 0 (default) takes a free port. */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** Evaluations processed at once; later submissions wait `pending` in a queue (default 8). */
  workers?: number;
  /** Requests per second per key before `429 RATE_LIMITED` without headers (default: no limit). */
  rate?: number;
  /**
   * Older deployments: evaluations pending or running at once before a submission is refused with
   * `429` and `Retry-After` (default: no limit; busy workers queue instead).
   */
  maxInflight?: number;
  /** Minimum time a worker spends per evaluation, in ms (default 0: as fast as judging allows). */
  evalTimeMs?: number;
  /** With `evalTimeMs`, spreads evaluation times evenly over [evalTimeMs, evalTimeMaxMs]. */
  evalTimeMaxMs?: number;
  /** Request log, one line per request (for `sandbox` in the foreground, on stderr). */
  log?: (line: string) => void;
  /** Fetch `https://` images (default true); when false they fail with `invalid_media`. */
  fetchRemote?: boolean;
}

export interface RunningSandbox {
  /** e.g. http://127.0.0.1:PORT */
  url: string;
  close(): Promise<void>;
}

/** Judging runs at most this many images at once, whatever the number of workers. */
const JUDGE_CONCURRENCY = 2;
/** The service's workers when not told otherwise. */
export const DEFAULT_WORKERS = 8;

export async function startSandbox(opts: SandboxOptions = {}): Promise<RunningSandbox> {
  const host = opts.host ?? '127.0.0.1';
  const rateLimit = opts.rate === undefined ? undefined : new RequestRateLimit(Math.max(1, opts.rate));
  const dir = await mkdtemp(join(tmpdir(), 'runflow-sandbox-'));
  const store = new EvaluationStore();
  const minMs = Math.max(0, opts.evalTimeMs ?? 0);
  const engine = new EvaluationEngine(store, {
    evalTime: { minMs, maxMs: Math.max(minMs, opts.evalTimeMaxMs ?? minMs) },
    fetchRemote: opts.fetchRemote ?? true,
    workers: Math.max(1, Math.floor(opts.workers ?? DEFAULT_WORKERS)),
    judgeConcurrency: JUDGE_CONCURRENCY,
  });
  let baseUrl = '';
  const services: SandboxServices = {
    store,
    assets: new AssetStore(dir, SANDBOX_USER_ID),
    engine,
    dir,
    maxInflight: opts.maxInflight === undefined ? Infinity : Math.max(1, Math.floor(opts.maxInflight)),
    baseUrl: () => baseUrl,
    log: opts.log,
  };
  // Job classes and statuses before /v1/evaluations/{id}, which matches their paths too.
  const handle = createRouter(
    [...accountRoutes(), ...referenceRoutes(), ...evaluationRoutes(services), ...uploadRoutes(services)],
    { rateLimit, log: opts.log },
  );

  const server = createServer((req, res) => void handle(req, res));
  try {
    await listen(server, opts.port ?? 0, host);
  } catch (err) {
    await engine.close();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await engine.close();
      await rm(dir, { recursive: true, force: true });
    })();
    return closing;
  };
  return { url: baseUrl, close };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
