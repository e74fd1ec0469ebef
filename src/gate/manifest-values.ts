/** The checked values of a manifest item (and of the project file, which takes the same shapes). */
import { MAX_REFERENCES } from '../api/limits.js';
import { UsageError } from '../errors.js';
import type { RefSpec } from '../evaluations/spec.js';
import { REF_KEYS, unknownKey } from './manifest-keys.js';

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

export function nonEmptyString(value: unknown, origin: string, key: string): string {
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

export function attributesValue(value: unknown, origin: string, key = 'attributes'): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UsageError(`${origin}: "${key}" must be an object like {"style": "photo"} (got ${describeType(value)})`);
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
