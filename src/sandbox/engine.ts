/**
 * Moves evaluations through their statuses as the documented service does: `pending` while they
 * wait in a first-in-first-out queue for one of `workers` workers, `running` while a worker
 * holds them (decoding and judging, a couple of images at a time on the CPU, and at least the
 * evaluation time asked for), then `completed` or `failed`. Busy workers leave later submissions
 * `pending`; nothing is refused for it.
 */
import { runJudges } from './judges/index.js';
import { loadMedia, MediaError, releaseMedia, type MediaSource } from './media.js';
import { analyseImage, UndecodableImageError, type PixelStats } from './pixels.js';
import { judgesToWire, verdictExtrasToWire, type FailureCode, type StoredEvaluation } from './record.js';
import type { EvaluationStore } from './store.js';
import { computeVerdict } from './verdict.js';
import { WorkQueue } from './queue.js';

/** Every evaluation stays `pending` at least this long, so clients can observe the status. */
export const MIN_PENDING_MS = 50;

export interface PreparedMedia {
  image: MediaSource;
  references: Array<{ source: MediaSource; index: number; kind: string | null; description: string | null }>;
}

export interface EngineOptions {
  /** Time a worker spends on each evaluation, at least: one value, or a range spread evenly. */
  evalTime: EvalTime;
  fetchRemote: boolean;
  /** Evaluations processed at once (the service's workers); later ones wait `pending`. */
  workers: number;
  /** Images decoded and judged at once (CPU and memory heavy), whatever the worker count. */
  judgeConcurrency: number;
}

/** `--eval-time D` or `--eval-time MIN..MAX`. */
export interface EvalTime {
  minMs: number;
  maxMs: number;
}

/**
 * The evaluation time of the n-th evaluation: spread over the range by a fixed low-discrepancy
 * sequence, so a run is reproducible and its times cover the range evenly.
 */
export function evalTimeFor(range: EvalTime, n: number): number {
  if (range.maxMs <= range.minMs) return range.minMs;
  const fraction = (n * 0.6180339887498949) % 1;
  return Math.round(range.minMs + fraction * (range.maxMs - range.minMs));
}

type Outcome =
  | { kind: 'completed'; apply: (e: StoredEvaluation, at: string) => void }
  | { kind: 'failed'; code: FailureCode; detail: string };

export class EvaluationEngine {
  readonly #store: EvaluationStore;
  readonly #opts: EngineOptions;
  readonly #judging: WorkQueue;
  /** Evaluations waiting for a worker, oldest first. */
  readonly #waiting: Array<{ evaluation: StoredEvaluation; media: PreparedMedia; evalTimeMs: number }> = [];
  #busy = 0;
  #started = 0;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #abort = new AbortController();
  #closed = false;

  constructor(store: EvaluationStore, opts: EngineOptions) {
    this.#store = store;
    this.#opts = opts;
    this.#judging = new WorkQueue(opts.judgeConcurrency);
  }

  /** Queues a new evaluation; it runs when a worker is free, in submission order. */
  start(evaluation: StoredEvaluation, media: PreparedMedia): void {
    this.#waiting.push({ evaluation, media, evalTimeMs: evalTimeFor(this.#opts.evalTime, this.#started++) });
    this.#pump();
  }

