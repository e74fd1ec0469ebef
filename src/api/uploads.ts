import { createReadStream } from 'node:fs';
import { isLoopbackHost } from '../util/url.js';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { CliError, UsageError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { MAX_UPLOAD_BYTES, tooLargeError } from './limits.js';
import type { Asset, UploadSession } from './types.js';

/**
 * The three-step presigned upload (docs/runflow-api.md §A.18):
 *   1. POST /v1/asset-uploads {filename, mime_type, size_bytes} → {asset_id, upload_url}
 *   2. PUT upload_url with the raw bytes, streamed from disk, the declared Content-Type and
 *      no API key (the presigned URL carries its own credentials; the storage host must
 *      never see ours)
 *   3. POST /v1/asset-uploads/{asset_id}/confirmations {} → the Asset record
 */

/** What this module needs of RunflowClient (src/api/client.ts), structurally. */
export interface UploadClient {
  request<T = unknown>(
    method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
    path: string,
    opts?: { body?: unknown; signal?: AbortSignal },
  ): Promise<{ status: number; data: T }>;
  putToStorage(
    url: string,
    body: () => NodeJS.ReadableStream | Buffer,
    opts: { contentType: string; contentLength: number; timeoutMs?: number; signal?: AbortSignal },
  ): Promise<{ status: number }>;
}

export interface UploadInput {
  absPath: string;
  /** How the file is named in messages (the path as the user gave it). */
  displayName: string;
  size: number;
  /** Detected from the content; declared at step 1 and sent as Content-Type at step 2. */
  mime: string;
  signal?: AbortSignal;
}

export interface UploadResult {
  ref: string;
  asset_id: string;
  asset: Asset;
}

export async function uploadFile(client: UploadClient, file: UploadInput): Promise<UploadResult> {
  if (file.size < 1) throw new UsageError(`${file.displayName} is empty`);
  if (file.size > MAX_UPLOAD_BYTES) throw tooLargeError(file.displayName, file.size);

  let session = await createSession(client, file);
  let status = await putFile(client, session, file, { expiryRecoverable: true });
  if (status === 'expired') {
    // The guide's reading of a 403 here: the presigned URL expired (a slow queue, a long
    // retry). A fresh session is cheap; a second 403 is a real refusal and is reported as such.
    session = await createSession(client, file);
    status = await putFile(client, session, file, { expiryRecoverable: false });
  }
  if (status !== 'ok') {
    throw new CliError(`upload of ${file.displayName} failed: the storage host answered HTTP ${status}`, {
      exitCode: ExitCode.Api,
      code: 'upload_failed',
      status: status === 'expired' ? 403 : status,
    });
  }

  const confirmed = await client.request<Asset>(
    'POST',
    `/v1/asset-uploads/${encodeURIComponent(session.asset_id)}/confirmations`,
    { body: {}, signal: file.signal },
  );
  const asset = confirmed.data;
  if (asset === null || typeof asset !== 'object' || Array.isArray(asset)) {
    throw unexpectedResponse('the upload confirmation did not return an asset record');
  }
  // The SDK forms the ref from the confirmed asset's id; step 1's id is the same asset.
  const assetId = typeof asset.id === 'string' && asset.id !== '' ? asset.id : session.asset_id;
  // asset_id is the id in the ref, so the two fields of `upload --json` never disagree.
  return { ref: `runflow://assets/${assetId}`, asset_id: assetId, asset };
}

/** Per-attempt PUT timeout: at least 2 minutes, and long enough for 256 KiB/s. */
export function uploadTimeoutMs(size: number): number {
  return Math.max(120_000, Math.ceil((size / (256 * 1024)) * 1000));
}

/** https, or http on a loopback host (a local API such as the sandbox serves its own storage). */
export function isAcceptableUploadUrl(raw: string): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && isLoopbackHost(url.hostname);
}

async function createSession(client: UploadClient, file: UploadInput): Promise<UploadSession> {
  const { data } = await client.request<UploadSession>('POST', '/v1/asset-uploads', {
    body: { filename: uploadFilename(file.absPath), mime_type: file.mime, size_bytes: file.size },
    signal: file.signal,
  });
  if (!data || typeof data.asset_id !== 'string' || data.asset_id === '' || typeof data.upload_url !== 'string') {
    throw unexpectedResponse('the upload session has no asset_id or upload_url');
  }
  if (!isAcceptableUploadUrl(data.upload_url)) {
    // Only the origin is shown: the rest of a presigned URL is a credential.
    throw new CliError(`refusing insecure upload_url from the API (${safeOrigin(data.upload_url)}): uploads must go over https://`, {
      exitCode: ExitCode.Api,
      code: 'insecure_upload_url',
    });
  }
  return data;
}

/** 'ok', 'expired' (a 403 worth one fresh session), or another status a client returned. */
async function putFile(
  client: UploadClient,
  session: UploadSession,
  file: UploadInput,
  opts: { expiryRecoverable: boolean },
): Promise<'ok' | 'expired' | number> {
  // The declared Content-Length must be the real one; a file that changed since it was
  // inspected would be cut short or overrun.
  const now = await stat(file.absPath).catch(() => undefined);
  if (!now || now.size !== file.size) {
    throw new UsageError(`${file.displayName} changed while it was being uploaded; run the command again`);
  }
  let status: number;
  try {
    ({ status } = await client.putToStorage(session.upload_url, () => createReadStream(file.absPath), {
      contentType: file.mime,
      contentLength: file.size,
      timeoutMs: uploadTimeoutMs(file.size),
      signal: file.signal,
    }));
  } catch (err) {
    // RunflowClient throws on HTTP errors; its error for the last 403 is the one to show.
    if (opts.expiryRecoverable && err instanceof CliError && err.status === 403) return 'expired';
    throw err;
  }
  if (status >= 200 && status <= 299) return 'ok';
  return status === 403 && opts.expiryRecoverable ? 'expired' : status;
}

/** Step 1 wants 1–500 characters. */
function uploadFilename(absPath: string): string {
  const name = path.basename(absPath) || 'image';
  return name.length <= 500 ? name : name.slice(name.length - 500);
}

function safeOrigin(raw: string): string {
  try {
    const url = new URL(raw);
    return `${url.protocol}//${url.host}`;
  } catch {
    return 'not a URL';
  }
}

function unexpectedResponse(message: string): CliError {
  return new CliError(`unexpected response from the API: ${message}`, { exitCode: ExitCode.Api, code: 'unexpected_response' });
}

