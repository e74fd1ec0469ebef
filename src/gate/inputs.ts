import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileTypeFromFile } from 'file-type';
import { UsageError } from '../errors.js';
import { requireUuid } from '../validate.js';
import { specFromFlags, type SubmitFlags } from '../commands/submit-flags.js';
import { parseManifest } from './manifest.js';
import type { GateInput } from './inputs-types.js';

/**
 * Turns what `gate` was given into its list of inputs, in the order results are reported:
 * arguments (a folder becomes the images directly inside it), then manifest items, then ids.
 * Images themselves are checked later, by prepareSubmission, with every other input.
 */
export interface CollectOptions {
  images: string[];
  manifest?: { name: string; text: string; baseDir: string };
  ids: string[];
  flags: SubmitFlags;
  cwd: string;
  /** --threshold; every input without a threshold of its own gets this one. */
  thresholdFlag: number;
}

export async function collectGateInputs(opts: CollectOptions): Promise<GateInput[]> {
  const inputs: GateInput[] = [];
  for (let i = 0; i < opts.images.length; i++) {
    const argument = opts.images[i];
    const origin = `argument ${i + 1}`;
    const folder = await isFolder(argument, opts.cwd);
    const images = folder ? await imagesInFolder(argument, path.resolve(opts.cwd, argument)) : [argument];
    for (const display of images) {
      const spec = specFromFlags(display, opts.flags);
      spec.baseDir = opts.cwd;
      inputs.push({ kind: 'submit', display, spec, threshold: opts.thresholdFlag, shardKey: display, origin });
    }
  }
  if (opts.manifest) {
    const items = parseManifest(opts.manifest.text, { name: opts.manifest.name, baseDir: opts.manifest.baseDir }, opts.flags);
    for (const item of items) inputs.push({ ...item, threshold: item.threshold ?? opts.thresholdFlag });
  }
  for (const raw of opts.ids) {
    const id = requireUuid(raw, '--id');
    inputs.push({ kind: 'id', display: id, id, threshold: opts.thresholdFlag, shardKey: id, origin: `--id ${id}` });
  }
  return inputs;
}

// URLs and data: URIs are never folders; a data: URI may be megabytes long, too long to stat.
const NOT_A_PATH = /^(?:https?|data|runflow):/i;

async function isFolder(argument: string, cwd: string): Promise<boolean> {
  if (argument === '' || NOT_A_PATH.test(argument)) return false;
  try {
    return (await stat(path.resolve(cwd, argument))).isDirectory();
  } catch {
    // Missing or unreadable: kept as given, so the image check reports it in its own words.
    return false;
  }
}

/**
 * The image files directly inside a folder, by content, in byte-wise name order (the same order
 * on every machine and locale), as the user would type them: `shots/a.png`.
 */
async function imagesInFolder(argument: string, absDir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(absDir, { withFileTypes: true });
  } catch (err) {
    throw new UsageError(`${argument}: cannot read the folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const names = entries
    .filter((e) => !e.name.startsWith('.') && (e.isFile() || e.isSymbolicLink()))
    .map((e) => e.name)
    .sort(compareBytes);
  const keep = await mapLimit(names, 16, (name) => isImageFile(path.join(absDir, name)));
  const images = names.filter((_, i) => keep[i]).map((name) => path.join(argument, name));
  if (images.length === 0) {
    throw new UsageError(`${argument}: the folder holds no image files`, {
      hint: 'gate takes the images directly inside a folder (not in subfolders), recognised by their content',
    });
  }
  return images;
}

// file-type files CAD drawings under image/ too; the API cannot judge those.
const NOT_PICTURES = new Set(['image/vnd.dwg']);

async function isImageFile(absPath: string): Promise<boolean> {
  try {
    const info = await stat(absPath);
    if (!info.isFile()) return false;
    const type = await fileTypeFromFile(absPath);
    return type !== undefined && type.mime.startsWith('image/') && !NOT_PICTURES.has(type.mime);
  } catch (err) {
    // An unreadable file might well be an image: keep it, and let the image check say why it fails.
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'EACCES' || code === 'EPERM';
  }
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Maps with at most `limit` calls in flight, keeping results in input order. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
