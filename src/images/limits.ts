/**
 * The API's published size caps for images (seeds/000 and docs/runflow-api.md §A.18), in one place
 * so classification, inlining and uploading agree on them.
 */

/** `generated_image_url` (and so a data: URI sent inline) is capped at this many characters. */
export const MAX_IMAGE_URL_CHARS = 12_000_000;

/** `POST /v1/asset-uploads` accepts `size_bytes` in 1..this (50 MiB). */
export const MAX_UPLOAD_BYTES = 52_428_800;

/** Human form of the upload cap, for messages. */
export const MAX_UPLOAD_LABEL = '50 MiB (52,428,800 bytes)';
