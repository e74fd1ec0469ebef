/**
 * Where an image's bytes come from. Inline `data:` images and uploaded assets are files in the
 * sandbox's temporary folder (so waiting evaluations hold no image in memory); `https://` images
 * are fetched when the job runs, as the service does at dispatch.
 */
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';

export const REMOTE_TIMEOUT_MS = 10_000;
export const REMOTE_MAX_BYTES = 52_428_800;

export type MediaSource =
  /** A file in the sandbox's temp folder; `owned` files are deleted once judged. */
  | { kind: 'file'; path: string; mime: string | null; owned: boolean }
  | { kind: 'remote'; url: string };

/** The image could not be fetched or read: the evaluation fails with `invalid_media`. */
export class MediaError extends Error {
  override readonly name = 'MediaError';
}

export interface DataUri {
  mime: string;
  /** The base64 text after the comma. */
  payload: string;
}

const DATA_HEADER = /^data:(image\/[a-z0-9.+-]+)((?:;[a-z0-9-]+=[^;,]*)*);base64$/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Splits a `data:image/...;base64,` URI, or explains what is wrong with it. The header is
 * matched on its own so that a 12-million-character payload never goes through a complex regex.
 */
export function parseDataUri(uri: string): DataUri | { error: string } {
  const comma = uri.indexOf(',');
  if (comma < 0) return { error: 'a data: URI needs a comma before its payload' };
  const header = DATA_HEADER.exec(uri.slice(0, comma));
  if (!header) return { error: 'only data:image/...;base64, URIs are accepted' };
  const payload = uri.slice(comma + 1);
  if (payload.length === 0) return { error: 'the data: URI has no payload' };
  if (!BASE64.test(payload)) return { error: 'the data: URI payload is not valid base64' };
  return { mime: header[1]!.toLowerCase(), payload };
}

/** Base64 decoded this many characters at a time (a multiple of 4: pieces decode as the whole). */
const SPILL_CHUNK_CHARS = 1 << 20;

/**
 * Decodes an inline image into a file of its own, deleted after judging. Decoded in pieces, so a
 * 12-million-character payload costs a megabyte of buffers, not a second copy of the image.
 */
export async function spillDataUri(dir: string, data: DataUri): Promise<MediaSource> {
  const path = join(dir, `inline-${randomUUID()}`);
  const file = await open(path, 'w');
  try {
    for (let i = 0; i < data.payload.length; i += SPILL_CHUNK_CHARS) {
      await file.write(Buffer.from(data.payload.slice(i, i + SPILL_CHUNK_CHARS), 'base64'));
    }
  } finally {
    await file.close();
  }
  return { kind: 'file', path, mime: data.mime, owned: true };
}

/** What a judge can decode: a file path or the fetched bytes. */
export async function loadMedia(
  source: MediaSource,
  opts: { fetchRemote: boolean; signal: AbortSignal },
): Promise<string | Buffer> {
  if (source.kind === 'file') return source.path;
  if (!opts.fetchRemote) throw new MediaError(`fetching remote images is turned off in this sandbox: ${source.url}`);
  return fetchRemote(source.url, opts.signal);
}

export async function releaseMedia(source: MediaSource): Promise<void> {
  if (source.kind === 'file' && source.owned) await rm(source.path, { force: true });
}

type Undici = typeof import('undici');
let undiciLoading: Promise<{ undici: Undici; dispatcher: InstanceType<Undici['EnvHttpProxyAgent']> }> | undefined;

/** undici is loaded on first use, with a dispatcher that honours HTTPS_PROXY and NO_PROXY. */
function loadUndici() {
  undiciLoading ??= import('undici').then((undici) => ({ undici, dispatcher: new undici.EnvHttpProxyAgent() }));
  return undiciLoading;
}

async function fetchRemote(url: string, signal: AbortSignal): Promise<Buffer> {
  const { undici, dispatcher } = await loadUndici();
  const timeout = AbortSignal.timeout(REMOTE_TIMEOUT_MS);
  const combined = AbortSignal.any([signal, timeout]);
  const where = safeUrl(url);
  let response: Awaited<ReturnType<Undici['fetch']>>;
  try {
    response = await undici.fetch(url, { signal: combined, dispatcher, redirect: 'follow' });
  } catch (err) {
    throw new MediaError(
      timeout.aborted ? `timed out fetching ${where}` : `could not fetch ${where}: ${describeNetworkError(err)}`,
    );
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw new MediaError(`fetching ${where} returned HTTP ${response.status}`);
  }
  const declared = Number(response.headers.get('content-length'));
  if (declared > REMOTE_MAX_BYTES) {
    await response.body?.cancel().catch(() => undefined);
    throw new MediaError(`${where} is larger than ${REMOTE_MAX_BYTES} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body ?? []) {
      size += chunk.byteLength;
      if (size > REMOTE_MAX_BYTES) throw new MediaError(`${where} is larger than ${REMOTE_MAX_BYTES} bytes`);
      chunks.push(Buffer.from(chunk));
    }
  } catch (err) {
    if (err instanceof MediaError) throw err;
    throw new MediaError(timeout.aborted ? `timed out fetching ${where}` : `could not read ${where}: ${describeNetworkError(err)}`);
  }
  return Buffer.concat(chunks, size);
}

/** The URL without its query string, which may hold signed credentials. */
function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return 'the image URL';
  }
}

function describeNetworkError(err: unknown): string {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  const code = (cause as { code?: unknown })?.code;
  const message = cause instanceof Error ? cause.message : String(cause);
  return typeof code === 'string' && !message.includes(code) ? `${code} ${message}` : message;
}
