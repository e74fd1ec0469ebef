import { lstat, stat } from 'node:fs/promises';
import path from 'node:path';
import { inspectLocalImage } from '../images/local-file.js';
import { UsageError } from '../errors.js';

/**
 * The rule for a file met inside a folder (or matched by a glob) that `gate` was given (SPEC §3
 * "gate"): the file's extension says whether the user meant it as an image; its content says
 * whether it is one. A generator that writes `shot-3.png` holding "CUDA out of memory" produced a
 * broken image, and that must fail the gate, never be passed over.
 *
 * - an image extension and image content → gated;
 * - an image extension but empty, or not an image by content → an `invalid_media` result, not sent;
 * - anything else (other extensions, hidden files, sockets…) → skipped, and reported as such.
 */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set([
  '.png', '.jpg', '.jpeg', '.webp', '.gif', '.avif', '.heic', '.heif', '.bmp', '.tif', '.tiff',
]);

export type GateFileVerdict =
  | { kind: 'image' }
  | { kind: 'invalid'; reason: string }
  | { kind: 'skipped'; reason: string };

export function hasImageExtension(name: string): boolean {
  return IMAGE_EXTENSIONS.has(path.extname(name).toLowerCase());
}

/**
 * Classifies one file found by expanding a folder or a glob.
 * @param absPath the file on disk.
 * @param display the path as the user would type it (used in reasons).
 */
export async function classifyGateFile(absPath: string, display: string): Promise<GateFileVerdict> {
  const name = path.basename(absPath);
  if (name.startsWith('.')) return { kind: 'skipped', reason: 'hidden file' };
  if (!hasImageExtension(name)) return { kind: 'skipped', reason: 'not an image file extension' };
  let isFile: boolean;
  try {
    isFile = (await stat(absPath)).isFile();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // A dangling symlink named like an image is a broken output as much as an empty file is.
    if (code === 'ENOENT' && (await lstat(absPath).catch(() => undefined))?.isSymbolicLink()) {
      return { kind: 'invalid', reason: 'a symbolic link to a missing file' };
    }
    // Unreadable for another reason: gated, so the image check says why in its own words (exit 2).
    return { kind: 'image' };
  }
  if (!isFile) return { kind: 'skipped', reason: 'not a regular file' };
  try {
    await inspectLocalImage(absPath, display);
    return { kind: 'image' };
  } catch (err) {
    if (err instanceof UsageError && err.code === 'invalid_media') return { kind: 'invalid', reason: err.message };
    // Too large, unreadable…: an image that cannot be sent, which the image check refuses (exit 2).
    return { kind: 'image' };
  }
}
