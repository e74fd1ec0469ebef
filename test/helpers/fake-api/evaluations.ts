/**
 * The fake's evaluations: POST (validation, Idempotency-Key replay and conflict, credit, the
 * in-flight limit), GET with embeds, PATCH feedback, and their lifecycle: pending → running →
 * completed/failed with time, computed lazily from their creation time (no timers), behind the
 * worker queue when there is one (workers.ts).
 */
import { randomUUID } from 'node:crypto';
import { priceOf } from './job-classes.js';
import { EMBEDS, KNOWN_EMBEDS, isBrokenDataUri, newRecord, terminalFields, withoutEmbeds } from './records.js';
import type { EvalState, LoggedRequest, OutcomeFn, Reply, ResolvedOptions } from './types.js';
import { canonicalHash, isObject, parseJson, validationError } from './util.js';
import { UUID, validateEvaluation, validateFeedback } from './validate.js';
import { WorkerQueue } from './workers.js';

/** What the evaluations read and change in the fake. */
export interface EvaluationHost {
  /** The options in force (tests may change them between requests). */
  readonly options: ResolvedOptions;
  /** id → record, as tests see them. */
  readonly evaluations: Map<string, Record<string, unknown>>;
  /** Confirmed assets by id (for `requireKnownAssets`). */
  readonly assets: ReadonlyMap<string, unknown>;
}

const notFound = (id: string): Reply => ({ status: 404, body: { code: 'EVALUATION_NOT_FOUND', message: `Evaluation ${id} not found.`, errors: null } });
const jsonInvalid = (): Reply => validationError([{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }]);

export class EvaluationStore {
  /** Most evaluations pending or running at once so far. */
  peakInflight = 0;
  readonly #host: EvaluationHost;
  readonly #queue = new WorkerQueue();
  #outcome: OutcomeFn | undefined;
  #states = new Map<string, EvalState>();
  #inflight = new Set<string>();
  #idempotency = new Map<string, { hash: string; id: string }>();
  #created = 0;

  constructor(host: EvaluationHost) {
    this.#host = host;
  }

  setOutcome(fn: OutcomeFn | undefined): void {
    this.#outcome = fn;
  }

  putRecord(record: Record<string, unknown>): void {
    const id = record.id;
    if (typeof id !== 'string') throw new TypeError('putRecord: the record needs a string id');
    const options = this.#host.options;
    const state: EvalState = {
      id,
      org: typeof record.org_id === 'string' ? record.org_id : options.orgId,
      createdAt: options.now(),
      durationMs: 0,
      pendingMs: 0,
      runMs: 0,
      final: {},
      record,
      terminal: true,
      seeded: true,
    };
    this.#states.set(id, state);
    this.#host.evaluations.set(id, record);
  }

  /** The evaluation's record as of now (status advanced), or undefined. */
  evaluation(id: string): Record<string, unknown> | undefined {
    const state = this.#states.get(id);
    if (!state) return undefined;
    this.#advance(state);
    return state.record;
  }

  forgetIdempotencyKeys(): void {
    this.#idempotency.clear();
  }

