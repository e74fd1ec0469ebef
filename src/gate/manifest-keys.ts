/**
 * The keys a manifest item may hold, and what to say about a key it may not: a typo gets the key it
 * most likely meant (an API field name, a case variant, a near spelling), a run-wide setting gets
 * its flag.
 */
import { UsageError } from '../errors.js';
import { editDistance } from '../util/edit-distance.js';

export const MANIFEST_KEYS = [
  'image',
  'task_type',
  'prompt',
  'task_description',
  'instructions',
  'attributes',
  'refs',
  'client_ref',
  'threshold',
] as const;
export type ManifestKey = (typeof MANIFEST_KEYS)[number];

export const REF_KEYS = ['image', 'kind', 'description'] as const;

/** The API's own field names, which people copy from the docs, mapped to the manifest's. */
const API_NAMES: Record<string, ManifestKey> = {
  generated_image_url: 'image',
  generation_prompt: 'prompt',
  evaluation_instructions: 'instructions',
  input_attributes: 'attributes',
  reference_images: 'refs',
};

/** Settings that apply to a whole gate run and so are flags only. */
const FLAG_ONLY: Record<string, string> = {
  run_id: '--run-id',
  job_class: '--job-class',
  callback_url: '--callback-url',
  idempotency_key: '--idempotency-key',
};

/** SubmissionSpec field → manifest key, and → the flag that gives its default. */
export const KEY_OF_FIELD: Record<string, ManifestKey> = {
  image: 'image',
  taskType: 'task_type',
  taskDescription: 'task_description',
  prompt: 'prompt',
  instructions: 'instructions',
  attributes: 'attributes',
  refs: 'refs',
  clientRef: 'client_ref',
};
export const FLAG_OF_FIELD: Record<string, string> = {
  image: '<image>',
  taskType: '--task-type',
  taskDescription: '--task-description',
  prompt: '--prompt',
  instructions: '--instructions',
  attributes: '--attr',
  refs: '--ref',
  clientRef: '--client-ref',
  runId: '--run-id',
  jobClass: '--job-class',
  callbackUrl: '--callback-url',
};

/** The manifest key for a SubmissionSpec field (`taskType` → `task_type`); undefined for flag-only fields. */
export function manifestKeyName(field: string): string | undefined {
  return KEY_OF_FIELD[field];
}

export function unknownKey(where: string, key: string, known: readonly string[]): UsageError {
  const flag = Object.entries(FLAG_ONLY).find(([name]) => normalizeKey(name) === normalizeKey(key))?.[1];
  if (known === MANIFEST_KEYS && flag) {
    return new UsageError(`${where}: unknown key ${JSON.stringify(key)}`, {
      hint: `${key} applies to the whole gate run: give it as ${flag}`,
    });
  }
  const guess = closestKey(key, known);
  return new UsageError(`${where}: unknown key ${JSON.stringify(key)}${guess ? ` (did you mean ${JSON.stringify(guess)}?)` : ''}`, {
    hint: `known keys: ${known.join(', ')}`,
  });
}

/** The known key a typo most likely meant: an API field name, a case/underscore variant, or a near spelling. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  if (known === MANIFEST_KEYS && API_NAMES[key]) return API_NAMES[key];
  const norm = normalizeKey(key);
  const sameButCase = known.find((k) => normalizeKey(k) === norm);
  if (sameButCase) return sameButCase;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = editDistance(norm, normalizeKey(candidate));
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  // Beyond a couple of edits (or a third of the word) a suggestion is a guess, not a help.
  return bestDistance <= Math.max(2, Math.floor(norm.length / 3)) ? best : undefined;
}

function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[-_\s]/g, '');
}
