import { UsageError } from '../errors.js';

/** True for 127.0.0.0/8, localhost and [::1]: the only hosts plain http:// may reach. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
  const octets = host.split('.');
  return octets.length === 4 && octets[0] === '127' && octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255);
}

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
