/**
 * The three-step upload flow's storage side: upload sessions, the files PUT to them (streamed to
 * the sandbox's temp folder, never held in memory), and the confirmed asset records.
 */
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MAX_UPLOAD_BYTES } from '../api/limits.js';
import type { UploadRequest } from './validate.js';

interface UploadSession extends UploadRequest {
  id: string;
  orgId: string;
  path: string;
  /** Set once a PUT completed. */
  stored: { size: number; contentType: string } | null;
  asset: AssetRecord | null;
  createdAt: string;
}

/** The asset record as the service returns it (docs/runflow-api.md A.18). */
export interface AssetRecord {
  id: string;
  org_id: string;
  folder_id: string | null;
  name: string;
  r2_key: string;
  url: string;
  thumbnail_url: string | null;
  mime_type: string;
  size_bytes: number;
  asset_type: string;
  source_type: string;
  source_id: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
  deleted_by: string | null;
}

export type PutOutcome =
  | { ok: true; size: number }
  | { ok: false; status: number; code: string; message: string };

export class UploadTooLargeError extends Error {}

export class AssetStore {
  readonly #sessions = new Map<string, UploadSession>();
  readonly #dir: string;
  readonly #userId: string;

  constructor(dir: string, userId: string) {
    this.#dir = dir;
    this.#userId = userId;
  }

  create(request: UploadRequest, orgId: string): UploadSession {
    const id = randomUUID();
    const session: UploadSession = {
      ...request,
      id,
      orgId,
      path: join(this.#dir, `asset-${id}`),
      stored: null,
      asset: null,
      createdAt: new Date().toISOString(),
    };
    this.#sessions.set(id, session);
    return session;
  }

  has(id: string): boolean {
    return this.#sessions.has(id);
  }

  /**
   * Stores a PUT body. Like a presigned URL, it takes only the Content-Type it was created for
   * (the signature covers it), and no more than the upload cap.
   */
  async put(id: string, contentType: string | undefined, body: Readable): Promise<PutOutcome> {
    const session = this.#sessions.get(id);
    if (!session) return { ok: false, status: 404, code: 'NOT_FOUND', message: 'no upload session with this id' };
    const declared = essence(session.mime_type);
    if (essence(contentType ?? '') !== declared) {
      return {
        ok: false,
        status: 403,
        code: 'SIGNATURE_DOES_NOT_MATCH',
        message: `the upload URL was signed for Content-Type ${session.mime_type}; the request sent ${contentType ?? 'none'}`,
      };
    }
    let size = 0;
    try {
      await pipeline(
        body,
        async function* (source: AsyncIterable<Buffer>) {
          for await (const chunk of source) {
            size += chunk.length;
            if (size > MAX_UPLOAD_BYTES) throw new UploadTooLargeError();
            yield chunk;
          }
        },
        createWriteStream(session.path),
      );
    } catch (err) {
      await rm(session.path, { force: true });
      if (err instanceof UploadTooLargeError) {
        return { ok: false, status: 413, code: 'PAYLOAD_TOO_LARGE', message: `uploads are limited to ${MAX_UPLOAD_BYTES} bytes` };
      }
      throw err;
    }
    session.stored = { size, contentType: contentType ?? session.mime_type };
    return { ok: true, size };
  }

  /** Creates (once) the asset record for an upload whose file arrived. */
  confirm(id: string, folderId: string | null, baseUrl: string): AssetRecord | 'unknown' | 'not_uploaded' {
    const session = this.#sessions.get(id);
    if (!session) return 'unknown';
    if (!session.stored) return 'not_uploaded';
    if (session.asset) return session.asset;
    const now = new Date().toISOString();
    session.asset = {
      id: session.id,
      org_id: session.orgId,
      folder_id: folderId,
      name: session.filename,
      r2_key: `sandbox/${session.id}`,
      url: `${baseUrl}/storage/${session.id}`,
      thumbnail_url: null,
      mime_type: session.stored.contentType,
      size_bytes: session.stored.size,
      asset_type: session.stored.contentType.startsWith('image/') ? 'image' : 'file',
      source_type: 'upload',
      source_id: null,
      created_by: this.#userId,
      created_at: now,
      updated_at: now,
      deleted_at: null,
      deleted_by: null,
    };
    return session.asset;
  }

  /** A confirmed asset, or undefined. */
  asset(id: string): AssetRecord | undefined {
    return this.#sessions.get(id)?.asset ?? undefined;
  }

  /** Where a stored upload's bytes are (confirmed or not), for GET /storage/:id. */
  storedFile(id: string): { path: string; contentType: string; size: number } | undefined {
    const s = this.#sessions.get(id);
    return s?.stored ? { path: s.path, contentType: s.stored.contentType, size: s.stored.size } : undefined;
  }

  /** The file behind a confirmed asset, for judging. */
  assetFile(id: string): { path: string; mime: string } | undefined {
    const s = this.#sessions.get(id);
    return s?.asset && s.stored ? { path: s.path, mime: s.stored.contentType } : undefined;
  }
}

function essence(mime: string): string {
  return mime.split(';')[0]!.trim().toLowerCase();
}
