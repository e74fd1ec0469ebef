/** The `doctor` proxy check: which variable routes the API's requests, shown with its password masked. */
import { proxySettings } from '../api/proxy.js';
import type { Env } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { isLoopbackHost } from '../util/url.js';
import { oneLine } from '../util/text.js';
import { fail, pass, type CheckResult } from './checks.js';

/** A proxy URL as it may be shown: user name and password replaced. Undefined when it does not parse. */
export function maskProxyUrl(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  const auth = url.username || url.password ? '***@' : '';
  const rest = url.pathname === '/' ? '' : url.pathname;
  return `${url.protocol}//${auth}${url.host}${rest}`;
}

const PROXY_VARS = { https: ['https_proxy', 'HTTPS_PROXY'], http: ['http_proxy', 'HTTP_PROXY'] } as const;

/** The variable that set a proxy, read in the same order as api/proxy.ts (lower case first). */
function proxyVar(env: Env, names: readonly string[]): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return { name, value };
  }
  return undefined;
}

/** Mirrors undici's EnvHttpProxyAgent: `*` alone, exact hosts and their subdomains (`corp`, `.corp`, `*.corp`), optionally `:port`. */
function bypassedByNoProxy(noProxy: string, target: URL): boolean {
  if (noProxy.trim() === '*') return true;
  const port = Number.parseInt(target.port, 10) || (target.protocol === 'https:' ? 443 : 80);
  const hostname = target.hostname.toLowerCase();
  for (const entry of noProxy.split(/[,\s]/)) {
    if (!entry) continue;
    const parsed = /^(.+):(\d+)$/.exec(entry);
    const host = (parsed ? parsed[1]! : entry).replace(/^\*?\./, '').toLowerCase();
    if (parsed && Number.parseInt(parsed[2]!, 10) !== port) continue;
    if (hostname === host || hostname.endsWith(`.${host}`)) return true;
  }
  return false;
}

export function proxyCheck(env: Env, target: string | undefined): CheckResult {
  const name = 'proxy';
  const https = proxyVar(env, PROXY_VARS.https);
  const http = proxyVar(env, PROXY_VARS.http);
  if (!https && !http) return pass('proxy', name, 'none (direct connection)');
  for (const v of [https, http]) {
    if (!v) continue;
    const masked = maskProxyUrl(v.value);
    if (!masked || !/^https?:\/\//i.test(v.value)) {
      // Never echo the value: a proxy URL often carries a password.
      return fail('proxy', name, ExitCode.Usage, `${v.name} is not a valid http:// or https:// URL`, `set ${v.name} to a URL such as http://proxy.example.com:3128`);
    }
  }
  const shown = [https, http].filter((v): v is { name: string; value: string } => Boolean(v)).map((v) => `${v.name}=${maskProxyUrl(v.value)}`);
  const noProxy = proxyVar(env, ['no_proxy', 'NO_PROXY']);
  if (noProxy) shown.push(`${noProxy.name}=${oneLine(noProxy.value, 200)}`);
  if (!target) return pass('proxy', name, shown.join(', '));
  return pass('proxy', name, `${shown.join(', ')}; ${proxyRoute(env, target).route}`);
}

/** Whether requests to `target` go through a proxy, and through which variable's. */
export function proxyRoute(env: Env, target: string): { via?: string; route: string } {
  const url = new URL(target);
  const settings = proxySettings(env);
  const https = proxyVar(env, PROXY_VARS.https);
  const http = proxyVar(env, PROXY_VARS.http);
  const via = url.protocol === 'https:' ? (https ?? http) : http;
  if (isLoopbackHost(url.hostname)) return { route: `${url.host} is loopback, always reached directly` };
  if (!settings || !via) return { route: `no proxy applies to ${url.protocol}// requests, so ${url.host} is reached directly` };
  if (bypassedByNoProxy(settings.noProxy, url)) return { route: `${url.host} matches NO_PROXY, reached directly` };
  return { via: via.name, route: `requests to ${url.host} go through ${via.name}` };
}
