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
  const first = errors[0];
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
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_JSON_BODY_BYTES) {
      throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `request bodies are limited to ${MAX_JSON_BODY_BYTES} bytes`, {
        headers: { Connection: 'close' },
      });
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks, size).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const detail = err instanceof Error ? err.message : 'invalid JSON';
    throw validationError([{ loc: ['body'], msg: `JSON decode error: ${detail}`, type: 'json_invalid' }]);
  }
}

/** True when the request carries `Authorization: Bearer <something>`. */
export function hasBearer(req: IncomingMessage): boolean {
  const header = req.headers.authorization;
  return typeof header === 'string' && /^Bearer\s+\S+/i.test(header);
}
