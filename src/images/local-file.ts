import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { fileTypeFromBuffer, fileTypeFromFile } from 'file-type';
import { UsageError } from '../errors.js';
import { MAX_UPLOAD_BYTES, tooLargeError } from '../api/limits.js';

/**
 * Checks on a local image file before anything is sent: it exists, is a regular non-empty file
 * no larger than any route can carry, and is an image by its content, not by its name.
 */
export interface LocalImageInfo {
  size: number;
  /** Detected from the bytes (`image/png`…); this is what is declared to the API. */
  mime: string;
  ext: string;
}

export async function inspectLocalImage(absPath: string, displayName: string): Promise<LocalImageInfo> {
  let size: number;
  try {
    const info = await stat(absPath);
    if (info.isDirectory()) {
      throw new UsageError(`${displayName} is a folder, not an image file`, {
        hint: '`gate` takes a folder (its image files); other commands take one file',
      });
    }
    if (!info.isFile()) throw new UsageError(`${displayName} is not a regular file`);
    size = info.size;
  } catch (err) {
    throw readProblem(err, displayName);
  }
  if (size === 0) throw new UsageError(`${displayName} is empty`, { code: 'invalid_media' });
  // Anything over the upload cap can go by neither route: inline data: URIs stop near 9 MB.
  if (size > MAX_UPLOAD_BYTES) throw tooLargeError(displayName, size);

  let detected: { mime: string; ext: string } | undefined;
  try {
    detected = await fileTypeFromFile(absPath);
  } catch (err) {
    throw readProblem(err, displayName);
  }
  if (!detected || !isAcceptedImageMime(detected.mime)) {
    throw new UsageError(`${displayName} is not an image (content looks like ${await describeContent(absPath, detected?.mime)})`, {
      code: 'invalid_media',
      hint: 'accepted: PNG, JPEG, WebP, GIF, AVIF, BMP, TIFF, HEIC and other image formats, recognised by their content',
    });
  }
  return { size, mime: detected.mime, ext: detected.ext };
}

/** The same content check for bytes already in memory (a decoded data: URI). */
export async function detectImageBytes(bytes: Uint8Array): Promise<{ mime: string; ext: string } | undefined> {
  const detected = await fileTypeFromBuffer(bytes);
  return detected && isAcceptedImageMime(detected.mime) ? { mime: detected.mime, ext: detected.ext } : undefined;
}

export function describeBytes(bytes: Uint8Array, detectedMime?: string): string {
  if (detectedMime) return detectedMime;
  return looksLikeText(bytes) ? 'text' : 'unknown data';
}

/** sha256 of a file's bytes, hex, read as a stream so memory stays flat whatever the size. */
export async function hashFile(absPath: string): Promise<string> {
  return (await hashFileWithSize(absPath)).sha256;
}

/** sha256 hex and size of a file, from the same single pass over its bytes. */
export async function hashFileWithSize(absPath: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(absPath)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

export function hashBytes(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

// file-type files CAD drawings under image/ too; the API cannot judge those.
const NOT_PICTURES = new Set(['image/vnd.dwg']);

function isAcceptedImageMime(mime: string): boolean {
  return mime.startsWith('image/') && !NOT_PICTURES.has(mime);
}

async function describeContent(absPath: string, detectedMime?: string): Promise<string> {
  if (detectedMime) return detectedMime;
  const handle = await open(absPath, 'r');
  try {
    const buffer = Buffer.alloc(512);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return describeBytes(buffer.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

/** Heuristic used only to word an error: no NUL bytes and mostly printable characters. */
function looksLikeText(bytes: Uint8Array): boolean {
  if (bytes.length === 0) return false;
  let printable = 0;
  for (const byte of bytes) {
    if (byte === 0) return false;
    if (byte >= 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d) printable++;
  }
  return printable / bytes.length > 0.95;
}

function readProblem(err: unknown, displayName: string): unknown {
  if (err instanceof UsageError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new UsageError(`${displayName}: no such file`);
  if (code === 'EACCES' || code === 'EPERM') return new UsageError(`${displayName}: cannot read the file (permission denied)`);
  if (code === 'EISDIR') return new UsageError(`${displayName} is a folder, not an image file`);
  return new UsageError(`${displayName}: cannot read the file (${code ?? (err as Error).message})`);
}
