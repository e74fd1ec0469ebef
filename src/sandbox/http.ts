/** Small node:http helpers for the sandbox: JSON replies, the error envelope, body reading. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FieldError } from './validate.js';

/** Largest JSON body: a 12,000,000-character image plus four references of the same size. */
export const MAX_JSON_BODY_BYTES = 64 * 1024 * 1024;

export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly errors: FieldError[] | null;
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, message: string, opts: { errors?: FieldError[]; headers?: Record<string, string> } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.errors = opts.errors ?? null;
    this.headers = opts.headers ?? {};
  }
}

/** A 422 whose message summarises the field errors, as a human reads it first. */
export function validationError(errors: FieldError[]): HttpError {
  const first = errors[0]!;
  const where = first.loc.filter((p) => p !== 'body').join('.') || 'body';
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  return new HttpError(422, 'VALIDATION_ERROR', `${where}: ${first.msg}${more}`, { errors });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, err: HttpError): void {
  sendJson(res, err.status, { code: err.code, message: err.message, errors: err.errors }, err.headers);
}

/** Reads and parses a JSON body. An empty body is `undefined` (some endpoints take none). */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = (await readBody(req)).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const detail = err instanceof Error ? err.message : 'invalid JSON';
    throw validationError([{ loc: ['body'], msg: `JSON decode error: ${detail}`, type: 'json_invalid' }]);
  }
}

/**
 * The whole body, in one buffer. With a Content-Length (clients send one) the buffer is made at
 * that size and filled as chunks arrive: a 16 MB body costs 16 MB, not its chunks plus a copy.
 */
async function readBody(req: IncomingMessage): Promise<Buffer> {
  const tooLarge = () =>
    new HttpError(413, 'PAYLOAD_TOO_LARGE', `request bodies are limited to ${MAX_JSON_BODY_BYTES} bytes`, {
      headers: { Connection: 'close' },
    });
  const declared = Number(req.headers['content-length']);
  // A body declared too large is still read up to the limit, then refused (as one without a length).
  const known = req.headers['content-length'] !== undefined && Number.isSafeInteger(declared) && declared >= 0 && declared <= MAX_JSON_BODY_BYTES;
  const chunks: Buffer[] = [];
  const whole = known ? Buffer.allocUnsafe(declared) : undefined;
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    if (size + chunk.length > (whole ? whole.length : MAX_JSON_BODY_BYTES)) throw tooLarge();
    if (whole) chunk.copy(whole, size);
    else chunks.push(chunk);
    size += chunk.length;
  }
  return whole ? whole.subarray(0, size) : Buffer.concat(chunks, size);
}

/** True when the request carries `Authorization: Bearer <something>`. */
export function hasBearer(req: IncomingMessage): boolean {
  const header = req.headers.authorization;
  return typeof header === 'string' && /^Bearer\s+\S+/i.test(header);
}
