/**
 * Moves evaluations through their statuses: `pending` (a short wait, as the service queues),
 * `running` (decoding and judging, a couple at a time), then `completed` or `failed` — never
 * before `evalTimeMs` has passed since submission, so pipelines can be tried with realistic
 * timing.
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
  evalTimeMs: number;
  fetchRemote: boolean;
  workers: number;
}

type Outcome =
  | { kind: 'completed'; apply: (e: StoredEvaluation, at: string) => void }
  | { kind: 'failed'; code: FailureCode; detail: string };

export class EvaluationEngine {
  readonly #store: EvaluationStore;
  readonly #opts: EngineOptions;
  readonly #queue: WorkQueue;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #abort = new AbortController();
  #closed = false;

  constructor(store: EvaluationStore, opts: EngineOptions) {
    this.#store = store;
    this.#opts = opts;
    this.#queue = new WorkQueue(opts.workers);
  }

  start(evaluation: StoredEvaluation, media: PreparedMedia): void {
    // A fifth of the requested time is spent pending, as a queue would.
    const pendingMs = Math.max(MIN_PENDING_MS, Math.round(this.#opts.evalTimeMs / 5));
    this.#later(pendingMs, () => this.#queue.push(() => this.#run(evaluation, media)));
  }

  /** Stops timers and waits for judging in progress; evaluations not finished stay as they are. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#abort.abort(new Error('sandbox closed'));
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    await this.#queue.close();
  }

  async #run(evaluation: StoredEvaluation, media: PreparedMedia): Promise<void> {
    if (this.#closed) return;
    evaluation.status = 'running';
    evaluation.updatedAt = new Date().toISOString();
    let outcome: Outcome;
    try {
      outcome = await this.#judge(evaluation, media);
    } finally {
      await Promise.all([media.image, ...media.references.map((r) => r.source)].map((s) => releaseMedia(s).catch(() => undefined)));
    }
    if (this.#closed) return;
    const remaining = evaluation.submittedAtMs + this.#opts.evalTimeMs - Date.now();
    this.#later(remaining, () => this.#finish(evaluation, outcome));
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

  #finish(evaluation: StoredEvaluation, outcome: Outcome): void {
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
    evaluation.evalDurationMs = now - evaluation.submittedAtMs;
    this.#store.finished();
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
