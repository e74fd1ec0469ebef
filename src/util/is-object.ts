/** A JSON object: not null, not an array. Narrows parsed JSON before its members are read. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