  forgetEvaluation(id: string): void {
    this.#states.delete(id);
    this.#inflight.delete(id);
    this.#host.evaluations.delete(id);
    for (const [key, entry] of this.#idempotency) if (entry.id === id) this.#idempotency.delete(key);
  }

  finishNow(id: string): void {
    const state = this.#states.get(id);
    if (!state || state.seeded) return;
    state.durationMs = Math.max(0, this.#host.options.now() - state.createdAt);
    state.pendingMs = Math.min(state.pendingMs, state.durationMs);
    this.#advance(state);
  }

  /** The in-flight limit acts as that many workers; no limit at all means each starts at once. */
  idealMakespan(): number {
    const { workers, maxInflight } = this.#host.options;
    return this.#queue.idealMakespan(Math.min(workers, maxInflight));
  }

  workerBusyShare(): number {
    return this.#queue.busyShare(this.#host.options.workers);
  }

  reset(): void {
    this.#outcome = undefined;
    this.#states.clear();
    this.#inflight.clear();
    this.#idempotency.clear();
    this.#created = 0;
    this.#queue.reset();
    this.peakInflight = 0;
  }

  /** POST /v1/evaluations. */
  create(req: LoggedRequest, text: string, org: string): Reply {
    const options = this.#host.options;
    const parsed = parseJson(text);
    if (!parsed.ok) return jsonInvalid();
    const errors = validateEvaluation(parsed.value, options, this.#host.assets);
    if (errors.length > 0) return validationError(errors);
    const body = parsed.value as Record<string, unknown>;

    const key = req.headers['idempotency-key'];
    const hash = key === undefined ? '' : canonicalHash(body);
    if (key !== undefined) {
      if (key === '' || key.length > 255) {
        return validationError([{ loc: ['header', 'Idempotency-Key'], msg: 'String should have 1 to 255 characters', type: 'string_type' }]);
      }
      const previous = this.#idempotency.get(`${org}\u0000${key}`);
      if (previous) {
        if (previous.hash !== hash) {
          return {
            status: 409,
            body: { code: 'IDEMPOTENCY_CONFLICT', message: 'This Idempotency-Key was already used with a different request body.', errors: null },
          };
        }
        const state = this.#states.get(previous.id)!;
        this.#advance(state);
        return { status: 202, body: withoutEmbeds(state.record), headers: { 'idempotent-replayed': 'true', location: `/v1/evaluations/${state.id}` } };
      }
    }

    if (options.creditEvaluations <= 0) {
      return { status: 402, body: { code: 'INSUFFICIENT_CREDIT', message: 'Account balance is too low. Top up.', errors: null } };
    }
    if (this.#inflightCount(org) >= options.maxInflight) {
      const headers: Record<string, string> = {};
      if (options.retryAfter !== null) headers['retry-after'] = options.retryAfter;
      return {
        status: 429,
        headers,
        body: { code: 'RATE_LIMITED', message: `Too many evaluations in flight (limit ${options.maxInflight}).`, errors: null },
      };
    }

    options.creditEvaluations -= 1;
    const state = this.#newEvaluation(body, org);
    if (key !== undefined) this.#idempotency.set(`${org}\u0000${key}`, { hash, id: state.id });
    return { status: 202, body: withoutEmbeds(state.record), headers: { location: `/v1/evaluations/${state.id}` } };
  }

  /** GET /v1/evaluations/{id}. */
  get(id: string, query: URLSearchParams, org: string): Reply {
    if (!UUID.test(id) && !this.#states.has(id)) {
      return validationError([{ loc: ['path', 'id'], msg: 'Input should be a valid UUID', type: 'uuid_parsing' }]);
    }
    const state = this.#states.get(id);
    if (!state || (!state.seeded && state.org !== org)) return notFound(id);
    if (state.seeded) return { status: 200, body: state.record };
    const embeds = (query.get('embed') ?? '')
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean);
    const unknown = embeds.filter((e) => !KNOWN_EMBEDS.has(e));
    if (unknown.length > 0) {
      return validationError([{ loc: ['query', 'embed'], msg: `Unknown embed value(s): ${unknown.join(', ')}`, type: 'enum' }]);
    }
    this.#advance(state);
    const body = withoutEmbeds(state.record);
    for (const name of EMBEDS) if (embeds.includes(name)) body[name] = state.record[name];
    for (const name of ['run', 'model', 'parent_evaluation']) if (embeds.includes(name)) body[name] = null;
    return { status: 200, body };
  }

  /** PATCH /v1/evaluations/{id}/feedback. */
  feedback(id: string, text: string, org: string): Reply {
    const state = this.#states.get(id);
    if (!state || (!state.seeded && state.org !== org)) return notFound(id);
    const parsed = parseJson(text);
    if (!parsed.ok) return jsonInvalid();
    const body = parsed.value;
    if (!isObject(body)) return validationError([{ loc: ['body'], msg: 'Input should be a valid dictionary', type: 'dict_type' }]);
    const errors = validateFeedback(body);
    if (errors.length > 0) return validationError(errors);
    this.#advance(state);
    state.record.feedback_is_positive = body.is_positive;
    state.record.feedback_reason = body.is_positive === null ? null : (body.reason ?? null);
    state.record.updated_at = new Date(this.#host.options.now()).toISOString();
    return { status: 200, body: withoutEmbeds(state.record) };
  }

  #newEvaluation(body: Record<string, unknown>, org: string): EvalState {
    const options = this.#host.options;
    const index = this.#created++;
    const now = options.now();
    const id = randomUUID();
    const { durationMs: outcomeDuration, ...outcome } = this.#outcome?.(body, index) ?? {};
    const runMs = Math.max(0, outcomeDuration ?? options.evalMs);
    // With workers, the evaluation waits (pending) for the first free one, in submission order.
    const queuedMs = this.#queue.add(now, runMs, options.workers);
    const durationMs = queuedMs + runMs;
    const jobClass = typeof body.job_class === 'string' ? body.job_class : 'standard';
    const record = newRecord(body, id, org, new Date(now).toISOString(), jobClass);
    const state: EvalState = {
      id,
      org,
      createdAt: now,
      durationMs,
      pendingMs: Number.isFinite(options.workers) ? queuedMs : Math.min(durationMs / 4, 1000),
      runMs,
      final: terminalFields(record, outcome, priceOf(options.jobClasses, jobClass), runMs, isBrokenDataUri(body.generated_image_url)),
      record,
      terminal: false,
      seeded: false,
    };
    this.#states.set(id, state);
    this.#host.evaluations.set(id, record);
    this.#inflight.add(id);
    this.peakInflight = Math.max(this.peakInflight, this.#inflightCount(org));
    return state;
  }

  /** Moves the record to the status its age says it has. */
  #advance(state: EvalState): void {
    if (state.terminal || state.seeded) return;
    const now = this.#host.options.now();
    const age = now - state.createdAt;
    const record = state.record;
    if (age >= state.durationMs) {
      Object.assign(record, state.final, {
        updated_at: new Date(state.createdAt + state.durationMs).toISOString(),
        completed_at: new Date(state.createdAt + state.durationMs).toISOString(),
      });
      state.terminal = true;
      this.#inflight.delete(state.id);
    } else if (age >= state.pendingMs && record.status_code === 'pending') {
      record.status_code = 'running';
      record.updated_at = new Date(state.createdAt + state.pendingMs).toISOString();
    }
  }

  #inflightCount(org: string): number {
    let count = 0;
    for (const id of [...this.#inflight]) {
      const state = this.#states.get(id);
      if (!state) continue;
      this.#advance(state);
      if (!state.terminal && state.org === org) count++;
    }
    return count;
  }
}
