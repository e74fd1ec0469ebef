import { UsageError } from '../errors.js';

/**
 * The API's published limits (seeds/000 and docs/runflow-api.md §A.18), in one place so
 * classification, inlining, uploading and the request checks agree on them.
 */

/** `generated_image_url` (and so a data: URI sent inline) is capped at this many characters. */
export const MAX_IMAGE_URL_CHARS = 12_000_000;

/** `POST /v1/asset-uploads` accepts `size_bytes` in 1..this (50 MiB). */
export const MAX_UPLOAD_BYTES = 52_428_800;

/** Human form of the upload cap, for messages. */
export const MAX_UPLOAD_LABEL = '50 MiB (52,428,800 bytes)';

/** `reference_images` holds at most this many entries. */
export const MAX_REFERENCES = 4;

/** Length limits, in characters, of the string fields of `POST /v1/evaluations`: [min, max]. */
export const FIELD_CHARS = {
  task_type: [1, 100],
  task_description: [0, 4000],
  generation_prompt: [0, 10_000],
  evaluation_instructions: [0, 4000],
  client_ref: [0, 255],
  job_class: [0, 50],
  callback_url: [0, 2048],
} as const satisfies Record<string, readonly [number, number]>;

/** The one message for a file over the upload cap (refused before anything is sent). */
export function tooLargeError(displayName: string, size: number): UsageError {
  return new UsageError(
    `${displayName} is ${size.toLocaleString('en-US')} bytes, over the upload limit of ${MAX_UPLOAD_LABEL}`,
    { hint: 'host the file at an https:// URL and pass the URL instead' },
  );
}
