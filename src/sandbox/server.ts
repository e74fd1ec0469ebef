/**
 * The built-in local Runflow API (SPEC §9): the endpoints this tool uses, with the service's
 * validation, statuses, idempotency, worker queue and limits (a request rate per key; optionally
 * the in-flight limit of older deployments), and real technical judges computed from the image's
 * pixels. Loopback only by default; any bearer key is accepted and billing is zero.
 *
 *   GET   /v1/health                               (no key needed)
 *   GET   /v1/auth/me
 *   GET   /v1/evaluations/job-classes              standard (active, price "0.000000"), quick (inactive)
 *   GET   /v1/evaluations/statuses
 *   GET   /v1/billing/balance                      a balance that covers anything (it bills nothing)
 *   POST  /v1/evaluations                          202; 422 / 409 / 429 as the service
 *   GET   /v1/evaluations/{id}?embed=judges,action,gate_failures
 *   PATCH /v1/evaluations/{id}/feedback
 *   POST  /v1/asset-uploads                        201 {asset_id, upload_url}
 *   PUT   /storage/{id}                            the "presigned" upload URL (no key needed)
 *   POST  /v1/asset-uploads/{id}/confirmations     201 asset record
 *   GET   /v1/assets/{id}, GET /storage/{id}
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AssetStore } from './assets.js';
import { EvaluationEngine, type PreparedMedia } from './engine.js';
import { hasBearer, HttpError, readJson, sendError, sendJson, validationError } from './http.js';
import { spillDataUri, type MediaSource } from './media.js';
import { RequestRateLimit } from './rate-limit.js';
import { newEvaluation, parseEmbed, SANDBOX_PRICE, toWire, type StoredEvaluation } from './record.js';
import { bodyHash, EvaluationStore } from './store.js';
import { isUuid, validateEvaluationRequest, validateUploadRequest, type EvaluationRequest, type ImageUrl } from './validate.js';

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

/** Fixed identities, so a script can recognise the sandbox's records. */
export const SANDBOX_ORG_ID = '00000000-0000-4000-8000-000000000001';
export const SANDBOX_USER_ID = '00000000-0000-4000-8000-000000000002';
const SANDBOX_BALANCE_ID = '00000000-0000-4000-8000-000000000003';
/** What GET /v1/billing/balance reports: the sandbox bills nothing, so this never runs down. */
export const SANDBOX_BALANCE = '1000000.000000';
const SANDBOX_EPOCH = '2024-01-01T00:00:00.000Z';

const JOB_CLASSES = [
  {
    code: 'standard',
    name: 'Standard',
    description: 'Technical checks computed from pixels (sandbox: free).',
    price: SANDBOX_PRICE,
    currency_code: 'CREDITS',
    is_active: true,
  },
  {
    code: 'quick',
    name: 'Quick',
    description: 'Not offered by the sandbox.',
    price: SANDBOX_PRICE,
    currency_code: 'CREDITS',
    is_active: false,
  },
];
const ACTIVE_JOB_CLASSES = JOB_CLASSES.filter((c) => c.is_active).map((c) => c.code);

const STATUSES = [
  { code: 'pending', name: 'Pending', description: 'Accepted, not yet picked up for processing.', is_terminal: false },
  { code: 'running', name: 'Running', description: 'Being evaluated.', is_terminal: false },
  { code: 'completed', name: 'Completed', description: 'A verdict was produced.', is_terminal: true },
  { code: 'failed', name: 'Failed', description: 'No verdict; see failure_code.', is_terminal: true },
];

/** Judging runs at most this many images at once, whatever the number of workers. */
const JUDGE_CONCURRENCY = 2;
/** The service's workers when not told otherwise. */
export const DEFAULT_WORKERS = 8;

interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: string[];
  orgId: string;
}

interface Route {
  method: string;
  pattern: RegExp;
  /** Storage URLs are presigned: they take no API key, like the real storage host. */
  public?: boolean;
  handle(ctx: RequestContext): Promise<void> | void;
}

