/** Small pieces the fake's modules share: error replies, JSON, headers, paths, a seeded generator. */
import { createHash } from 'node:crypto';
import http, { type IncomingMessage } from 'node:http';
import type { FieldError, Reply } from './types.js';

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
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function validationError(errors: FieldError[]): Reply {
  return { status: 422, body: { code: 'VALIDATION_ERROR', message: 'Request validation failed.', errors } };
}

export function permissionDenied(scope: string): Reply {
  return { status: 403, body: { code: 'PERMISSION_DENIED', message: `Token lacks scope ${scope} for this operation.`, errors: null } };
}

export function defaultErrorBody(status: number): unknown {
  if (status === 429) return { code: 'RATE_LIMITED', message: 'Rate limit exceeded.', errors: null };
  if (status === 503) return { code: 'SERVICE_UNAVAILABLE', message: 'Service temporarily unavailable.', errors: null };
  if (status >= 500) return { code: 'INTERNAL_ERROR', message: 'Internal server error.', errors: null };
  return { code: `HTTP_${status}`, message: http.STATUS_CODES[status] ?? 'Error', errors: null };
}

export function canonicalHash(value: unknown): string {
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

export function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function bearerKey(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return m?.[1];
}

export function matchPath(pattern: string | RegExp, path: string): boolean {
  return typeof pattern === 'string' ? pattern === path : pattern.test(path);
}

export function flattenHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

export function lowerKeys(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = v;
  return out;
}

/** Reads the whole body; with `keep` false only counts it (storage uploads stay out of memory). */
export async function readBody(req: IncomingMessage, keep: boolean): Promise<{ text: string; size: number }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (keep) chunks.push(buf);
  }
  return { text: keep ? Buffer.concat(chunks).toString('utf8') : '', size };
}
