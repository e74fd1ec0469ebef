import { createHash, randomUUID } from 'node:crypto';
import type { EvaluationRequest } from '../api/types.js';
import { canonicalJson } from '../util/canonical-json.js';

/**
 * Idempotency keys for `POST /v1/evaluations` (SPEC §6).
 *
 * Why derive the key from the request's content: a submit or gate that is re-run (after a
 * Ctrl-C, a CI retry, a crash between the server accepting the request and us reading the
 * answer) sends the same key, so the server hands back the evaluation it already has instead of
 * creating and billing a second one. A random key per process would only protect retries inside
 * one run.
 *
 * Why images count by the hash of their bytes: the same local file may travel inline as a
 * data: URI one time and as an uploaded `runflow://assets/` reference the next (`--upload`, a
 * cleared cache, a different size cap). Those are the same request to the user, so the
 * URL-or-URI text is replaced by `sha256:<hex>` before hashing. Remote https:// URLs and asset
 * references stay as they are: their bytes are not ours to read.
 *
 * Everything else in the body (task type, prompt, attributes, reference kinds, job class…)
 * is part of the key, so changing any of it is a new evaluation.
 */

const KEY_PREFIX = 'rfe-';
// Bumped if the canonical form ever changes, so an old key never matches a differently built one.
const KEY_DOMAIN = 'runflow-eval/idempotency/v1';

export interface ContentHashes {
  /** sha256 of `generated_image_url`'s bytes when it came from a local file or a data: URI. */
  image?: string;
  /** Same, per `reference_images` entry, by index; undefined for URLs and asset references. */
  refs: (string | undefined)[];
}

export function idempotencyKeyFor(body: EvaluationRequest, contentHashes: ContentHashes): string {
  const stable: EvaluationRequest = {
    ...body,
    generated_image_url: contentHashes.image ? `sha256:${contentHashes.image}` : body.generated_image_url,
  };
  if (body.reference_images) {
    stable.reference_images = body.reference_images.map((ref, index) => {
      const hash = contentHashes.refs[index];
      return hash ? { ...ref, url: `sha256:${hash}` } : ref;
    });
  }
  const digest = createHash('sha256').update(`${KEY_DOMAIN}\n${canonicalJson(stable)}`).digest('hex');
  return KEY_PREFIX + digest.slice(0, 32);
}

/** For `--resubmit` and for resubmitting a transiently failed evaluation: never seen before. */
export function freshIdempotencyKey(): string {
  return KEY_PREFIX + randomUUID();
}