export async function startSandbox(opts: SandboxOptions = {}): Promise<RunningSandbox> {
  const host = opts.host ?? '127.0.0.1';
  const maxInflight = opts.maxInflight === undefined ? Infinity : Math.max(1, Math.floor(opts.maxInflight));
  const rateLimit = opts.rate === undefined ? undefined : new RequestRateLimit(Math.max(1, opts.rate));
  const dir = await mkdtemp(join(tmpdir(), 'runflow-sandbox-'));
  const store = new EvaluationStore();
  const assets = new AssetStore(dir, SANDBOX_USER_ID);
  const minMs = Math.max(0, opts.evalTimeMs ?? 0);
  const engine = new EvaluationEngine(store, {
    evalTime: { minMs, maxMs: Math.max(minMs, opts.evalTimeMaxMs ?? minMs) },
    fetchRemote: opts.fetchRemote ?? true,
    workers: Math.max(1, Math.floor(opts.workers ?? DEFAULT_WORKERS)),
    judgeConcurrency: JUDGE_CONCURRENCY,
  });
  let baseUrl = '';

  const prepareMedia = async (request: EvaluationRequest): Promise<PreparedMedia> => {
    const source = async (image: ImageUrl): Promise<MediaSource> => {
      if (image.form === 'data') return spillDataUri(dir, image.data);
      if (image.form === 'https') return { kind: 'remote', url: image.url };
      const file = assets.assetFile(image.assetId);
      if (!file) throw new Error(`asset ${image.assetId} has no stored file`);
      return { kind: 'file', path: file.path, mime: file.mime, owned: false };
    };
    const references: PreparedMedia['references'] = [];
    for (const [index, ref] of (request.references ?? []).entries()) {
      references.push({ source: await source(ref.image), index, kind: ref.kind, description: ref.description });
    }
    return { image: await source(request.image), references };
  };

  const findEvaluation = (id: string): StoredEvaluation => {
    if (!isUuid(id)) {
      throw validationError([{ loc: ['path', 'id'], msg: 'Input should be a valid UUID', type: 'uuid_parsing' }]);
    }
    const evaluation = store.get(id);
    if (!evaluation) throw new HttpError(404, 'NOT_FOUND', `evaluation ${id} not found`);
    return evaluation;
  };

  const routes: Route[] = [
    {
      method: 'GET',
      pattern: /^\/v1\/health$/,
      public: true,
      handle: ({ res }) => sendJson(res, 200, { status: 'ok', sandbox: true }),
    },
    {
      method: 'GET',
      pattern: /^\/v1\/auth\/me$/,
      handle: ({ res, orgId }) =>
        sendJson(res, 200, {
          id: SANDBOX_USER_ID,
          email: 'sandbox@localhost',
          first_name: 'Sandbox',
          last_name: 'User',
          org_id: orgId,
          organization: { id: orgId, name: 'Sandbox' },
          scopes: ['evaluations:create', 'evaluations:read'],
          sandbox: true,
        }),
    },
    {
      method: 'GET',
      pattern: /^\/v1\/evaluations\/job-classes$/,
      handle: ({ res }) => sendJson(res, 200, { items: JOB_CLASSES }),
    },
    {
      method: 'GET',
      pattern: /^\/v1\/billing\/balance$/,
      // The API reference's shape. The sandbox bills nothing (its price is 0), so any balance
      // covers a run; a large one reads as such.
      handle: ({ res, orgId }) =>
        sendJson(res, 200, {
          id: SANDBOX_BALANCE_ID,
          org_id: orgId,
          balance: SANDBOX_BALANCE,
          low_balance_threshold: '0.000000',
          low_balance_notified_at: null,
          created_at: SANDBOX_EPOCH,
          updated_at: SANDBOX_EPOCH,
        }),
    },
    {
      method: 'GET',
      pattern: /^\/v1\/evaluations\/statuses$/,
      handle: ({ res }) => sendJson(res, 200, { items: STATUSES }),
    },
    {
      method: 'POST',
      pattern: /^\/v1\/evaluations$/,
      handle: async ({ req, res, orgId }) => {
        const body = await readJson(req);
        const checked = validateEvaluationRequest(body, {
          activeJobClasses: ACTIVE_JOB_CLASSES,
          assetExists: (id) => assets.asset(id) !== undefined,
        });
        if (!checked.ok) throw validationError(checked.errors);

        const key = req.headers['idempotency-key'];
        let idempotency: { orgId: string; key: string; hash: string } | undefined;
        if (typeof key === 'string' && key !== '') {
          if (key.length > 255) {
            throw validationError([
              { loc: ['header', 'idempotency-key'], msg: 'String should have at most 255 characters', type: 'string_too_long' },
            ]);
          }
          const hash = bodyHash(body);
          const seen = store.lookupKey(orgId, key, hash);
          if (seen.kind === 'conflict') {
            throw new HttpError(409, 'IDEMPOTENCY_CONFLICT', 'this Idempotency-Key was already used with a different request body');
          }
          if (seen.kind === 'replay') {
            sendJson(res, 202, toWire(seen.evaluation, new Set(), baseUrl), { 'Idempotent-Replayed': 'true' });
            return;
          }
          idempotency = { orgId, key, hash };
        }

        if (store.inFlight >= maxInflight) {
          throw new HttpError(429, 'RATE_LIMITED', `too many evaluations in flight (limit ${maxInflight})`, {
            headers: { 'Retry-After': '1' },
          });
        }

        // Recorded before any await, so a concurrent retry with the same key finds it.
        const evaluation = newEvaluation(checked.value, orgId, Date.now());
        store.add(evaluation, idempotency);
        let media: PreparedMedia;
        try {
          media = await prepareMedia(checked.value);
        } catch (err) {
          evaluation.status = 'failed';
          evaluation.failureCode = 'processing_failed';
          evaluation.failureDetail = `the sandbox could not store the image: ${err instanceof Error ? err.message : String(err)}`;
          evaluation.completedAt = evaluation.updatedAt = new Date().toISOString();
          evaluation.evalDurationMs = Date.now() - evaluation.submittedAtMs;
          store.finished();
          sendJson(res, 202, toWire(evaluation, new Set(), baseUrl));
          return;
        }
        engine.start(evaluation, media);
        sendJson(res, 202, toWire(evaluation, new Set(), baseUrl));
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/evaluations\/([^/]+)$/,
      handle: ({ res, url, params }) => {
        const evaluation = findEvaluation(params[0]);
        sendJson(res, 200, toWire(evaluation, parseEmbed(url.searchParams.get('embed')), baseUrl));
      },
    },
    {
      method: 'PATCH',
      pattern: /^\/v1\/evaluations\/([^/]+)\/feedback$/,
      handle: async ({ req, res, params }) => {
        const evaluation = findEvaluation(params[0]);
        const body = (await readJson(req)) ?? {};
        const feedback = checkFeedback(body);
        if (evaluation.status !== 'completed' && evaluation.status !== 'failed') {
          throw new HttpError(409, 'CONFLICT', `evaluation ${evaluation.id} is ${evaluation.status}; feedback can be given once it has finished`);
        }
        evaluation.feedback = feedback;
        evaluation.updatedAt = new Date().toISOString();
        sendJson(res, 200, toWire(evaluation, new Set(), baseUrl));
      },
    },
    {
      method: 'POST',
      pattern: /^\/v1\/asset-uploads$/,
      handle: async ({ req, res, orgId }) => {
        const checked = validateUploadRequest(await readJson(req));
        if (!checked.ok) throw validationError(checked.errors);
        const session = assets.create(checked.value, orgId);
        sendJson(res, 201, { asset_id: session.id, upload_url: `${baseUrl}/storage/${session.id}` });
      },
    },
    {
      method: 'POST',
      pattern: /^\/v1\/asset-uploads\/([^/]+)\/confirmations$/,
      handle: async ({ req, res, params }) => {
        const body = (await readJson(req)) ?? {};
        const folder = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).folder_id : undefined;
        if (folder !== undefined && folder !== null && !(typeof folder === 'string' && isUuid(folder))) {
          throw validationError([{ loc: ['body', 'folder_id'], msg: 'Input should be a valid UUID', type: 'uuid_parsing' }]);
        }
        const result = assets.confirm(params[0].toLowerCase(), (folder as string | null | undefined) ?? null, baseUrl);
        if (result === 'unknown') throw new HttpError(404, 'NOT_FOUND', `asset upload ${params[0]} not found`);
        if (result === 'not_uploaded') {
          throw new HttpError(409, 'UPLOAD_NOT_FOUND', 'no file was uploaded for this asset upload; PUT the file to upload_url first');
        }
        sendJson(res, 201, result);
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/assets\/([^/]+)$/,
      handle: ({ res, params }) => {
        const asset = assets.asset(params[0].toLowerCase());
        if (!asset) throw new HttpError(404, 'NOT_FOUND', `asset ${params[0]} not found`);
        sendJson(res, 200, asset);
      },
    },
    {
      method: 'PUT',
      pattern: /^\/storage\/([^/]+)$/,
      public: true,
      handle: async ({ req, res, params }) => {
        if (req.headers.authorization !== undefined) {
          opts.log?.(`warning: PUT /storage/${params[0]} carried an Authorization header; a real storage host must never receive the API key`);
        }
        const outcome = await assets.put(params[0].toLowerCase(), req.headers['content-type'], req);
        if (!outcome.ok) throw new HttpError(outcome.status, outcome.code, outcome.message, { headers: { Connection: 'close' } });
        res.writeHead(200, { ETag: `"${params[0]}-${outcome.size}"`, 'Content-Length': 0 });
        res.end();
      },
    },
    {
      method: 'GET',
      pattern: /^\/storage\/([^/]+)$/,
      public: true,
      handle: async ({ res, params }) => {
        const file = assets.storedFile(params[0].toLowerCase());
        if (!file) throw new HttpError(404, 'NOT_FOUND', 'no stored file with this id');
        res.writeHead(200, { 'Content-Type': file.contentType, 'Content-Length': file.size });
        await new Promise<void>((resolve, reject) => {
          createReadStream(file.path).on('error', reject).pipe(res).on('finish', resolve).on('error', reject);
        });
      },
    },
  ];

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'http://sandbox');
    res.on('finish', () => opts.log?.(`${req.method} ${url.pathname}${url.search ? url.search : ''} ${res.statusCode} ${Date.now() - started}ms`));
    try {
      const matches = routes
        .map((route) => ({ route, m: route.pattern.exec(url.pathname) }))
        .filter((x): x is { route: Route; m: RegExpExecArray } => x.m !== null);
      if (matches.length === 0) throw new HttpError(404, 'NOT_FOUND', `no such endpoint: ${url.pathname}`);
      const hit = matches.find((x) => x.route.method === req.method);
      if (!hit) {
        throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${url.pathname}`, {
          headers: { Allow: matches.map((x) => x.route.method).join(', ') },
        });
      }
      if (!hit.route.public && !hasBearer(req)) {
        throw new HttpError(401, 'UNAUTHORIZED', 'missing bearer token: send Authorization: Bearer <key> (the sandbox accepts any key)');
      }
      if (!hit.route.public && rateLimit && !rateLimit.take(req.headers.authorization ?? '')) {
        throw new HttpError(429, 'RATE_LIMITED', `Rate limit exceeded: ${rateLimit.perSecond} requests per second`);
      }
      const orgHeader = req.headers['x-organization-id'];
      const orgId = typeof orgHeader === 'string' && isUuid(orgHeader) ? orgHeader.toLowerCase() : SANDBOX_ORG_ID;
      await hit.route.handle({ req, res, url, params: hit.m.slice(1).map(decodePathPart), orgId });
    } catch (err) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof HttpError) {
        sendError(res, err);
      } else {
        const message = err instanceof Error ? err.message : String(err);
        opts.log?.(`error: ${req.method} ${url.pathname}: ${message}`);
        sendError(res, new HttpError(500, 'INTERNAL_ERROR', 'the sandbox failed to handle this request'));
      }
    }
  };

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

/** A path segment, decoded; a malformed escape is kept as sent (it then matches nothing). */
function decodePathPart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
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

/** PATCH feedback body: `is_positive` true, false or null (clears), `reason` up to 2,000 chars. */
function checkFeedback(body: unknown): { isPositive: boolean | null; reason: string | null } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw validationError([{ loc: ['body'], msg: 'Input should be a valid dictionary or object', type: 'dict_type' }]);
  }
  const { is_positive: isPositive, reason } = body as Record<string, unknown>;
  const errors = [];
  if (isPositive !== undefined && isPositive !== null && typeof isPositive !== 'boolean') {
    errors.push({ loc: ['body', 'is_positive'], msg: 'Input should be a valid boolean', type: 'bool_type' });
  }
  if (reason !== undefined && reason !== null && typeof reason !== 'string') {
    errors.push({ loc: ['body', 'reason'], msg: 'Input should be a valid string', type: 'string_type' });
  } else if (typeof reason === 'string' && reason.length > 2_000) {
    errors.push({ loc: ['body', 'reason'], msg: 'String should have at most 2000 characters', type: 'string_too_long' });
  }
  if (errors.length) throw validationError(errors);
  return {
    isPositive: (isPositive as boolean | null | undefined) ?? null,
    reason: (reason as string | null | undefined) ?? null,
  };
}
