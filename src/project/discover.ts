import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';

/**
 * Finds and parses the project file (SPEC §2 "Project file"): the gate's settings kept in the
 * repository beside the code. lilconfig does the search and yaml the parsing; both are loaded
 * here, and this module only by the commands that read the file, so neither is on the start-up
 * path of any other command.
 */

export const PACKAGE_PROP = 'runflow-eval';

/** In this order in each folder, the nearest folder first (SPEC §2). */
export const SEARCH_PLACES = [
  'runflow-eval.config.json',
  'runflow-eval.config.yaml',
  'runflow-eval.config.yml',
  '.runflow-evalrc.json',
  '.runflow-evalrc.yaml',
  '.runflow-evalrc.yml',
  'package.json',
] as const;

export interface FoundProjectFile {
  /** Absolute path of the file (package.json when the settings are its "runflow-eval" key). */
  file: string;
  /** The parsed settings: whatever the file holds, checked by the caller. */
  data: unknown;
}

export interface DiscoverOptions {
  cwd: string;
  /** `--config FILE`: this file and no search; `false` for `--no-config`. */
  config?: string | false;
}

export async function discoverProjectFile(opts: DiscoverOptions): Promise<FoundProjectFile | undefined> {
  if (opts.config === false) return undefined;
  if (typeof opts.config === 'string') return loadNamedFile(opts.config, opts.cwd);
  const { lilconfig } = await import('lilconfig');
  const loader = (file: string, text: string) => parseProjectText(file, text);
  const explorer = lilconfig(PACKAGE_PROP, {
    searchPlaces: [...SEARCH_PLACES],
    packageProp: PACKAGE_PROP,
    stopDir: repositoryRoot(opts.cwd) ?? path.parse(path.resolve(opts.cwd)).root,
    // An empty project file is still the project's file: it stops the search (and sets nothing).
    ignoreEmptySearchPlaces: false,
    cache: false,
    loaders: { '.json': loader, '.yaml': loader, '.yml': loader },
  });
  let found;
  try {
    found = await explorer.search(opts.cwd);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    // A candidate that exists but cannot be read (a folder of that name, no permission).
    const e = err as NodeJS.ErrnoException;
    throw new UsageError(`project file ${e.path ?? `search from ${opts.cwd}`}: cannot be read (${e.code ?? e.message})`);
  }
  if (!found) return undefined;
  return { file: found.filepath, data: found.config ?? {} };
}

/**
 * The folder holding `.git` (a folder in a clone, a file in a worktree) at or above `cwd`: the
 * search stops there, so a project file in a parent of the repository never applies to it.
 */
export function repositoryRoot(cwd: string): string | undefined {
  let dir = path.resolve(cwd);
  for (;;) {
    if (existsSync(path.join(dir, '.git'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** `--config FILE`: JSON or YAML by extension, package.json's "runflow-eval" key. */
async function loadNamedFile(name: string, cwd: string): Promise<FoundProjectFile> {
  const file = path.resolve(cwd, name);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`--config ${name}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder' : `cannot be read (${code})`}`);
  }
  const parsed = await parseProjectText(file, text);
  if (path.basename(file) !== 'package.json') return { file, data: parsed ?? {} };
  const data = parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>)[PACKAGE_PROP] : undefined;
  if (data === undefined) throw new UsageError(`--config ${name}: package.json has no "${PACKAGE_PROP}" key`);
  return { file, data };
}

/** JSON for `.json`, YAML otherwise (YAML reads JSON too); an empty file is no settings. */
export async function parseProjectText(file: string, text: string): Promise<unknown> {
  const body = text.replace(/^\uFEFF/, '');
  if (body.trim() === '') return undefined;
  if (path.extname(file).toLowerCase() === '.json') {
    try {
      return JSON.parse(body);
    } catch (err) {
      throw new UsageError(`project file ${file}: invalid JSON (${(err as Error).message.replace(/, ".*" is not valid JSON$/s, '')})`);
    }
  }
  const YAML = await import('yaml');
  try {
    // YAML 1.2's core schema: `yes` stays a string, and a key given twice is an error.
    return YAML.parse(body, { prettyErrors: true });
  } catch (err) {
    const first = (err as Error).message.split('\n')[0];
    throw new UsageError(`project file ${file}: invalid YAML (${first})`);
  }
}
