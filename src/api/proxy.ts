/**
 * Which proxy carries our requests: through `HTTPS_PROXY` / `HTTP_PROXY` (minus
 * `NO_PROXY`) when one is set, directly otherwise (SPEC §6). The environment is passed in rather
 * than read from `process.env`, so tests and the in-process CLI control it.
 */

export interface ProxySettings {
  httpProxy: string;
  httpsProxy: string;
  noProxy: string;
}

/**
 * Loopback never goes through a proxy: the built-in sandbox and local test servers live there,
 * and a corporate proxy cannot reach this machine's 127.0.0.1 anyway.
 */
const ALWAYS_DIRECT = ['localhost', '127.0.0.1', '[::1]'];

/** The proxy settings in `env` (lower-case names win, as in curl), or undefined when none is set. */
export function proxySettings(env: Record<string, string | undefined>): ProxySettings | undefined {
  const httpProxy = nonEmpty(env.http_proxy) ?? nonEmpty(env.HTTP_PROXY);
  const httpsProxy = nonEmpty(env.https_proxy) ?? nonEmpty(env.HTTPS_PROXY);
  if (!httpProxy && !httpsProxy) return undefined;
  const noProxy = nonEmpty(env.no_proxy) ?? nonEmpty(env.NO_PROXY) ?? '';
  return {
    httpProxy: httpProxy ?? '',
    // undici (and most Node tools) send https traffic through HTTP_PROXY when HTTPS_PROXY is
    // unset; users who set only HTTP_PROXY behind a corporate proxy expect exactly that.
    httpsProxy: httpsProxy ?? httpProxy ?? '',
    noProxy: noProxy === '*' ? '*' : [noProxy, ...ALWAYS_DIRECT].filter(Boolean).join(','),
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/**
 * The proxy a request to `protocol` goes through, as the user can find it again: the variable it
 * came from and its URL without credentials (a proxy password must not reach an error message).
 */
export function proxyInUse(env: Record<string, string | undefined>, protocol: 'http:' | 'https:'): { variable: string; url: string } | undefined {
  const order = protocol === 'https:' ? ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY'] : ['http_proxy', 'HTTP_PROXY'];
  for (const variable of order) {
    const value = nonEmpty(env[variable]);
    if (value) return { variable, url: withoutCredentials(value) };
  }
  return undefined;
}

function withoutCredentials(raw: string): string {
  try {
    const u = new URL(raw.includes('://') ? raw : `http://${raw}`);
    return `${u.protocol}//${u.host}`;
  } catch {
    return raw.replace(/\/\/[^@/]*@/, '//');
  }
}
