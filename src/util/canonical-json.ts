/**
 * JSON with object keys sorted at every level and undefined members dropped, so two values that
 * mean the same thing serialise identically however they were assembled. Array order is kept (the
 * order of reference images is meaningful). Used where a value's text becomes a key: idempotency
 * keys (evaluations/idempotency.ts) and manifest shard keys (gate/manifest.ts).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) {
    return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  }
  const record = value as Record<string, unknown>;
  const members = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
  return `{${members.join(',')}}`;
}