  #pump(): void {
    while (!this.#closed && this.#busy < Math.max(1, this.#opts.workers) && this.#waiting.length > 0) {
      const job = this.#waiting.shift()!;
      this.#busy++;
      // The worker is taken now; the evaluation still shows `pending` for a moment after its
      // submission (within its evaluation time), so clients can observe the status.
      const pickedAt = Date.now();
      const wait = job.evaluation.submittedAtMs + MIN_PENDING_MS - pickedAt;
      this.#later(wait, () => this.#run(job.evaluation, job.media, job.evalTimeMs, pickedAt));
    }
  }

  /** Stops timers and waits for judging in progress; evaluations not finished stay as they are. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#abort.abort(new Error('sandbox closed'));
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#waiting.length = 0;
    await this.#judging.close();
  }

  async #run(evaluation: StoredEvaluation, media: PreparedMedia, evalTimeMs: number, startedAt: number): Promise<void> {
    if (this.#closed) return;
    evaluation.status = 'running';
    evaluation.updatedAt = new Date().toISOString();
    let outcome: Outcome = { kind: 'failed', code: 'processing_failed', detail: 'the sandbox stopped before judging the image' };
    await new Promise<void>((resolve) =>
      this.#judging.push(async () => {
        try {
          outcome = await this.#judge(evaluation, media);
        } finally {
          await Promise.all([media.image, ...media.references.map((r) => r.source)].map((s) => releaseMedia(s).catch(() => undefined)));
          resolve();
        }
      }),
    );
    if (this.#closed) return;
    // A timer may fire a millisecond before Date.now() says it is due: never finish sooner than
    // the evaluation time (clients and tests rely on it).
    const due = startedAt + evalTimeMs;
    const finishWhenDue = () => {
      if (Date.now() < due) this.#later(due - Date.now(), finishWhenDue);
      else this.#finish(evaluation, outcome, startedAt);
    };
    this.#later(due - Date.now(), finishWhenDue);
  }

  async #judge(evaluation: StoredEvaluation, media: PreparedMedia): Promise<Outcome> {
    const request = evaluation.request;
    try {
      const image = await this.#analyse(media.image, 'generated_image_url');
      const references: Array<{ stats: PixelStats; index: number; kind: string | null; description: string | null }> = [];
      for (const ref of media.references) {
        references.push({ ...ref, stats: await this.#analyse(ref.source, `reference_images[${ref.index}]`) });
      }
      const judges = runJudges({
        image,
        declaredMime: media.image.kind === 'file' ? media.image.mime : null,
        references,
        attributes: request.input_attributes,
        prompt: request.generation_prompt,
      });
      const verdict = computeVerdict(judges, request);
      return {
        kind: 'completed',
        apply: (e, at) => {
          e.verdict = verdict;
          e.judges = judgesToWire(e.id, judges, at);
          const extras = verdictExtrasToWire(e.id, verdict, at);
          e.gateFailures = extras.gateFailures;
          e.action = extras.action;
        },
      };
    } catch (err) {
      if (err instanceof MediaError || err instanceof UndecodableImageError) {
        return { kind: 'failed', code: 'invalid_media', detail: err.message };
      }
      const message = err instanceof Error ? err.message : String(err);
      return { kind: 'failed', code: 'processing_failed', detail: `the sandbox could not judge the image: ${message}` };
    }
  }

  async #analyse(source: MediaSource, field: string): Promise<PixelStats> {
    let input: string | Buffer;
    try {
      input = await loadMedia(source, { fetchRemote: this.#opts.fetchRemote, signal: this.#abort.signal });
    } catch (err) {
      if (err instanceof MediaError) throw new MediaError(`${field}: ${err.message}`);
      throw err;
    }
    try {
      return await analyseImage(input);
    } catch (err) {
      if (err instanceof UndecodableImageError) {
        throw new UndecodableImageError(`${field} could not be decoded as an image: ${err.message}`);
      }
      throw err;
    }
  }

  #finish(evaluation: StoredEvaluation, outcome: Outcome, startedAt: number): void {
    const now = Date.now();
    const at = new Date(now).toISOString();
    if (outcome.kind === 'completed') {
      outcome.apply(evaluation, at);
      evaluation.status = 'completed';
    } else {
      evaluation.status = 'failed';
      evaluation.failureCode = outcome.code;
      evaluation.failureDetail = outcome.detail;
    }
    evaluation.completedAt = at;
    evaluation.updatedAt = at;
    // The time a worker spent on it (the queue wait is in completed_at − submitted_at).
    evaluation.evalDurationMs = now - startedAt;
    this.#store.finished();
    this.#busy--;
    this.#pump();
  }

  #later(ms: number, fn: () => void): void {
    if (this.#closed) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#closed) fn();
    }, Math.max(0, ms));
    timer.unref();
    this.#timers.add(timer);
  }
}
