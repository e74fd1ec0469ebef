import { UsageError } from '../errors.js';
import { canonicalJson } from '../util/canonical-json.js';
import { MAX_REFERENCES } from '../api/limits.js';
import type { RefSpec, SubmissionSpec } from '../evaluations/request.js';
import { specFromFlags, type SubmitFlags } from '../evaluations/submit-flags.js';
import type { GateInput } from './inputs-types.js';

/**
 * `gate --manifest FILE` (SPEC §3 "gate"): a JSON array or JSON Lines of items, each naming one
 * image and, optionally, what differs for it from the flags. Every key is checked, because a
 * typo such as `promt` would otherwise drop a prompt without a word.
 */

export interface ManifestSource {
  /** The file path as given, or `<stdin>`; used in every message. */
  name: string;
  /** The manifest's folder: relative image paths in it are relative to this. */
  baseDir: string;
}

type SubmitInput = Extract<GateInput, { kind: 'submit' }>;

const MANIFEST_KEYS = [
  'image',
  'task_type',
  'prompt',
  'task_description',
  'instructions',
  'attributes',
  'refs',
  'client_ref',
  'threshold',
] as const;
type ManifestKey = (typeof MANIFEST_KEYS)[number];

const REF_KEYS = ['image', 'kind', 'description'] as const;

/** The API's own field names, which people copy from the docs, mapped to the manifest's. */
const API_NAMES: Record<string, ManifestKey> = {
  generated_image_url: 'image',
  generation_prompt: 'prompt',
  evaluation_instructions: 'instructions',
  input_attributes: 'attributes',
  reference_images: 'refs',
};

/** Settings that apply to a whole gate run and so are flags only. */
const FLAG_ONLY: Record<string, string> = {
  run_id: '--run-id',
  job_class: '--job-class',
  callback_url: '--callback-url',
  idempotency_key: '--idempotency-key',
};

/** SubmissionSpec field → manifest key, and → the flag that gives its default. */
const KEY_OF_FIELD: Record<string, ManifestKey> = {
  image: 'image',
  taskType: 'task_type',
  taskDescription: 'task_description',
  prompt: 'prompt',
  instructions: 'instructions',
  attributes: 'attributes',
  refs: 'refs',
  clientRef: 'client_ref',
};
const FLAG_OF_FIELD: Record<string, string> = {
  image: '<image>',
  taskType: '--task-type',
  taskDescription: '--task-description',
  prompt: '--prompt',
  instructions: '--instructions',
  attributes: '--attr',
  refs: '--ref',
  clientRef: '--client-ref',
  runId: '--run-id',
  jobClass: '--job-class',
  callbackUrl: '--callback-url',
};

/** The manifest key for a SubmissionSpec field (`taskType` → `task_type`); undefined for flag-only fields. */
export function manifestKeyName(field: string): string | undefined {
  return KEY_OF_FIELD[field];
}

export function parseManifest(text: string, source: ManifestSource, defaults: SubmitFlags): GateInput[] {
  const body = text.replace(/^\uFEFF/, '');
  const raw = body.trimStart().startsWith('[') ? parseArray(body, source.name) : parseJsonLines(body, source.name);
  return raw.map((entry) => itemToInput(entry.value, entry.origin, source, defaults));
}

interface RawItem {
  value: unknown;
  /** `manifest.jsonl:7`, or `manifest.json:12 (item 3)` for an array. */
  origin: string;
}

// ---------------------------------------------------------------------------------------------
// Reading the two formats

function parseJsonLines(text: string, name: string): RawItem[] {
  const items: RawItem[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    const origin = `${name}:${i + 1}`;
    try {
      items.push({ value: JSON.parse(line), origin });
    } catch (err) {
      const column = positionOf(err);
      throw new UsageError(`${origin}${column === undefined ? '' : `:${column + 1}`}: invalid JSON (${jsonProblem(err)})`, {
        hint:
          i === 0 && /^\s*\{\s*$/.test(line)
            ? 'JSON Lines takes one item per line; for items spread over several lines, write a JSON array [ {...}, {...} ]'
            : 'a manifest is a JSON array, or JSON Lines with one {"image": ...} object per line',
      });
    }
  }
  return items;
}

function parseArray(text: string, name: string): RawItem[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    const line = arrayErrorLine(text, err);
    throw new UsageError(`${name}${line === undefined ? '' : `:${line}`}: invalid JSON (${jsonProblem(err)})`);
  }
  if (!Array.isArray(parsed)) throw new UsageError(`${name}: expected a JSON array of items`);
  const starts = elementStarts(text);
  // The scan is only for line numbers; if it ever disagrees with JSON.parse, items are named by index alone.
  const lineOf = starts.length === parsed.length ? (i: number) => lineAt(text, starts[i]) : undefined;
  return parsed.map((value, i) => ({
    value,
    origin: lineOf ? `${name}:${lineOf(i)} (item ${i + 1})` : `${name} item ${i + 1}`,
  }));
}

