import { statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { UUID_PATTERN } from '../validate.js';
import { parseDataUri } from './data-uri.js';
import { MAX_IMAGE_URL_CHARS } from '../api/limits.js';

/**
 * What the user gave as an `<image>` or a `--ref` (SPEC §3 "Images"). Deciding the kind is pure
 * string work plus one stat for local paths, so every input can be checked before anything is
 * sent.
 */
export type ImageInput =
  | { kind: 'url'; url: string; flag?: string }
  | { kind: 'asset'; ref: string; flag?: string }
  | { kind: 'data'; uri: string; flag?: string }
  | { kind: 'file'; /** as the user gave it */ path: string; absPath: string; flag?: string };

export interface ClassifyOptions {
  /** Folder that relative paths are relative to (a manifest's folder); the working folder by default. */
  baseDir?: string;
}

const ASSET_REF = new RegExp(`^runflow://assets/(${UUID_PATTERN})$`, 'i');
// Two characters at least, so a Windows drive letter (`C:\x.png`) is a path, not a scheme.
const SCHEME = /^([a-z][a-z0-9+.-]+):/i;

/** How an input is named in messages: the flag it came with, and the input shortened. */
export function describeInput(input: string, flag?: string): string {
  const shown = input.length > 80 ? `${input.slice(0, 60)}…` : input;
  return flag ? `${flag} ${shown}` : shown;
}

/**
 * @param flag the flag the input came with (`--ref`), for messages; none for a positional image.
 * @param options a ClassifyOptions, or just the base folder for relative paths.
 */
export function classifyImage(input: string, flag?: string, options?: ClassifyOptions | string): ImageInput {
  const opts: ClassifyOptions = typeof options === 'string' ? { baseDir: options } : (options ?? {});
  const name = describeInput(input, flag);
  const withFlag = <T extends ImageInput>(value: T): T => (flag ? { ...value, flag } : value);

  if (input.length === 0) {
    throw new UsageError(`${flag ?? 'image'}: empty value; give an https:// URL, a runflow://assets/ reference, a data:image URI or a file path`);
  }

  const scheme = SCHEME.exec(input)?.[1]?.toLowerCase();
  if (scheme !== undefined && (scheme === 'https' || scheme === 'http' || scheme === 'runflow' || scheme === 'data')) {
    if (input.length > MAX_IMAGE_URL_CHARS) {
      throw new UsageError(`${name}: ${input.length.toLocaleString('en-US')} characters, over the API's limit of 12,000,000`, {
        hint: scheme === 'data' ? 'save the image to a file and pass the path; large files go through the upload flow' : undefined,
      });
    }
  }

  switch (scheme) {
    case 'https':
      return withFlag({ kind: 'url', url: checkHttpsUrl(input, name) });
    case 'http':
      // A plain-http image would be fetched by the service over the open network; the API and
      // this tool only take https.
      throw new UsageError(`${name}: http:// image URLs are refused; an https:// URL is required`, {
        hint: 'use the https:// address of the image, or download it and pass the local file',
      });
    case 'runflow':
      if (!ASSET_REF.test(input)) {
        throw new UsageError(`${name}: not a valid asset reference; expected runflow://assets/<uuid>`);
      }
      return withFlag({ kind: 'asset', ref: input });
    case 'data':
      return withFlag({ kind: 'data', uri: checkDataUri(input, name) });
    default:
      break;
  }

  const absPath = path.resolve(opts.baseDir ?? process.cwd(), input);
  const exists = pathExists(absPath);
  if (scheme !== undefined && !exists) {
    // `ftp:`, `file:`, `s3:`…: refused by name rather than reported as a missing file.
    throw new UsageError(`${name}: unsupported image source "${scheme}:"; use an https:// URL, a runflow://assets/ reference, a data:image/...;base64, URI or a local file path`, {
      hint: scheme === 'file' ? 'give the file path itself, without file://' : undefined,
    });
  }
  if (!exists) throw new UsageError(`${name}: no such file`);
  return withFlag({ kind: 'file', path: input, absPath });
}

function checkHttpsUrl(input: string, name: string): string {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new UsageError(`${name}: not a valid URL`);
  }
  if (url.hostname === '') throw new UsageError(`${name}: not a valid URL (no host)`);
  // Sent exactly as given: re-serialising could re-encode a signed query string.
  return input;
}

function checkDataUri(input: string, name: string): string {
  const parsed = parseDataUri(input);
  if (parsed === 'not-image-base64') {
    throw new UsageError(`${name}: only data:image/<type>;base64, URIs are accepted`);
  }
  if (parsed === 'empty') throw new UsageError(`${name}: the data: URI holds no data`);
  if (parsed === 'bad-base64') throw new UsageError(`${name}: the data: URI's payload is not valid base64`);
  return input;
}

/**
 * True unless the path certainly does not exist. Other stat failures (permission denied) count
 * as existing so the later content check can report them precisely.
 */
function pathExists(absPath: string): boolean {
  try {
    statSync(absPath);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return !(code === 'ENOENT' || code === 'ENOTDIR');
  }
}
