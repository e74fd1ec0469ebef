import type { AssetStore } from './assets.js';
import type { EvaluationEngine } from './engine.js';
import type { EvaluationStore } from './store.js';

/** What the routes share: one sandbox's stores, its engine and its settings. */
export interface SandboxServices {
  /** Evaluations, idempotency keys and the in-flight count. */
  store: EvaluationStore;
  /** Upload sessions, assets and their stored files. */
  assets: AssetStore;
  /** The worker queue that moves evaluations through their statuses. */
  engine: EvaluationEngine;
  /** The sandbox's temporary folder (spilled data: URIs, uploads). */
  dir: string;
  /** Evaluations pending or running at once before a submission gets 429 (Infinity: no limit). */
  maxInflight: number;
  /** The base URL clients reach the sandbox at, known once it listens. */
  baseUrl(): string;
  log: ((line: string) => void) | undefined;
}
