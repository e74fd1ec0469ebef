import { fileTypeFromBuffer } from 'file-type';
import { UsageError } from '../errors.js';
import { uploadFile, type UploadClient } from '../api/uploads.js';
import type { AssetCache } from './asset-cache.js';
import { describeInput, type ImageInput } from './classify.js';
import { dataUriFromFile, decodeDataUri, fitsInline, type InlineFile } from './data-uri.js';
import { describeBytes, detectImageBytes, hashBytes, hashFile, hashFileWithSize, inspectLocalImage } from './local-file.js';

/**
 * Turns a classified image into the string that goes in the request body, and the hash of its
 * bytes (for the idempotency key). Two phases: `prepareLocal` checks every input without sending
 * anything (so a bad 40th image stops a gate before the first submit, and `--dry-run` can show
 * the plan); `resolveImageForSubmit` then inlines, reuses or uploads.
 */

/** How an image will travel: as given (`url`, `asset`, `data`), inlined, or uploaded. */
export type ImageRoute = 'url' | 'asset' | 'data' | 'inline' | 'upload';

export interface PreparedImage {
  input: ImageInput;
  route: ImageRoute;
  /** Local files and data: URIs: the bytes' size and detected type. */
  size?: number;
  mime?: string;
}

export interface ResolveContext {
  /** Needed only when a file goes through the upload flow. */
  client?: UploadClient;
  cache?: AssetCache;
  /** `--upload`: send local files through the upload flow even when they would fit inline. */
  forceUpload?: boolean;
  baseUrl: string;
  orgId?: string;
  signal?: AbortSignal;
  /**
   * A file that goes inline is only hashed here; `inline` says what to write when the request
   * is sent (data-uri.ts `writeFileDataUri`) and `url` is left empty. Without it, `url` is the
   * whole data: URI.
   */
  deferInline?: boolean;
}

export interface ResolvedImage {
  /** What goes in `generated_image_url` / `reference_images[].url`. */
  url: string;
  /** sha256 hex of the image bytes, for local files and data: URIs (see src/evaluations/idempotency.ts). */
  contentHash?: string;
  route: ImageRoute;
  /** True when an upload was skipped because the same bytes were uploaded before. */
  reused?: boolean;
  /** With `deferInline`: the file whose data: URI goes where `url` would. */
  inline?: InlineFile;
}

/** The name an input goes by in messages: its flag and the input as the user gave it. */
export function inputLabel(input: ImageInput): string {
  switch (input.kind) {
    case 'url':
      return describeInput(input.url, input.flag);
    case 'asset':
      return describeInput(input.ref, input.flag);
    case 'data':
      return describeInput(input.uri, input.flag);
    case 'file':
      return describeInput(input.path, input.flag);
  }
}

/** Every check that needs no network; throws a UsageError naming the input. */
export async function prepareLocal(input: ImageInput, opts: { forceUpload?: boolean } = {}): Promise<PreparedImage> {
  switch (input.kind) {
    case 'url':
      return { input, route: 'url' };
    case 'asset':
      return { input, route: 'asset' };
    case 'data': {
      const { bytes } = decodeDataUri(input.uri);
      const detected = await detectImageBytes(bytes);
      if (!detected) {
        const other = await fileTypeFromBuffer(bytes);
        throw new UsageError(
          `${inputLabel(input)}: the data: URI does not hold an image (content looks like ${describeBytes(bytes.subarray(0, 512), other?.mime)})`,
        );
      }
      return { input, route: 'data', size: bytes.length, mime: detected.mime };
    }
    case 'file': {
      const info = await inspectLocalImage(input.absPath, inputLabel(input));
      const route: ImageRoute = !opts.forceUpload && fitsInline(info.size, info.mime) ? 'inline' : 'upload';
      return { input, route, size: info.size, mime: info.mime };
    }
  }
}

export async function resolveImageForSubmit(input: ImageInput, ctx: ResolveContext): Promise<ResolvedImage> {
  switch (input.kind) {
    case 'url':
      return { url: input.url, route: 'url' };
    case 'asset':
      return { url: input.ref, route: 'asset' };
    case 'data':
      // Hash the decoded bytes, not the text, so this URI and the same file given as a path
      // produce the same idempotency key.
      return { url: input.uri, contentHash: hashBytes(decodeDataUri(input.uri).bytes), route: 'data' };
    case 'file':
      return resolveLocalFile(input, ctx);
  }
}

async function resolveLocalFile(input: Extract<ImageInput, { kind: 'file' }>, ctx: ResolveContext): Promise<ResolvedImage> {
  const label = inputLabel(input);
  const prepared = await prepareLocal(input, { forceUpload: ctx.forceUpload });
  const mime = prepared.mime!;

  if (prepared.route === 'inline' && ctx.deferInline) {
    // One pass gives the hash and the size it belongs to; the bytes are read again when sent.
    const { sha256, size } = await hashFileWithSize(input.absPath);
    if (!fitsInline(size, mime)) return resolveLocalFile(input, { ...ctx, forceUpload: true });
    return { url: '', contentHash: sha256, route: 'inline', inline: { absPath: input.absPath, mime, size, sha256, label } };
  }

  if (prepared.route === 'inline') {
    // One read gives both the URI and its hash, so they describe the same bytes.
    const { uri, bytes } = await dataUriFromFile(input.absPath, mime);
    if (!fitsInline(bytes.length, mime)) {
      // It grew since it was inspected; go the upload way with what is on disk now.
      return resolveLocalFile(input, { ...ctx, forceUpload: true });
    }
    return { url: uri, contentHash: hashBytes(bytes), route: 'inline' };
  }

  const sha256 = await hashFile(input.absPath);
  const key = { baseUrl: ctx.baseUrl, orgId: ctx.orgId, sha256 };
  const cached = await ctx.cache?.get(key);
  if (cached) return { url: cached, contentHash: sha256, route: 'upload', reused: true };

  if (!ctx.client) throw new Error(`internal: no API client to upload ${label}`);
  const uploaded = await uploadFile(ctx.client, {
    absPath: input.absPath,
    displayName: label,
    size: prepared.size!,
    mime,
    signal: ctx.signal,
  });
  await ctx.cache?.set(key, uploaded.ref);
  return { url: uploaded.ref, contentHash: sha256, route: 'upload' };
}
