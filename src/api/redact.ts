/**
 * Keeping the API key out of everything the client hands on (SPEC §2: the key never appears in
 * any output): the --verbose log, and responses from a server that echoes it back.
 */

/** Shorter "keys" (a test's `k`) are not searched for in responses: they would mask ordinary words. */
const MIN_MASKED_KEY_LENGTH = 6;

/** Masks the key, and anything that looks like a bearer token, in a log line. */
export function redact(line: string, secret: string | undefined): string {
  let out = line.replace(/(Bearer\s+)(?!\*\*\*)\S+/gi, '$1***');
  if (secret) out = out.split(secret).join('***');
  return out;
}

/** Request headers as the --verbose log shows them: the Authorization value is never printed. */
export function formatHeadersForLog(headers: Record<string, string>): string {
  return Object.entries(headers)
    .map(([name, value]) => `${titleCase(name)}: ${name === 'authorization' ? 'Bearer ***' : value}`)
    .join(', ');
}

/** `x-organization-id` → `X-Organization-Id`, as headers are usually written. */
function titleCase(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_m, dash: string, ch: string) => dash + ch.toUpperCase());
}

/**
 * A server that echoes the key back (an error message such as "invalid key rf_live_…", a field
 * error's `input`, a header) must not carry it into our output: every response has the key
 * replaced by `***` before anything reads it. A placeholder key (the sandbox's `sandbox`) is not
 * a secret, so a field that happens to hold the same word is left alone.
 */
export function maskKeyInResponse<R extends { headers: Record<string, string>; text: string }>(res: R, key: string, placeholderKey: boolean | undefined): R {
  if (placeholderKey || key.length < MIN_MASKED_KEY_LENGTH) return res;
  const forms = [...new Set([key, JSON.stringify(key).slice(1, -1)])];
  const mask = (text: string) => (forms.some((f) => text.includes(f)) ? forms.reduce((t, f) => t.split(f).join('***'), text) : text);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(res.headers)) headers[name] = mask(value);
  return { ...res, headers, text: mask(res.text) };
}
