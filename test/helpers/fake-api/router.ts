/**
 * The fake's routing table: which resource answers a request, behind the bearer key, the scopes
 * and the request-rate limit of /v1. A request no route matches answers 404 (405 for a known path
 * with another method) and is recorded, for `verify()`.
 */
import { balance, hasScope, keyIsValid, me, rateLimit, type RateWindows } from './auth.js';
import type { EvaluationStore } from './evaluations.js';
import { jobClassesReply, statusesReply } from './job-classes.js';
import type { LoggedRequest, Reply, ResolvedOptions } from './types.js';
import { confirmUpload, createUpload, getAsset, storagePut, type UploadStore } from './uploads.js';
import { bearerKey, permissionDenied } from './util.js';

export interface RouterHost {
  /** The fake as the upload routes see it, with the options in force. */
  readonly api: UploadStore & { readonly options: ResolvedOptions };
  readonly evaluations: EvaluationStore;
  /** The user every valid key belongs to. */
  readonly userId: string;
  /** Requests no route matched, in order. */
  readonly unexpected: LoggedRequest[];
}

export class Router {
  readonly #host: RouterHost;
  #rateWindows: RateWindows = new Map();

  constructor(host: RouterHost) {
    this.#host = host;
  }

  /** Forgets the rate windows. */
  reset(): void {
    this.#rateWindows.clear();
  }

  async route(req: LoggedRequest, text: string, url: URL): Promise<Reply> {
    const { method, path } = req;
    const { api } = this.#host;
    if (path.startsWith('/storage/')) return method === 'PUT' ? storagePut(api, req, path.slice('/storage/'.length), url) : this.#unexpected(req, 405);
    if (path === '/v1/health') return method === 'GET' ? { status: 200, body: { status: 'ok' } } : this.#unexpected(req, 405);
    if (!path.startsWith('/v1/')) return this.#unexpected(req, 404);

    const key = bearerKey(req.headers.authorization);
    if (!key || !keyIsValid(api.options, key)) {
      return { status: 401, body: { code: 'UNAUTHORIZED', message: key ? 'Invalid or revoked API key.' : 'Missing bearer token.', errors: null } };
    }
    const org = req.headers['x-organization-id'] || api.options.orgId;
    const limited = rateLimit(api.options, this.#rateWindows, key);
    if (limited.reply) return limited.reply;
    const reply = await this.#routeV1(req, text, key, org);
    reply.headers = { ...limited.headers, ...reply.headers };
    return reply;
  }

  async #routeV1(req: LoggedRequest, text: string, key: string, org: string): Promise<Reply> {
    const { method, path } = req;
    const { api, evaluations, userId } = this.#host;
    const options = api.options;
    let m: RegExpExecArray | null;
    if (path === '/v1/auth/me') {
      return method === 'GET' ? { status: 200, body: me(options, userId, key, org) } : this.#unexpected(req, 405);
    }
    if (path === '/v1/evaluations/job-classes') {
      return method === 'GET' ? jobClassesReply(options.jobClasses) : this.#unexpected(req, 405);
    }
    if (path === '/v1/billing/balance') {
      if (method !== 'GET') return this.#unexpected(req, 405);
      if (!hasScope(options, key, 'billing:read')) return permissionDenied('billing:read');
      return balance(options, org);
    }
    if (path === '/v1/evaluations/statuses') {
      return method === 'GET' ? statusesReply() : this.#unexpected(req, 405);
    }
    if (path === '/v1/evaluations' || path === '/v1/evaluations/') {
      if (method !== 'POST') return this.#unexpected(req, 405);
      if (!hasScope(options, key, 'evaluations:create')) return permissionDenied('evaluations:create');
      return evaluations.create(req, text, org);
    }
    if ((m = /^\/v1\/evaluations\/([^/]+)$/.exec(path))) {
      if (method !== 'GET') return this.#unexpected(req, 405);
      if (!hasScope(options, key, 'evaluations:read')) return permissionDenied('evaluations:read');
      return evaluations.get(decodeURIComponent(m[1]!), req.query, org);
    }
    if ((m = /^\/v1\/evaluations\/([^/]+)\/feedback$/.exec(path))) {
      if (method !== 'PATCH') return this.#unexpected(req, 405);
      return evaluations.feedback(decodeURIComponent(m[1]!), text, org);
    }
    if (path === '/v1/asset-uploads') {
      return method === 'POST' ? createUpload(api, text, org) : this.#unexpected(req, 405);
    }
    if ((m = /^\/v1\/asset-uploads\/([^/]+)\/confirmations$/.exec(path))) {
      return method === 'POST' ? confirmUpload(api, userId, decodeURIComponent(m[1]!), text, org) : this.#unexpected(req, 405);
    }
    if ((m = /^\/v1\/assets\/([^/]+)$/.exec(path))) {
      if (method !== 'GET') return this.#unexpected(req, 405);
      return getAsset(api, decodeURIComponent(m[1]!), org);
    }
    return this.#unexpected(req, 404);
  }

  #unexpected(req: LoggedRequest, status: 404 | 405): Reply {
    this.#host.unexpected.push(req);
    return {
      status,
      body: { code: status === 404 ? 'NOT_FOUND' : 'METHOD_NOT_ALLOWED', message: `fake API: no route for ${req.method} ${req.path}`, errors: null },
    };
  }
}
