/**
 * Not paying twice for one request (SPEC §3 "Reruns, spend and the cache"): the submission
 * record says which evaluation a key already created, and that evaluation is read back instead of
 * posted again; new evaluations are recorded under their keys.
 */
import type { RunflowClient } from '../api/client.js';
import { ApiError } from '../api/errors.js';
import { postEvaluation, type SubmitOptions } from '../api/evaluations.js';
import type { Evaluation } from '../api/types.js';
import type { SubmissionRecord } from '../cache/submission-record.js';
import type { Clock } from '../clock.js';
import { isTransientPollError, pollDelay } from './poll.js';
import type { BuiltRequest } from './request.js';

export interface ReuseOptions {
  /** Undefined: nothing is looked up or recorded (--sandbox). */
  record?: SubmissionRecord;
  /** --resubmit: the record is not consulted (the new evaluation is still recorded). */
  bypass?: boolean;
  /** GET /v1/evaluations/{id}. */
  read: (id: string) => Promise<{ record: Evaluation; text?: string }>;
  debug?: (line: string) => void;
  /**
   * Reading a recorded evaluation is a poll: a 429 (the service's request-rate limit) or 5xx that
   * outlasts the client's own retries is tried again until this deadline, as a wait would,
   * instead of failing the input (SPEC §6). Without it, the first such error is thrown.
   */
  patience?: { clock: Clock; deadline: number; signal?: AbortSignal };
}

/** Answers meaning the service does not know a recorded id (422: not an id it takes at all). */
const UNKNOWN_ID_STATUSES = new Set([404, 410, 422]);

/**
 * SPEC §3 "Reruns, spend and the cache": submits, unless the record already holds the evaluation this key created: then that
 * evaluation is read back instead (`reused`). A recorded id the service no longer knows (404) is
 * submitted again with the same key, and the record updated. A key that may not read evaluations
 * (403) also just posts: the same key keeps that idempotent on the service's side.
 */
export async function submitOrReuse(
  client: RunflowClient,
  built: BuiltRequest,
  opts: SubmitOptions,
  reuse?: ReuseOptions,
): Promise<{ record: Evaluation; text: string; reused: boolean }> {
  const recorded = reuse ? await readRecorded(built, reuse) : undefined;
  if (recorded) return { ...recorded, reused: true };
  const submitted = await postEvaluation(client, built, opts);
  if (reuse) noteSubmitted(built, submitted.record, reuse);
  return { ...submitted, reused: false };
}

/** The evaluation the record holds for this request, read back; undefined when there is none to use. */
export async function readRecorded(built: BuiltRequest, reuse: ReuseOptions): Promise<{ record: Evaluation; text: string } | undefined> {
  if (!reuse.record || reuse.bypass) return undefined;
  const id = await reuse.record.get({ idempotencyKey: built.idempotencyKey, contentKey: built.contentKey });
  if (!id) return undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      const read = await reuse.read(id);
      reuse.debug?.(`reusing evaluation ${id}, recorded for Idempotency-Key ${built.idempotencyKey}`);
      return { record: read.record, text: read.text ?? JSON.stringify(read.record) };
    } catch (err) {
      const patience = reuse.patience;
      // Only answers (429, 5xx): a connection that cannot be made at all has had the client's
      // retries, and the gate's fail-fast on an unreachable service depends on hearing of it.
      if (patience && !patience.signal?.aborted && err instanceof ApiError && isTransientPollError(err)) {
        const delay = pollDelay(attempt);
        if (patience.clock.now() + delay < patience.deadline) {
          reuse.debug?.(`recorded evaluation ${id} could not be read yet (${(err as Error).message}); trying again`);
          await patience.clock.sleep(delay, patience.signal);
          continue;
        }
      }
      if (!(err instanceof ApiError) || err.status === undefined || !(UNKNOWN_ID_STATUSES.has(err.status) || err.status === 403)) throw err;
      reuse.debug?.(`recorded evaluation ${id} could not be read (HTTP ${err.status}); submitting again with the same key`);
      return undefined;
    }
  }
}

/** Records a new evaluation under its key, in the background (the caller flushes the record before it ends). */
export function noteSubmitted(built: BuiltRequest, record: Evaluation, reuse: ReuseOptions): void {
  if (!reuse.record || typeof record.id !== 'string') return;
  void reuse.record.record({ idempotencyKey: built.idempotencyKey, contentKey: built.contentKey }, record.id);
  if (built.plainKey) void reuse.record.record({ idempotencyKey: built.plainKey, contentKey: built.contentKey }, record.id);
}
