/**
 * The thumbnails of the HTML report: which images are embedded (in input order, up to a count and
 * a byte budget), shrunk to small WebP with sharp, and what is linked or named instead. Only
 * local files and `data:` images are ever read; remote images stay links.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fileTypeFromBuffer } from 'file-type';
import type { GateResult, GateResultExtra } from '../gate/types.js';
import { displayImage } from './verdict.js';

/** Local files larger than this are linked, not read. */
export const MAX_THUMBNAIL_SOURCE_BYTES = 5 * 1024 * 1024;
export const DEFAULT_MAX_THUMBNAILS = 200;
/** A ceiling on all embedded bytes together, in case thumbnails cannot be shrunk. */
const MAX_EMBEDDED_BYTES = 64 * 1024 * 1024;
const THUMBNAIL_SIDE = 320;
const THUMBNAIL_CONCURRENCY = 4;

/** Types a browser shows in `<img>`; SVG is left out on purpose (it is a document, not pixels). */
const BROWSER_IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/webp', 'image/gif', 'image/avif']);
/** Types worth shrinking with sharp (it reads these; the result is WebP). */
const SHRINKABLE_TYPES = new Set([...BROWSER_IMAGE_TYPES, 'image/tiff', 'image/heic', 'image/heif']);
const TYPE_BY_EXTENSION: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.avif': 'image/avif',
};
const DATA_URI_IMAGE = /^data:(image\/(?:png|jpeg|webp|gif|avif));base64,[A-Za-z0-9+/]+={0,2}$/i;

export type EmbeddedThumbnail = { kind: 'embedded'; src: string };
export type Thumbnail =
  | EmbeddedThumbnail
  | { kind: 'file-link'; href: string; reason: string }
  | { kind: 'https-link'; href: string }
  | { kind: 'text'; text: string };

export async function prepareThumbnails(
  results: readonly GateResult[],
  extras: readonly (GateResultExtra | undefined)[] | undefined,
  maxThumbnails: number,
): Promise<Thumbnail[]> {
  const thumbnails: Thumbnail[] = new Array(results.length);
  // Decide which images get embedded in input order first, so the choice does not depend on
  // which file happens to be read faster.
  const toEmbed: number[] = [];
  results.forEach((result, i) => {
    const image = typeof result.image === 'string' ? result.image : '';
    const localPath = extras?.[i]?.localPath;
    if (localPath) {
      if (toEmbed.length < maxThumbnails) toEmbed.push(i);
      else thumbnails[i] = fileLink(localPath, `thumbnails are embedded for the first ${maxThumbnails} local images only`);
    } else if (DATA_URI_IMAGE.test(image) && image.length <= (MAX_THUMBNAIL_SOURCE_BYTES * 4) / 3 + 64 && toEmbed.length < maxThumbnails) {
      toEmbed.push(i);
    } else {
      thumbnails[i] = linkOrText(image);
    }
  });

  let embeddedBytes = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < toEmbed.length) {
      const i = toEmbed[next++]!;
      const localPath = extras?.[i]?.localPath;
      const image = results[i]!.image;
      if (!localPath) {
        // A data: URI input (already checked against DATA_URI_IMAGE): shown as given.
        thumbnails[i] = { kind: 'embedded', src: image };
        continue;
      }
      const embedded = await embedLocalFile(localPath, MAX_EMBEDDED_BYTES - embeddedBytes);
      if (typeof embedded === 'string') thumbnails[i] = fileLink(localPath, embedded);
      else {
        embeddedBytes += embedded.src.length;
        thumbnails[i] = embedded;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(THUMBNAIL_CONCURRENCY, toEmbed.length) }, worker));
  return thumbnails;
}

/** An embedded thumbnail, or the reason there is none. */
async function embedLocalFile(localPath: string, budget: number): Promise<EmbeddedThumbnail | string> {
  try {
    const info = await stat(localPath);
    if (!info.isFile()) return 'not a regular file';
    if (info.size > MAX_THUMBNAIL_SOURCE_BYTES) return 'larger than 5 MB, not embedded';
    const bytes = await readFile(localPath);
    const detected = (await fileTypeFromBuffer(bytes))?.mime;
    const mime = detected ?? TYPE_BY_EXTENSION[extname(localPath).toLowerCase()];
    if (!mime) return 'not a recognised image type';
    let data = detected && SHRINKABLE_TYPES.has(detected) ? await shrink(bytes) : null;
    let dataMime = 'image/webp';
    if (!data) {
      if (!BROWSER_IMAGE_TYPES.has(mime)) return 'this image type cannot be shown in a browser';
      data = bytes;
      dataMime = mime;
    }
    const src = `data:${dataMime};base64,${data.toString('base64')}`;
    if (src.length > budget) return 'the page already embeds enough image data';
    return { kind: 'embedded', src };
  } catch {
    return 'could not be read';
  }
}

/** A small WebP of the image, or null when sharp cannot decode it (the original is used then). */
async function shrink(bytes: Buffer): Promise<Buffer | null> {
  try {
    const { default: sharp } = await import('sharp');
    return await sharp(bytes, { animated: false })
      .rotate()
      .resize(THUMBNAIL_SIDE, THUMBNAIL_SIDE, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 75 })
      .toBuffer();
  } catch {
    return null;
  }
}

function fileLink(localPath: string, reason: string): Thumbnail {
  return { kind: 'file-link', href: pathToFileURL(localPath).href, reason };
}

function linkOrText(image: string): Thumbnail {
  const href = httpsUrl(image);
  return href ? { kind: 'https-link', href } : { kind: 'text', text: displayImage(image) };
}

/** The URL, normalised, when it parses as `https:`; null otherwise (javascript:, http:, junk). */
function httpsUrl(text: string): string | null {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}
