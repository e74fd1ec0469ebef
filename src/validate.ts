import { UsageError } from './errors.js';
import { plural } from './util/plural.js';

/** The one UUID pattern (any version, either case), unanchored, for building others (asset references). */
export const UUID_PATTERN = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const UUID = new RegExp(`^${UUID_PATTERN}$`, 'i');

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** Evaluation ids are UUIDs; anything else is refused before a request is made. */
export function requireUuid(value: string, what: string): string {
  const v = value.trim();
  if (!isUuid(v)) throw new UsageError(`${what} ${JSON.stringify(value)} is not a UUID (expected e.g. 3c90c3cc-0d44-4b50-8888-8dd25736052a)`);
  return v.toLowerCase();
}

/**
 * The API's length caps count characters (Unicode code points, as Python's `len` does), not the
 * UTF-16 units of a JS `length`: an emoji is one character there, two here.
 */
export function maxLength(value: string | undefined, max: number, flag: string, min = 0): void {
  if (value === undefined) return;
  const length = characterCount(value);
  if (length < min) throw new UsageError(`${flag} must be at least ${plural(min, 'character')}`);
  if (length > max) throw new UsageError(`${flag} is ${length} characters; the limit is ${max.toLocaleString('en-US')}`);
}

/** Unicode code points in `value`. */
export function characterCount(value: string): number {
  let count = 0;
  for (const _ of value) count++;
  return count;
}

/** A flag that takes a whole number within a range; `fallback` when it was not given. */
export function wholeNumberFlag(value: string | undefined, flag: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value.trim()) || Number(value) < min || Number(value) > max) {
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)})`);
  }
  return Number(value);
}