/** Offsets where each top-level element of a JSON array starts (string-aware bracket scan). */
function elementStarts(text: string): number[] {
  const starts: number[] = [];
  let depth = 0;
  let inString = false;
  let escaped = false;
  let expectValue = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (depth === 1 && expectValue && c !== ']' && !/\s/.test(c)) {
      starts.push(i);
      expectValue = false;
    }
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') {
      depth++;
      if (depth === 1) expectValue = true;
    } else if (c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 1) expectValue = true;
  }
  return starts;
}

/**
 * Where a JSON array went wrong. V8 gives a position for some errors only, so otherwise each
 * element is parsed alone and the first that fails is named.
 */
function arrayErrorLine(text: string, err: unknown): number | undefined {
  const position = positionOf(err);
  // An error at the very end (a missing `]`) is named on the last line that has text.
  if (position !== undefined) return lineAt(text, Math.min(position, text.trimEnd().length));
  if (/end of JSON input/.test(err instanceof Error ? err.message : '')) return lineAt(text, text.trimEnd().length);
  const starts = elementStarts(text);
  for (let i = 0; i < starts.length; i++) {
    const end = i + 1 < starts.length ? text.lastIndexOf(',', starts[i + 1]) : text.lastIndexOf(']');
    const slice = text.slice(starts[i], end > starts[i] ? end : undefined);
    try {
      JSON.parse(slice);
    } catch (inner) {
      const within = positionOf(inner);
      return lineAt(text, starts[i] + (within ?? 0));
    }
  }
  return undefined;
}

function positionOf(err: unknown): number | undefined {
  const m = /at position (\d+)/.exec(err instanceof Error ? err.message : '');
  return m ? Number(m[1]) : undefined;
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text[i] === '\n') line++;
  return line;
}

/** V8's message without its echo of the input (which may be a whole data: URI). */
function jsonProblem(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message
    .replace(/, ".*" is not valid JSON$/s, '')
    .replace(/ in JSON at position \d+.*$/s, '')
    .trim();
}

// ---------------------------------------------------------------------------------------------
// Checking one item

function itemToInput(value: unknown, origin: string, source: ManifestSource, defaults: SubmitFlags): SubmitInput {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UsageError(`${origin}: each item must be an object like {"image": "a.png"} (got ${describeType(value)})`);
  }
  const item = value as Record<string, unknown>;
  for (const key of Object.keys(item)) {
    if (!(MANIFEST_KEYS as readonly string[]).includes(key)) throw unknownKey(origin, key, MANIFEST_KEYS);
  }
  if (!('image' in item)) throw new UsageError(`${origin}: missing "image" (the path or URL of the image to evaluate)`);
  const image = nonEmptyString(item.image, origin, 'image');

  const spec: SubmissionSpec = specFromFlags(image, defaults);
  spec.baseDir = source.baseDir;
  if ('task_type' in item) spec.taskType = stringValue(item.task_type, origin, 'task_type');
  if ('prompt' in item) spec.prompt = stringValue(item.prompt, origin, 'prompt');
  if ('task_description' in item) spec.taskDescription = stringValue(item.task_description, origin, 'task_description');
  if ('instructions' in item) spec.instructions = stringValue(item.instructions, origin, 'instructions');
  if ('client_ref' in item) spec.clientRef = stringValue(item.client_ref, origin, 'client_ref');
  if ('attributes' in item) spec.attributes = attributesValue(item.attributes, origin);
  if ('refs' in item) spec.refs = refsValue(item.refs, origin);
  spec.label = labelFor(origin, item, spec);

  const input: SubmitInput = { kind: 'submit', display: image, spec, shardKey: canonicalJson(item), origin };
  if ('threshold' in item) input.threshold = thresholdValue(item.threshold, origin);
  return input;
}

