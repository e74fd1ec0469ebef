import { createHash } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { MAX_IMAGE_URL_CHARS } from '../api/limits.js';
import { UsageError } from '../errors.js';

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

/**
 * A local file that travels inline, described by what its key was derived from, not by its
 * bytes: a gate of a thousand photographs keeps a few dozen bytes per image instead of each
 * one's data: URI (1.33× the file) from the moment it is admitted until its verdict. The URI is
 * written straight into the request body when it is sent (`writeFileDataUri`).
 */
export interface InlineFile {
  absPath: string;
  mime: string;
  /** Bytes, and their sha256 hex, when the request's idempotency key was derived. */
  size: number;
  sha256: string;
  /** How messages name the file (its flag and path as given). */
  label: string;
}

/** Characters of the data: URI of `file`. */
export function inlineFileUriLength(file: Pick<InlineFile, 'mime' | 'size'>): number {
  return dataUriPrefix(file.mime).length + base64Length(file.size);
}

/** Bytes read and encoded at a time: a multiple of 3, so the pieces' base64 joins without padding. */
const ENCODE_CHUNK = 3 * 64 * 1024;

/**
 * Writes the data: URI of `file` into `out` at `offset` (exactly `inlineFileUriLength(file)`
 * bytes of ASCII) and returns the offset after it. The file is read in pieces, so no copy of it
 * (nor of its base64 text) is ever whole in memory beside `out`. The bytes must still be the ones
 * the idempotency key was derived from: a file that changed since (size or sha256) is refused,
 * since sending other content under the same key would be a different request under its name.
 */
export async function writeFileDataUri(file: InlineFile, out: Buffer, offset: number): Promise<number> {
  let at = offset + out.write(dataUriPrefix(file.mime), offset, 'latin1');
  const hash = createHash('sha256');
  const handle = await open(file.absPath, 'r').catch((err: NodeJS.ErrnoException) => {
    throw new UsageError(`${file.label}: cannot read the file any more (${err.code ?? err.message})`);
  });
  try {
    const chunk = Buffer.allocUnsafe(ENCODE_CHUNK);
    let total = 0;
    for (;;) {
      // Fill the whole chunk (a read may return less) so only the last piece is padded.
      let filled = 0;
      while (filled < ENCODE_CHUNK) {
        const { bytesRead } = await handle.read(chunk, filled, ENCODE_CHUNK - filled, total + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      if (filled === 0) break;
      total += filled;
      if (total > file.size) break;
      const piece = chunk.subarray(0, filled);
      hash.update(piece);
      at += out.write(piece.toString('base64'), at, 'latin1');
      if (filled < ENCODE_CHUNK) break;
    }
    if (total !== file.size || hash.digest('hex') !== file.sha256) {
      throw new UsageError(`${file.label} changed after its request was made (its Idempotency-Key comes from the earlier content), so it was not sent; run again to send the new content`, {
        code: 'invalid_media',
      });
    }
    return at;
  } finally {
    await handle.close();
  }
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
