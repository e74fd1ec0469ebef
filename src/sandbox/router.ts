/**
 * The sandbox's request dispatch: finds the route for a method and path (404 for an unknown path,
 * 405 with `Allow` for a known path and the wrong method), checks the bearer key and the request
 * rate as the service does, and turns what a handler throws into the service's error envelope.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { hasBearer, HttpError, sendError } from './http.js';
import { SANDBOX_ORG_ID } from './identities.js';
import type { RequestRateLimit } from './rate-limit.js';
import { isUuid } from './validate.js';

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** The pattern's capture groups, decoded. */
  params: string[];
  /** X-Organization-Id when it is a UUID, else the sandbox's organization. */
  orgId: string;
}

export interface Route {
  method: string;
  pattern: RegExp;
  /** Storage URLs are presigned: they take no API key, like the real storage host. */
  public?: boolean;
  handle(ctx: RequestContext): Promise<void> | void;
}

export interface RouterOptions {
  /** Requests per second per key, for routes that need a key. */
  rateLimit: RequestRateLimit | undefined;
  /** Request log, one line per request, and the reason of each 500. */
  log: ((line: string) => void) | undefined;
}

/**
 * A request handler over `routes`. The first route, in list order, whose pattern and method match
 * handles the request: list specific paths (`/v1/evaluations/statuses`) before patterns that also
 * match them (`/v1/evaluations/{id}`).
 */
export function createRouter(routes: Route[], opts: RouterOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { rateLimit, log } = opts;
  return async (req, res) => {
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'http://sandbox');
    res.on('finish', () => log?.(`${req.method} ${url.pathname}${url.search ? url.search : ''} ${res.statusCode} ${Date.now() - started}ms`));
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
        log?.(`error: ${req.method} ${url.pathname}: ${message}`);
        sendError(res, new HttpError(500, 'INTERNAL_ERROR', 'the sandbox failed to handle this request'));
      }
    }
  };
}

/** A path segment, decoded; a malformed escape is kept as sent (it then matches nothing). */
function decodePathPart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
