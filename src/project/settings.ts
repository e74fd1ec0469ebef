import path from 'node:path';
import { UsageError } from '../errors.js';
import { unknownKey } from '../gate/manifest-keys.js';
import { attributesValue, describeType, refsValue, stringValue, thresholdValue } from '../gate/manifest-values.js';
import type { RefSpec } from '../evaluations/spec.js';
import { ALIASES, PER_RUN, type ProjectKey } from './keys.js';
import { refuseSecrets } from './secrets.js';

/**
 * A project file's settings, checked against the gate's keys and typed as a manifest types them:
 * every problem exits 2 naming the file and the key (and the known key it most likely meant),
 * before anything is sent.
 */

export type ProjectValue = string | boolean | string[] | RefSpec[] | Record<string, unknown>;

export interface ProjectEntry {
  key: ProjectKey;
  /** As the gate takes it: the flag's text for scalars, paths made usable from the working folder. */
  value: ProjectValue;
  /** As written in the file, for `config list`. */
  raw: unknown;
}

export interface ProjectSettings {
  /** Absolute path of the file. */
  file: string;
  /** The file as messages name it: relative to the working folder. */
  label: string;
  entries: ProjectEntry[];
}

export interface ReadOptions {
  file: string;
  data: unknown;
  keys: readonly ProjectKey[];
  cwd: string;
  /** Keys this run could use, refused wherever they appear in the file. */
  knownApiKeys: readonly string[];
}

export function readProjectSettings(opts: ReadOptions): ProjectSettings {
  const label = displayPath(opts.file, opts.cwd);
  const data = opts.data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new UsageError(`${label}: a project file holds an object of settings, like {"task-type": "product_photo"} (got ${describeType(data)})`);
  }
  const settings = data as Record<string, unknown>;
  // First, before any message could quote a value.
  refuseSecrets(settings, label, opts.knownApiKeys);

  const byName = new Map(opts.keys.map((k) => [k.name, k]));
  const known = opts.keys.map((k) => k.name);
  const dir = path.dirname(opts.file);
  const entries: ProjectEntry[] = [];
  const seen = new Map<ProjectKey, string>();
  for (const [name, raw] of Object.entries(settings)) {
    if (PER_RUN.has(name)) {
      throw new UsageError(`${label}: "${name}" cannot be set in a project file; give --${name} on the command line for the run that needs it`);
    }
    const key = byName.get(name) ?? byName.get(ALIASES[name] ?? '');
    if (!key) throw unknownKey(label, name, known);
    const other = seen.get(key);
    if (other !== undefined) throw new UsageError(`${label}: "${other}" and "${name}" are the same setting; keep one`);
    seen.set(key, name);
    if (raw === null) continue; // null: not set, as if the key were absent
    entries.push({ key, raw, value: typed(raw, key, name, { label, dir }) });
  }
  return { file: opts.file, label, entries };
}

interface Where {
  label: string;
  /** The project file's folder: relative paths in it are relative to this. */
  dir: string;
}

function typed(raw: unknown, key: ProjectKey, name: string, where: Where): ProjectValue {
  const { label } = where;
  switch (key.kind) {
    case 'text':
      return stringValue(raw, label, name);
    case 'scalar':
      if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw);
      return stringValue(raw, label, name);
    case 'number':
      if (name === 'threshold') return String(thresholdValue(raw, label));
      return String(finiteNumber(raw, label, name));
    case 'integer': {
      const n = finiteNumber(raw, label, name);
      if (!Number.isInteger(n)) throw new UsageError(`${label}: "${name}" must be a whole number (got ${describeType(raw)})`);
      return String(n);
    }
    case 'decimal':
      if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw);
      if (typeof raw === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(raw)) return raw.trim();
      throw new UsageError(`${label}: "${name}" must be an amount like 25 or "25.50" (got ${describeType(raw)})`);
    case 'duration':
      if (typeof raw === 'string') return raw;
      // As on the command line, a bare number has no unit: seconds or milliseconds would be a guess.
      if (typeof raw === 'number' && Number.isFinite(raw) && raw > 0) {
        throw new UsageError(`${label}: "${name}" must be a duration string like "10m", "90s" or "1h" (got the number ${raw}: write "${raw}s" for seconds or "${raw}ms" for milliseconds)`);
      }
      throw new UsageError(`${label}: "${name}" must be a duration string like "10m", "90s" or "1h" (got ${describeType(raw)})`);
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      throw new UsageError(`${label}: "${name}" must be true or false (got ${describeType(raw)})`);
    case 'path':
      // Absolute: a report or manifest path must not depend on where the gate runs from.
      return path.resolve(where.dir, nonEmpty(raw, label, name));
    case 'list':
      return stringList(raw, label, name);
    case 'images':
      // As written: they are relative to the file's folder, where the gate resolves them, and
      // results name them so wherever the gate runs (baselines and shards match them by name).
      return stringList(raw, label, name);
    case 'refs':
      return refsValue(raw, label).map((ref) => (isLocalPath(ref.image) ? { ...ref, image: path.resolve(where.dir, ref.image) } : ref));
    case 'attributes':
      return attributesValue(raw, label, name);
  }
}

function finiteNumber(raw: unknown, label: string, name: string): number {
  if (typeof raw !== 'number' || !Number.isFinite(raw)) throw new UsageError(`${label}: "${name}" must be a number (got ${describeType(raw)})`);
  return raw;
}

function nonEmpty(raw: unknown, label: string, name: string): string {
  const s = stringValue(raw, label, name);
  if (s.trim() === '') throw new UsageError(`${label}: "${name}" is empty`);
  return s;
}

function stringList(raw: unknown, label: string, name: string): string[] {
  const items = Array.isArray(raw) ? raw : [raw];
  if (Array.isArray(raw) && raw.length === 0) throw new UsageError(`${label}: "${name}" is an empty list`);
  return items.map((item, i) => {
    if (typeof item !== 'string' || item.trim() === '') {
      throw new UsageError(`${label}: "${name}"${Array.isArray(raw) ? `[${i}]` : ''} must be a non-empty string${Array.isArray(raw) ? '' : ' or an array of strings'} (got ${describeType(item)})`);
    }
    return item;
  });
}

// URLs, data: URIs and asset references are taken as they are; anything else is a local path.
const NOT_A_PATH = /^(?:[a-z][a-z0-9+.-]*):/i;

function isLocalPath(value: string): boolean {
  return !NOT_A_PATH.test(value) || /^[a-z]:[\\/]/i.test(value);
}

/** A path for messages: relative to the working folder when that is shorter to read. */
export function displayPath(file: string, cwd: string): string {
  const rel = path.relative(cwd, file);
  return rel && !path.isAbsolute(rel) && rel.split(path.sep).filter((p) => p === '..').length <= 2 ? rel : file;
}

