import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { requireUuid } from '../validate.js';
import { specFromFlags, type SubmitFlags } from '../evaluations/submit-flags.js';
import { parseManifest } from './manifest.js';
import { classifyGateFile } from './file-rule.js';
import type { GateInput, SkippedFile } from './inputs-types.js';

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
  /** Receives the files folders passed over (not images by extension, hidden), in input order. */
  skipped?: SkippedFile[];
}

export async function collectGateInputs(opts: CollectOptions): Promise<GateInput[]> {
  const inputs: GateInput[] = [];
  for (let i = 0; i < opts.images.length; i++) {
    const argument = opts.images[i];
    const origin = `argument ${i + 1}`;
    const folder = await isFolder(argument, opts.cwd);
    const entries: FolderEntry[] = folder ? await expandFolder(argument, path.resolve(opts.cwd, argument), opts.skipped) : [{ display: argument }];
    for (const { display, invalid } of entries) {
      if (invalid !== undefined) {
        inputs.push({ kind: 'invalid', display, reason: invalid, threshold: opts.thresholdFlag, shardKey: display, origin });
        continue;
      }
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

interface FolderEntry {
  display: string;
  /** Set when the file has an image extension but is not an image: why. */
  invalid?: string;
}

/**
 * The files directly inside a folder that are meant as images (by extension), in byte-wise name
 * order (the same order on every machine and locale), as the user would type them:
 * `shots/a.png`. Broken ones come back marked invalid; the rest are recorded as skipped.
 */
async function expandFolder(argument: string, absDir: string, skipped: SkippedFile[] | undefined): Promise<FolderEntry[]> {
  let entries;
  try {
    entries = await readdir(absDir, { withFileTypes: true });
  } catch (err) {
    throw new UsageError(`${argument}: cannot read the folder (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  // Subfolders are not entered (a folder means the files directly inside it), nor reported.
  const names = entries.filter((e) => !e.isDirectory()).map((e) => e.name).sort(compareBytes);
  const verdicts = await mapLimit(names, 16, (name) => classifyGateFile(path.join(absDir, name), path.join(argument, name)));
  const kept: FolderEntry[] = [];
  names.forEach((name, i) => {
    const display = path.join(argument, name);
    const verdict = verdicts[i];
    if (verdict.kind === 'image') kept.push({ display });
    else if (verdict.kind === 'invalid') kept.push({ display, invalid: verdict.reason });
    else skipped?.push({ path: display, reason: verdict.reason });
  });
  if (kept.length === 0) {
    throw new UsageError(`${argument}: the folder holds no image files`, {
      hint: `gate takes the files directly inside a folder (not in subfolders) whose extension is an image's (.png, .jpg, .webp, …)`,
    });
  }
  return kept;
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
