import type { Command, Option } from 'commander';

/**
 * The keys a project file may hold, derived from the gate command's own option definitions: a
 * key is a flag's name without the dashes (SPEC §2), so a flag added to `gate` is a valid key
 * without touching this file. What the definitions cannot say (that `--threshold` takes a number,
 * `--timeout` a duration) is in KINDS below; a flag missing there still works, taking a string or
 * a number, or true/false when it takes no value.
 */

export type KeyKind =
  /** A string (the text flags: task type, prompt, …). */
  | 'text'
  /** A string or a number, passed on as the flag's text: the default for a flag not in KINDS. */
  | 'scalar'
  /** A number (0–1 for threshold, as a manifest has it; other limits are the flag's). */
  | 'number'
  | 'integer'
  /** A decimal amount: a number or a decimal string (money stays exact). */
  | 'decimal'
  /** A string like "10m", as the flag takes it. */
  | 'duration'
  | 'boolean'
  /** A file path, relative to the project file's folder. */
  | 'path'
  /** A string or an array of strings (a repeatable flag). */
  | 'list'
  /** As a manifest's "refs": images, or {image, kind, description}; paths relative to the file. */
  | 'refs'
  /** As a manifest's "attributes": an object. */
  | 'attributes'
  /** The image arguments: paths, folders or globs, relative to the file; a string or an array. */
  | 'images';

export interface ProjectKey {
  /** The key as written in the file: the flag's long name without `--`. */
  name: string;
  kind: KeyKind;
  /** The flag it stands for (`--task-type`), for messages; `<image>` for the arguments. */
  flag: string;
  /** commander's attribute for the flag (`taskType`); undefined for the image arguments. */
  attribute?: string;
  /** True for a `--no-x` flag: `"no-x": true` sets the attribute to false. */
  negate: boolean;
  /** Where the value lives: the command's options, or the API settings that also have env and user config. */
  target: 'flag' | 'setting' | 'arguments';
}

/** Types of the flags whose definition does not tell (SPEC §3 and the issues adding them). */
const KINDS: Record<string, KeyKind> = {
  'task-type': 'text',
  'task-description': 'text',
  prompt: 'text',
  instructions: 'text',
  'run-id': 'text',
  'client-ref': 'text',
  'job-class': 'text',
  'callback-url': 'text',
  'base-url': 'text',
  org: 'text',
  shard: 'text',
  aggregate: 'text',
  attr: 'attributes',
  ref: 'refs',
  id: 'list',
  threshold: 'number',
  'max-drop': 'number',
  'max-mean-drop': 'number',
  'runs-within': 'number',
  concurrency: 'integer',
  'retry-failed': 'integer',
  'max-failures': 'integer',
  runs: 'integer',
  'max-cost': 'decimal',
  timeout: 'duration',
  interval: 'duration',
  manifest: 'path',
  junit: 'path',
  report: 'path',
  'json-file': 'path',
  baseline: 'path',
};

/**
 * Spelled otherwise in the file than the flag: SPEC §2 names the references "refs", as a manifest
 * does. The flag's own name is accepted too.
 */
const RENAMED: Record<string, string> = { ref: 'refs' };

/** Other names accepted for a key, as people copy them from a manifest item. */
export const ALIASES: Record<string, string> = { ref: 'refs', attributes: 'attr' };

/**
 * Flags that belong to one run, not to the repository: a file that set `dry-run` would turn every
 * CI gate into a pass that sends nothing, and `json` would change what scripts read on stdout.
 */
export const PER_RUN: ReadonlySet<string> = new Set(['help', 'version', 'config', 'no-config', 'dry-run', 'json', 'sandbox', 'verbose', 'no-color']);

/** Settings resolved with the environment and the user config between them and the flag (SPEC §2). */
const SETTINGS: ReadonlySet<string> = new Set(['base-url', 'org']);

export function projectKeys(cmd: Command): ProjectKey[] {
  const keys: ProjectKey[] = [];
  const variadic = cmd.registeredArguments.find((a) => a.variadic);
  if (variadic) keys.push({ name: `${variadic.name()}s`, kind: 'images', flag: `<${variadic.name()}>`, negate: false, target: 'arguments' });
  for (const opt of cmd.options as readonly Option[]) {
    if (!opt.long) continue;
    const flagName = opt.long.replace(/^--/, '');
    if (PER_RUN.has(flagName)) continue;
    keys.push({
      name: RENAMED[flagName] ?? flagName,
      kind: KINDS[flagName] ?? kindFromDefinition(opt),
      flag: opt.long,
      attribute: opt.attributeName(),
      negate: opt.negate,
      target: SETTINGS.has(flagName) ? 'setting' : 'flag',
    });
  }
  return keys;
}

function kindFromDefinition(opt: Option): KeyKind {
  if (opt.isBoolean() || opt.negate) return 'boolean';
  if (/file/i.test(opt.flags)) return 'path';
  return 'scalar';
}
