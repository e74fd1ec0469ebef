import { UsageError } from '../errors.js';
import { canonicalJson } from '../util/canonical-json.js';
import type { SubmissionSpec } from '../evaluations/spec.js';
import { specFromFlags, type SubmitFlags } from '../evaluations/submit-flags.js';
import type { GateInput } from './inputs-types.js';
import { parseArray, parseJsonLines } from './manifest-json.js';
import { FLAG_OF_FIELD, KEY_OF_FIELD, MANIFEST_KEYS, unknownKey } from './manifest-keys.js';
import { attributesValue, describeType, nonEmptyString, refsValue, stringValue, thresholdValue } from './manifest-values.js';

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

export function parseManifest(text: string, source: ManifestSource, defaults: SubmitFlags): GateInput[] {
  const body = text.replace(/^\uFEFF/, '');
  const raw = body.trimStart().startsWith('[') ? parseArray(body, source.name) : parseJsonLines(body, source.name);
  return raw.map((entry) => itemToInput(entry.value, entry.origin, source, defaults));
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
