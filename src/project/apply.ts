import path from 'node:path';
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { discoverProjectFile } from './discover.js';
import { projectKeys } from './keys.js';
import { readProjectSettings, type ProjectEntry, type ProjectSettings } from './settings.js';

/**
 * Puts a project file's settings under the command line: a flag given on the command line wins
 * (whole, lists and objects included), the file fills in the rest, and base URL and organization
 * go to the context, where the environment sits between them and the flag (SPEC §2).
 */

/** `--config FILE` and `--no-config`, on the commands that read the file. */
export function addProjectFileFlags(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'read settings from this project file instead of searching for one')
    .option('--no-config', 'ignore project files (runflow-eval.config.json, .runflow-evalrc.yaml, package.json "runflow-eval", …)');
}

/**
 * Finds, reads and checks the project file. `gate` is the gate command, whose options define the
 * keys (also for `gate merge` and `config list`, so a key means the same thing everywhere).
 */
export async function loadProjectSettings(ctx: Context, gate: Command, config: string | false | undefined): Promise<ProjectSettings | undefined> {
  const found = await discoverProjectFile({ cwd: ctx.cwd, config });
  if (!found) return undefined;
  const settings = readProjectSettings({ file: found.file, data: found.data, keys: projectKeys(gate), cwd: ctx.cwd, knownApiKeys: knownApiKeys(ctx) });
  ctx.debug(`project file ${found.file}: ${settings.entries.map((e) => e.key.name).join(', ') || 'no settings'}`);
  return settings;
}

function knownApiKeys(ctx: Context): string[] {
  const keys: string[] = [];
  if (ctx.env.RUNFLOW_API_KEY) keys.push(ctx.env.RUNFLOW_API_KEY);
  try {
    const stored = ctx.config().get('api-key');
    if (stored) keys.push(stored);
  } catch {
    // a broken user config is reported by whatever needs it
  }
  return keys;
}

/** The keys that name the gate's inputs: the command line's inputs replace the file's as a group. */
const INPUT_KEYS: ReadonlySet<string> = new Set(['images', 'manifest', 'id']);

export interface ProjectApplied<F> {
  flags: F;
  images: string[];
  /**
   * Set when the images came from the file: how messages name them (`runflow-eval.config.json
   * images`), and the file's folder, which they are relative to.
   */
  imagesFrom?: { origin: string; dir: string };
  /** An error about a flag whose value came from the file, reworded to name the file and key. */
  attribute(err: unknown): unknown;
}

export function applyProjectSettings<F extends object>(
  ctx: Context,
  cmd: Command,
  settings: ProjectSettings | undefined,
  flags: F,
  images: string[],
): ProjectApplied<F> {
  if (!settings) return { flags, images, attribute: (err) => err };
  const out = { ...flags } as Record<string, unknown>;
  let outImages = images;
  let imagesFrom: ProjectApplied<F>['imagesFrom'];
  const fromFile: ProjectEntry[] = [];
  const attributes = new Set(cmd.options.map((o) => o.attributeName()));
  const fromCli = (attribute: string | undefined) => attribute !== undefined && cmd.getOptionValueSource(attribute) === 'cli';
  const cliHasInputs = images.length > 0 || fromCli('manifest') || fromCli('id');
  ctx.project = { file: settings.file };

  for (const entry of settings.entries) {
    const { key, value } = entry;
    if (INPUT_KEYS.has(key.name) && cliHasInputs) continue;
    if (key.target === 'setting') {
      if (key.name === 'base-url') ctx.project.baseUrl = value as string;
      if (key.name === 'org') ctx.project.org = value as string;
      continue;
    }
    if (key.target === 'arguments') {
      if (!cmd.registeredArguments.some((a) => a.variadic && key.flag === `<${a.name()}>`)) continue;
      outImages = value as string[];
      imagesFrom = { origin: `${settings.label} ${key.name}`, dir: path.dirname(settings.file) };
      fromFile.push(entry);
      continue;
    }
    // Keys of the gate that this command (gate merge) does not take are not its business.
    if (!key.attribute || !attributes.has(key.attribute) || fromCli(key.attribute)) continue;
    if (key.kind === 'refs') out.refSpecs = value;
    else if (key.kind === 'attributes') out.attributes = value;
    else if (key.kind === 'boolean') out[key.attribute] = key.negate ? !value : value;
    else out[key.attribute] = value;
    fromFile.push(entry);
  }

  return {
    flags: out as F,
    images: outImages,
    imagesFrom,
    attribute: (err) => attributeError(err, fromFile, settings.label),
  };
}

/**
 * The gate checks every value with the flag's name in the message (`--concurrency must be a whole
 * number…`); when the value came from the file, the message names the file and key instead.
 */
function attributeError(err: unknown, fromFile: readonly ProjectEntry[], label: string): unknown {
  if (!(err instanceof UsageError)) return err;
  for (const { key } of fromFile) {
    const flag = new RegExp(`(^|[^\\w-])${key.flag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w-])`);
    if (key.target === 'flag' && flag.test(err.message)) {
      return new UsageError(err.message.replace(flag, `$1${label} "${key.name}"`), { code: err.code, hint: err.hint, details: err.details });
    }
  }
  return err;
}
