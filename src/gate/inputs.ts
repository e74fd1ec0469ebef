import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { requireUuid } from '../validate.js';
import { mapLimit } from '../util/map-concurrent.js';
import { specFromFlags, type SubmitFlags } from '../evaluations/submit-flags.js';
import { parseManifest } from './manifest.js';
import { classifyGateFile } from './file-rule.js';
import { compareBytes, expandGlob, isGlobPattern } from './globs.js';
import type { GateInput, SkippedFile } from './inputs-types.js';
import { plural } from '../util/plural.js';

/**
 * Turns what `gate` was given into its list of inputs, in the order results are reported:
 * arguments (a folder becomes the images directly inside it, a glob pattern the images it
 * matches), then manifest items, then ids.
 * Images themselves are checked later, by prepareSubmission, with every other input.
 */
export interface CollectOptions {
  images: string[];
  /** Set when the images are not from the command line but a project file's "images". */
  imagesFrom?: ImagesFrom;
  manifest?: { name: string; text: string; baseDir: string };
  ids: string[];
  flags: SubmitFlags;
  cwd: string;
  /** --threshold; every input without a threshold of its own gets this one. */
  thresholdFlag: number;
  /** Receives the files folders and patterns passed over (not images by extension, hidden), in input order. */
  skipped?: SkippedFile[];
}

export interface ImagesFrom {
  /** How messages name them: `runflow-eval.config.json images`. */
  origin: string;
  /** The folder they are relative to (the project file's), instead of the working folder. */
  dir: string;
}

export async function collectGateInputs(opts: CollectOptions): Promise<GateInput[]> {
  const inputs: GateInput[] = [];
  const base = opts.imagesFrom?.dir ?? opts.cwd;
  for (let i = 0; i < opts.images.length; i++) {
    const argument = opts.images[i]!;
    const origin = opts.imagesFrom ? `${opts.imagesFrom.origin}[${i}]` : `argument ${i + 1}`;
    const entries = await expandArgument(argument, base, opts.skipped).catch((err: unknown) => {
      // A project file's entry is named with the file, so the user knows where to fix it.
      if (opts.imagesFrom && err instanceof UsageError) throw new UsageError(`${origin}: ${err.message}`, { hint: err.hint });
      throw err;
    });
    for (const { display, invalid } of entries) {
      if (invalid !== undefined) {
        inputs.push({ kind: 'invalid', display, reason: invalid, threshold: opts.thresholdFlag, shardKey: display, origin });
        continue;
      }
      const spec = specFromFlags(display, opts.flags);
      spec.baseDir = base;
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

/** A folder becomes its images, a pattern the images it matches; anything else stays as given. */
async function expandArgument(argument: string, cwd: string, skipped: SkippedFile[] | undefined): Promise<FolderEntry[]> {
  const kind = await pathKind(argument, cwd);
  if (kind === 'folder') return expandFolder(argument, path.resolve(cwd, argument), skipped);
  if (kind === 'missing' && (await isGlobPattern(argument))) return expandPattern(argument, cwd, skipped);
  return [{ display: argument }];
}

// URLs and data: URIs are never folders; a data: URI may be megabytes long, too long to stat.
const NOT_A_PATH = /^(?:https?|data|runflow):/i;

/**
 * What an argument names on disk. A file whose name happens to hold `*` or `[` is that file, not
 * a pattern; a missing path may be a pattern. Anything unreadable is kept as given, so the image
 * check reports it in its own words.
 */
async function pathKind(argument: string, cwd: string): Promise<'folder' | 'other' | 'missing'> {
  if (argument === '' || NOT_A_PATH.test(argument)) return 'other';
  try {
    return (await stat(path.resolve(cwd, argument))).isDirectory() ? 'folder' : 'other';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'other';
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
  const kept = await applyFileRule(
    names.map((name) => ({ abs: path.join(absDir, name), display: path.join(argument, name) })),
    skipped,
  );
  if (kept.length === 0) {
    throw new UsageError(`${argument}: the folder holds no image files`, {
      hint: `gate takes the files directly inside a folder (not in subfolders) whose extension is an image's (.png, .jpg, .webp, …)`,
    });
  }
  return kept;
}

/**
 * The files a glob pattern matches, under the same rule as a folder's (SPEC §3): in name order,
 * image extensions gated, broken ones failing, others skipped and reported. A pattern that
 * yields no image is an error naming it, so a typo cannot make the gate pass on nothing.
 */
async function expandPattern(pattern: string, cwd: string, skipped: SkippedFile[] | undefined): Promise<FolderEntry[]> {
  const matches = await expandGlob(pattern, cwd);
  const passedOver: SkippedFile[] = [];
  const kept = await applyFileRule(
    matches.map((display) => ({ abs: path.resolve(cwd, display), display })),
    passedOver,
  );
  if (kept.length === 0) {
    throw new UsageError(`${pattern}: the pattern matches no image files${matches.length ? ` (only ${plural(matches.length, 'other file')})` : ''}`, {
      hint: "check the pattern, and quote it so the shell leaves it to gate ('renders/**/*.png'); image files are those with an image's extension (.png, .jpg, .webp, …)",
    });
  }
  skipped?.push(...passedOver);
  return kept;
}

/** The folder rule (file-rule.ts) over files in name order: kept ones, in order; the rest recorded as skipped. */
async function applyFileRule(files: Array<{ abs: string; display: string }>, skipped: SkippedFile[] | undefined): Promise<FolderEntry[]> {
  const verdicts = await mapLimit(files, 16, (f) => classifyGateFile(f.abs, f.display));
  const kept: FolderEntry[] = [];
  files.forEach(({ display }, i) => {
    const verdict = verdicts[i]!;
    if (verdict.kind === 'image') kept.push({ display });
    else if (verdict.kind === 'invalid') kept.push({ display, invalid: verdict.reason });
    else skipped?.push({ path: display, reason: verdict.reason });
  });
  return kept;
}
