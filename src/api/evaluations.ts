/**
 * The evaluation endpoints: the one place that knows their paths. Each function is one request;
 * deciding what to do with the answer stays with the caller.
 */
import type { ApiResponse, LazyBody, RunflowClient } from './client.js';
import { ResponseFormatError } from './errors.js';
import type { Evaluation, EvaluationRequest } from './types.js';

/** Anything that hands out the run's client (the Context does), so callers need not build one. */
export interface ClientSource {
  client(): Promise<RunflowClient>;
}

export const DEFAULT_EMBED = 'judges,action,gate_failures';

/** `--embed none` (or an empty value) asks for the bare record. */
export function embedQuery(embed: string | undefined): string | undefined {
  const value = (embed ?? DEFAULT_EMBED).trim();
  return value === '' || value === 'none' ? undefined : value;
}

export interface FetchedEvaluation {
  record: Evaluation;
  /** The raw body, printed unchanged under --json. */
  text: string;
}

/** GET /v1/evaluations/{id}, with the related records `embed` names. */
export async function fetchEvaluation(
  source: ClientSource,
  id: string,
  embed: string | undefined,
  signal?: AbortSignal,
  onResponse?: (info: { status: number; headers: Record<string, string> }) => void,
): Promise<FetchedEvaluation> {
  const client = await source.client();
  const res = await client.request<Evaluation>('GET', `/v1/evaluations/${encodeURIComponent(id)}`, {
    query: { embed: embedQuery(embed) },
    signal,
    onResponse,
  });
  if (!res.data || typeof res.data !== 'object' || Array.isArray(res.data)) {
    throw new ResponseFormatError(`GET /v1/evaluations/${id} returned ${Array.isArray(res.data) ? 'an array' : typeof res.data}, not an evaluation record`);
  }
  return { record: res.data, text: res.text };
}

/** A request body with the Idempotency-Key every retry of it carries. */
export interface EvaluationPost {
  body: EvaluationRequest;
  idempotencyKey: string;
  /**
   * When set, what is sent instead of `body` (which then holds stand-ins for inline images): the
   * same JSON with the images' data: URIs written in, made per attempt (see LazyBody).
   */
  lazyBody?: LazyBody;
}

export interface SubmitOptions {
  deadline: number;
  signal?: AbortSignal;
  /** See RequestOptions.onRateLimited: `'return'` hands the 429 back instead of retrying. */
  onRateLimited?: (info: { retryAfterMs?: number }) => void | 'return';
  /** Every HTTP response, whatever its status (the gate learns from it that the service is reachable). */
  onResponse?: (info: { status: number; headers: Record<string, string> }) => void;
}

/**
 * POST /v1/evaluations. A 429 here (a request-rate or in-flight limit) clears with time, so it is
 * retried until the deadline rather than five times (SPEC §6).
 */
export async function postEvaluation(client: RunflowClient, built: EvaluationPost, opts: SubmitOptions): Promise<{ record: Evaluation; text: string }> {
  const res = await client.request<Evaluation>('POST', '/v1/evaluations', {
    ...(built.lazyBody ? { lazyBody: built.lazyBody } : { body: built.body }),
    idempotencyKey: built.idempotencyKey,
    retry429Until: opts.deadline,
    signal: opts.signal,
    onRateLimited: opts.onRateLimited,
    onResponse: opts.onResponse,
  });
  const record = res.data;
  if (!record || typeof record !== 'object' || typeof record.id !== 'string' || !record.id) {
    throw new ResponseFormatError('POST /v1/evaluations answered without an evaluation id');
  }
  return { record, text: res.text };
}

/** PATCH /v1/evaluations/{id}/feedback: `is_positive` null (with `reason` null) clears it. */
export function patchFeedback(
  client: RunflowClient,
  id: string,
  body: { is_positive: boolean | null; reason: string | null },
): Promise<ApiResponse<Evaluation>> {
  return client.request<Evaluation>('PATCH', `/v1/evaluations/${id}/feedback`, { body });
}
