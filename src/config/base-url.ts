import { UsageError } from '../errors.js';
import { isLoopbackHost } from '../util/url.js';

/**
 * Checks the API base URL before any request (SPEC §2): https, or http on a loopback host only,
 * since anything else would send the key in clear text. Returns it without a trailing slash.
 */
export function validateBaseUrl(raw: string, origin: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`base URL ${JSON.stringify(raw)} (from ${origin}) is not a valid URL`, {
      code: 'invalid_base_url',
    });
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new UsageError(
      `base URL ${url.origin} (from ${origin}) uses http:// to a non-loopback host; the API key would travel in clear text`,
      { code: 'insecure_base_url', hint: 'use https://, or http:// only for 127.0.0.1, localhost or [::1]' },
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new UsageError(`base URL ${JSON.stringify(raw)} (from ${origin}) must start with https://`, {
      code: 'invalid_base_url',
    });
  }
  if (url.username || url.password) {
    throw new UsageError(`base URL (from ${origin}) must not contain credentials`, { code: 'invalid_base_url' });
  }
  return url.toString().replace(/\/+$/, '');
}
