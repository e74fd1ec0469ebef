import { readFile } from 'node:fs/promises';
import { MAX_IMAGE_URL_CHARS } from '../api/limits.js';

/**
 * `data:image/...;base64,` URIs: building one from a local file, checking that a file fits the
 * API's 12,000,000-character cap before reading it, and taking a user-given one apart.
 */

/** Characters of standard, padded base64 for `byteCount` bytes. */
export function base64Length(byteCount: number): number {
  return 4 * Math.ceil(byteCount / 3);
}

export function dataUriPrefix(mime: string): string {
  return `data:${mime};base64,`;
}

/**
 * Whether a file of `size` bytes, sent as a data: URI, stays within the cap of
 * `generated_image_url`. Without a MIME type a generous 64-character prefix is assumed, so the
 * answer is never "fits" for a file that would not.
 */
export function fitsInline(size: number, mime?: string): boolean {
  const prefixLength = mime === undefined ? 64 : dataUriPrefix(mime).length;
  return prefixLength + base64Length(size) <= MAX_IMAGE_URL_CHARS;
}

export function toDataUri(bytes: Uint8Array, mime: string): string {
  return dataUriPrefix(mime) + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/**
 * Reads a file and returns it as a data: URI along with the bytes it was made from (the caller
 * hashes exactly those bytes, so the hash and the URI can never disagree if the file changes).
 */
export async function dataUriFromFile(absPath: string, mime: string): Promise<{ uri: string; bytes: Buffer }> {
  const bytes = await readFile(absPath);
  return { uri: toDataUri(bytes, mime), bytes };
}

export interface ParsedDataUri {
  /** The declared media type, e.g. `image/png`. */
  mime: string;
  /** The base64 text after the comma. */
  payload: string;
}

export type DataUriProblem = 'not-image-base64' | 'empty' | 'bad-base64';

// `data:image/<subtype>[;param=value]*;base64,<payload>`; the scheme and `base64` token are
// case-insensitive (RFC 2397), the payload is standard base64 (not the URL-safe alphabet).
const DATA_URI_HEAD = /^data:(image\/[a-z0-9][a-z0-9.+-]*)((?:;[a-z0-9_.+-]+=[^;,]*)*);base64,/i;
const BASE64_BODY = /^[A-Za-z0-9+/]*={0,2}$/;

/** Splits and checks a data: URI; returns the reason when it is not a usable base64 image. */
export function parseDataUri(uri: string): ParsedDataUri | DataUriProblem {
  const head = DATA_URI_HEAD.exec(uri);
  if (!head) return 'not-image-base64';
  const payload = uri.slice(head[0].length);
  if (payload.length === 0) return 'empty';
  // A length of 4k+1 can never be produced by base64, padded or not.
  if (!BASE64_BODY.test(payload) || payload.length % 4 === 1) return 'bad-base64';
  return { mime: head[1]!.toLowerCase(), payload };
}

/** Decoded bytes of a data: URI already accepted by `parseDataUri`. */
export function decodeDataUri(uri: string): { mime: string; bytes: Buffer } {
  const parsed = parseDataUri(uri);
  if (typeof parsed === 'string') throw new Error(`not a base64 image data: URI (${parsed})`);
  return { mime: parsed.mime, bytes: Buffer.from(parsed.payload, 'base64') };
}