/**
 * Names where a checked value came from: the item's key when the item set it, the flag when the
 * flag gave the default, both when neither did (say, a missing task type).
 */
function labelFor(origin: string, item: Record<string, unknown>, spec: SubmissionSpec): (field: string) => string {
  return (field) => {
    const key = KEY_OF_FIELD[field];
    const flag = FLAG_OF_FIELD[field] ?? field;
    if (key === undefined) return `${flag} (used for ${origin})`;
    if (key in item) return `${origin} ${key}`;
    const fromFlags = field === 'refs' ? spec.refs.length > 0 : (spec as unknown as Record<string, unknown>)[field] !== undefined;
    return fromFlags ? `${flag} (used for ${origin})` : `${origin} ${key} (or ${flag})`;
  };
}

export function unknownKey(where: string, key: string, known: readonly string[]): UsageError {
  const flag = Object.entries(FLAG_ONLY).find(([name]) => normalizeKey(name) === normalizeKey(key))?.[1];
  if (known === MANIFEST_KEYS && flag) {
    return new UsageError(`${where}: unknown key ${JSON.stringify(key)}`, {
      hint: `${key} applies to the whole gate run: give it as ${flag}`,
    });
  }
  const guess = closestKey(key, known);
  return new UsageError(`${where}: unknown key ${JSON.stringify(key)}${guess ? ` (did you mean ${JSON.stringify(guess)}?)` : ''}`, {
    hint: `known keys: ${known.join(', ')}`,
  });
}

/** The known key a typo most likely meant: an API field name, a case/underscore variant, or a near spelling. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  if (known === MANIFEST_KEYS && API_NAMES[key]) return API_NAMES[key];
  const norm = normalizeKey(key);
  const sameButCase = known.find((k) => normalizeKey(k) === norm);
  if (sameButCase) return sameButCase;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = editDistance(norm, normalizeKey(candidate));
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  // Beyond a couple of edits (or a third of the word) a suggestion is a guess, not a help.
  return bestDistance <= Math.max(2, Math.floor(norm.length / 3)) ? best : undefined;
}

function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[-_\s]/g, '');
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number') return `the number ${value}`;
  return typeof value === 'boolean' ? `${value}` : typeof value;
}

export function stringValue(value: unknown, origin: string, key: string): string {
  if (typeof value !== 'string') throw new UsageError(`${origin}: "${key}" must be a string (got ${describeType(value)})`);
  return value;
}

function nonEmptyString(value: unknown, origin: string, key: string): string {
  const s = stringValue(value, origin, key);
  if (s.trim() === '') throw new UsageError(`${origin}: "${key}" is empty`);
  return s;
}

export function thresholdValue(value: unknown, origin: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new UsageError(`${origin}: "threshold" must be a number from 0 to 1 (got ${describeType(value)})`);
  }
  return value;
}

export function attributesValue(value: unknown, origin: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UsageError(`${origin}: "attributes" must be an object like {"style": "photo"} (got ${describeType(value)})`);
  }
  return value as Record<string, unknown>;
}

export function refsValue(value: unknown, origin: string): RefSpec[] {
  if (!Array.isArray(value)) throw new UsageError(`${origin}: "refs" must be an array of images (got ${describeType(value)})`);
  if (value.length > MAX_REFERENCES) {
    throw new UsageError(`${origin}: "refs" has ${value.length} images; the API takes at most ${MAX_REFERENCES} reference images`);
  }
  return value.map((ref, i) => refValue(ref, `${origin} refs[${i}]`));
}

function refValue(value: unknown, where: string): RefSpec {
  if (typeof value === 'string') {
    if (value.trim() === '') throw new UsageError(`${where}: empty image`);
    return { image: value };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UsageError(`${where}: must be an image string or {"image", "kind", "description"} (got ${describeType(value)})`);
  }
  const ref = value as Record<string, unknown>;
  for (const key of Object.keys(ref)) {
    if (!(REF_KEYS as readonly string[]).includes(key)) throw unknownKey(where, key, REF_KEYS);
  }
  if (!('image' in ref)) throw new UsageError(`${where}: missing "image"`);
  const out: RefSpec = { image: nonEmptyString(ref.image, where, 'image') };
  if (ref.kind !== undefined) out.kind = stringValue(ref.kind, where, 'kind');
  if (ref.description !== undefined) out.description = stringValue(ref.description, where, 'description');
  return out;
}
