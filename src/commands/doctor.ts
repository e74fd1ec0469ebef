/**
 * `doctor`: one preflight that answers "why doesn't it work here?" before a pipeline spends money.
 * Each check says pass, warn or fail, what it saw, and how to fix it; checks that need an earlier
 * one (the key, a reachable API) are skipped rather than piling timeouts on top of a known cause.
 * Nothing here prints the API key, not even a prefix.
 */
import fs from 'node:fs';
import type { ChalkInstance } from 'chalk';
import type { Command } from 'commander';
import { ConnectionError, RequestTimeoutError, ResponseFormatError } from '../api/errors.js';
import { getHealth, getMe, HEALTH_PATH } from '../api/auth.js';
import { JOB_CLASSES_PATH, jobClassesOf, requestJobClasses } from '../api/job-classes.js';
import { proxySettings } from '../api/proxy.js';
import { validateBaseUrl } from '../config/base-url.js';
import { isLoopbackHost } from '../util/url.js';
import { DEFAULT_BASE_URL, type Resolved } from '../config/resolve.js';
import { CONFIG_KEYS } from '../config/store.js';
import type { Context, Env } from '../context.js';
import { CliError } from '../errors.js';
import { ExitCode, worstExitCode } from '../exit-codes.js';
import { action, withGlobals } from './define.js';
import type { BalanceReading } from '../api/billing.js';
import { compareDecimals, isDecimalString } from '../util/money.js';
import { formatMoney } from '../render/format.js';
import { oneLine } from '../util/text.js';
import { USER_AGENT } from '../version.js';

export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface CheckResult {
  /** Stable identifier for scripts (`api_key`, `read_scope`, …). */
  id: string;
  /** Label of the human output. */
  name: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
  /** For a failure: the exit code it stands for (SPEC §4). */
  exit_code?: number;
  latency_ms?: number;
}

/** The job class `submit` and `gate` use unless told otherwise (SPEC §3). */
export const DEFAULT_JOB_CLASS = 'standard';
const MIN_NODE: [number, number, number] = [20, 18, 1];
/** Short, so a dead network fails the preflight in seconds rather than minutes. */
const CHECK_TIMEOUT_MS = 10_000;
const CHECK_ATTEMPTS = 2;
const KEYS_PAGE = 'https://app.runflow.io (Settings → API Keys)';

const pass = (id: string, name: string, detail: string, extra: Partial<CheckResult> = {}): CheckResult => ({ id, name, status: 'pass', detail, ...extra });
const warn = (id: string, name: string, detail: string, fix?: string): CheckResult => ({ id, name, status: 'warn', detail, ...(fix ? { fix } : {}) });
const fail = (id: string, name: string, exitCode: number, detail: string, fix?: string): CheckResult => ({
  id,
  name,
  status: 'fail',
  detail,
  ...(fix ? { fix } : {}),
  exit_code: exitCode,
});
const skipped = (id: string, name: string, reason: string): CheckResult => warn(id, name, `skipped: ${reason}`);

// ---- local checks -------------------------------------------------------------------------------

export function nodeCheck(version: string): CheckResult {
  const name = 'Node.js';
  const parts = version.replace(/^v/, '').split('.').map((p) => Number.parseInt(p, 10) || 0);
  const [major = 0, minor = 0, patch = 0] = parts;
  const tooOld = compareVersions([major, minor, patch], MIN_NODE) < 0;
  if (tooOld) {
    return fail('node', name, ExitCode.Usage, `${version} is older than ${MIN_NODE.join('.')}, the oldest supported`, 'install Node.js 22 or 24 (LTS)');
  }
  if (major === 20) return warn('node', name, `${version}: Node 20 is end-of-life upstream; Node 22 or 24 recommended`, 'install Node.js 22 or 24 (LTS)');
  return pass('node', name, version);
}

function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
}

function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
}

/**
 * The config file is optional, but when it exists it must parse, and because it may hold the key
 * in plain text its mode is the protection (SPEC §2): 0600 in a 0700 folder.
 */
export function configCheck(file: string, dir: string, read: () => Record<string, string | undefined>): CheckResult {
  const name = 'config file';
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return pass('config', name, `none at ${file} (optional: settings can come from flags and the environment)`);
    return fail('config', name, ExitCode.Usage, `${file} cannot be inspected (${code ?? 'error'})`, 'check the permissions of the config folder');
  }
  if (!stat.isFile()) return fail('config', name, ExitCode.Usage, `${file} is not a regular file`, 'remove it, or point RUNFLOW_CONFIG_DIR elsewhere');

  let values: Record<string, string | undefined>;
  try {
    values = read();
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    return fail('config', name, ExitCode.Usage, err.message, err.hint);
  }

  const held = Object.keys(values).filter((k) => values[k] !== undefined);
  const unknown = unknownKeys(file);
  const problems: string[] = [];
  const fixes: string[] = [];
  if (process.platform !== 'win32') {
    if (stat.mode & 0o077) {
      problems.push(`file mode ${octal(stat.mode)} lets other users read it`);
      fixes.push(`chmod 600 '${file}'`);
    }
    const dirMode = safeMode(dir);
    if (dirMode !== undefined && dirMode & 0o077) {
      problems.push(`folder mode ${octal(dirMode)} is open to other users`);
      fixes.push(`chmod 700 '${dir}'`);
    }
  }
  const holds = held.length ? `holds ${held.join(', ')}` : 'holds no settings';
  if (problems.length > 0) {
    const detail = `${file}: ${problems.join('; ')}`;
    // A readable key is a leaked key: that is a failure, not a style note.
    if (values['api-key']) return fail('config', name, ExitCode.Usage, `${detail} (it holds the API key)`, fixes.join(' && '));
    return warn('config', name, `${detail} (${holds})`, fixes.join(' && '));
  }
  if (unknown.length > 0) {
    return warn('config', name, `${file} has unknown keys, ignored: ${unknown.map((k) => oneLine(k, 40)).join(', ')}`, `known keys: ${CONFIG_KEYS.join(', ')} (\`runflow-eval config unset\` or edit the file)`);
  }
  const modes = process.platform === 'win32' ? '' : `, mode ${octal(stat.mode)}`;
  return pass('config', name, `${file} (${holds}${modes})`);
}

function safeMode(p: string): number | undefined {
  try {
    return fs.statSync(p).mode;
  } catch {
    return undefined;
  }
}

/** Keys the store ignores: usually a typo (`apikey`) that silently does nothing. */
function unknownKeys(file: string): string[] {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return [];
    return Object.keys(parsed).filter((k) => !(CONFIG_KEYS as readonly string[]).includes(k));
  } catch {
    return [];
  }
}

export function apiKeyCheck(key: Resolved, opts: { sandbox: boolean; configHasKey: boolean }): CheckResult {
  const name = 'API key';
  if (opts.sandbox) return pass('api_key', name, 'not needed: the sandbox accepts any key');
  if (!key.value) {
    return fail('api_key', name, ExitCode.Auth, 'no API key found (RUNFLOW_API_KEY is unset and the config file holds none)', 'set RUNFLOW_API_KEY or run `runflow-eval login`');
  }
  // Describe the key by its source and shape only: never the key, not even a prefix.
  if (/\s|[\u0000-\u001f\u007f]/.test(key.value)) {
    return warn('api_key', name, `the key from ${keySource(key)} contains whitespace or control characters, so it was probably copied with extra characters`, 'set it again without surrounding spaces or newlines');
  }
  const overrides = key.source === 'env' && opts.configHasKey ? ' (it overrides the key saved by `login`)' : '';
  return pass('api_key', name, `set, from ${keySource(key)}${overrides}`);
}

function keySource(key: Resolved): string {
  if (key.source === 'env') return key.origin ?? 'RUNFLOW_API_KEY';
  if (key.source === 'config') return 'the config file (saved by `runflow-eval login`)';
  return key.source;
}

function originLabel(r: Resolved): string {
  switch (r.source) {
    case 'flag':
      return '--base-url';
    case 'env':
      return r.origin ?? 'RUNFLOW_BASE_URL';
    case 'config':
      return 'config base-url';
    default:
      return 'default';
  }
}

export function baseUrlCheck(base: Resolved, org: Resolved): { result: CheckResult; url?: string } {
  const name = 'base URL';
  const origin = originLabel(base);
  const orgNote = org.value ? `; organization ${oneLine(org.value, 80)} (from ${org.source === 'flag' ? '--org' : org.source === 'env' ? 'RUNFLOW_ORG_ID' : 'config org-id'})` : '';
  try {
    const url = validateBaseUrl(base.value ?? DEFAULT_BASE_URL, origin);
    return { result: pass('base_url', name, `${url} (${origin})${orgNote}`), url };
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    return { result: fail('base_url', name, err.exitCode, err.message, err.hint ?? 'use an https:// URL, e.g. https://api.runflow.io') };
  }
}

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
  const settings = proxySettings(env);
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

// ---- network checks -----------------------------------------------------------------------------

/** A failed request as a check result: the error's own message and hint, its exit code. */
function failFromError(id: string, name: string, err: unknown, fix?: string): CheckResult {
  if (err instanceof CliError) return fail(id, name, err.exitCode, err.message, fix ?? err.hint);
  const message = err instanceof Error ? err.message : String(err);
  return fail(id, name, ExitCode.Api, oneLine(message, 300), fix);
}

function isNetworkFailure(err: unknown): boolean {
  return err instanceof ConnectionError || err instanceof RequestTimeoutError;
}

function describeMe(data: unknown): string {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return 'key accepted';
  const me = data as Record<string, unknown>;
  const parts: string[] = [];
  if (typeof me.email === 'string') parts.push(`user ${oneLine(me.email, 120)}`);
  const org = me.organization && typeof me.organization === 'object' ? (me.organization as Record<string, unknown>) : undefined;
  const orgName = typeof org?.name === 'string' ? org.name : undefined;
  const orgId = typeof me.org_id === 'string' ? me.org_id : typeof org?.id === 'string' ? org.id : undefined;
  if (orgName || orgId) parts.push(`organization ${oneLine(orgName ?? orgId!, 120)}`);
  return parts.length ? `key accepted (${parts.join(', ')})` : 'key accepted';
}

/** The scopes `/v1/auth/me` reports, when it reports them as a list of strings. */
function missingScopes(data: unknown): string[] {
  const scopes = data && typeof data === 'object' ? (data as { scopes?: unknown }).scopes : undefined;
  if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string')) return [];
  return ['evaluations:create', 'evaluations:read'].filter((s) => !scopes.includes(s));
}

export function jobClassPriceCheck(data: unknown, code = DEFAULT_JOB_CLASS): CheckResult {
  const name = 'job class price';
  const classes = jobClassesOf(data);
  if (!classes) return warn('price', name, 'the job-classes response has an unexpected shape; `runflow-eval price` shows it as received');
  const found = classes.find((c) => c.code === code);
  if (!found) {
    const known = classes.map((c) => oneLine(String(c.code), 50)).join(', ') || 'none';
    return warn('price', name, `no job class "${code}" (available: ${known})`, 'pass --job-class with one of the available classes to submit and gate');
  }
  const price = `${code}: ${formatMoney(found.price, found.currency_code)} per evaluation`;
  if (found.is_active === false) return warn('price', name, `${price}, but the class is inactive`, 'pass --job-class with an active class (see `runflow-eval price`)');
  return pass('price', name, price);
}

/**
 * The credit balance (SPEC §3 "Balance"): informative, so an unreadable one is a warning, never a
 * failure (gate goes on without it too). Shown beside the price of one evaluation.
 */
export function balanceCheck(reading: BalanceReading, jobClasses?: unknown, code = DEFAULT_JOB_CLASS): CheckResult {
  const name = 'balance';
  if (!reading.ok) return warn('balance', name, `could not be read: ${reading.reason}`, 'gate then goes on without checking it before submitting; a key with the billing scope lets it check');
  const { amount, currency } = reading.balance;
  const found = jobClassesOf(jobClasses)?.find((c) => c.code === code);
  const price = found && typeof found.price === 'string' ? found.price : undefined;
  const priceCurrency = typeof found?.currency_code === 'string' ? found.currency_code : undefined;
  const shown = formatMoney(amount, currency ?? priceCurrency);
  if (price !== undefined && isDecimalString(price) && compareDecimals(price, '0') > 0 && (!currency || !priceCurrency || currency === priceCurrency.toUpperCase())) {
    if (compareDecimals(amount, price) < 0) return warn('balance', name, `${shown}: less than one ${code} evaluation (${price})`, 'top up at app.runflow.io/settings/billing');
  }
  return pass('balance', name, shown);
}

// ---- the run ------------------------------------------------------------------------------------

/** Reads a setting without letting a broken config file stop the preflight (the config check reports it). */
function resolveSafely(get: () => Resolved, fallback: () => Resolved): Resolved {
  try {
    return get();
  } catch (err) {
    if (err instanceof CliError) return fallback();
    throw err;
  }
}

function fromEnvOnly(env: Env, name: string, fallbackValue?: string): Resolved {
  if (env[name]) return { value: env[name], source: 'env', origin: name };
  return fallbackValue === undefined ? { value: undefined, source: 'none' } : { value: fallbackValue, source: 'default' };
}

async function runChecks(ctx: Context, report: (r: CheckResult) => void): Promise<void> {
  const sandbox = ctx.globals.sandbox;
  report(nodeCheck(process.versions.node));

  const store = ctx.config();
  let configValues: Record<string, string | undefined> = {};
  report(configCheck(store.file, store.dir, () => (configValues = store.read())));

  const key = resolveSafely(() => ctx.apiKey(), () => fromEnvOnly(ctx.env, 'RUNFLOW_API_KEY'));
  const keyResult = apiKeyCheck(key, { sandbox, configHasKey: Boolean(configValues['api-key']) });
  report(keyResult);

  const org = resolveSafely(
    () => ctx.orgId(),
    () => (ctx.globals.org ? { value: ctx.globals.org, source: 'flag' } : fromEnvOnly(ctx.env, 'RUNFLOW_ORG_ID')),
  );
  let baseUrl: string | undefined;
  if (sandbox) {
    try {
      baseUrl = (await ctx.startSandbox()).url;
      report(pass('base_url', 'base URL', `${baseUrl} (the built-in sandbox, --sandbox)`));
    } catch (err) {
      report(failFromError('base_url', 'base URL', err, 'the built-in sandbox did not start; rerun with --verbose'));
    }
  } else {
    const base = resolveSafely(
      () => ctx.baseUrl(),
      () => (ctx.globals.baseUrl ? { value: ctx.globals.baseUrl, source: 'flag' } : fromEnvOnly(ctx.env, 'RUNFLOW_BASE_URL', DEFAULT_BASE_URL)),
    );
    const checked = baseUrlCheck(base, org);
    baseUrl = checked.url;
    report(checked.result);
  }

  const proxy = proxyCheck(ctx.env, baseUrl);
  report(proxy);

  const names = { health: 'API reachable', me: 'key valid', read: 'read scope', price: 'job class price', balance: 'balance' };
  if (!baseUrl || proxy.status === 'fail') {
    const why = !baseUrl ? 'no usable base URL' : 'the proxy setting is invalid';
    report(skipped('health', names.health, why));
    report(skipped('auth', names.me, why));
    report(skipped('read_scope', names.read, why));
    report(skipped('price', names.price, why));
    report(skipped('balance', names.balance, why));
    return;
  }

  const { RunflowClient } = await import('../api/client.js');
  const client = new RunflowClient({
    baseUrl,
    apiKey: key.value ?? (sandbox ? 'sandbox' : ''),
    orgId: org.value,
    userAgent: USER_AGENT,
    clock: ctx.clock,
    signal: ctx.signal,
    env: ctx.env,
    debug: ctx.verbose ? (line: string) => ctx.debug(line) : undefined,
    maxAttempts: CHECK_ATTEMPTS,
    timeoutMs: CHECK_TIMEOUT_MS,
  });
  // Ctrl-C is not a failed check: let main() report the interruption.
  const rethrowAbort = (err: unknown) => {
    if (ctx.signal.aborted) throw err;
  };
  try {
    // Reachability needs no key, so it runs even when there is none.
    const healthUrl = `${baseUrl}${HEALTH_PATH}`;
    let unreachable = false;
    const started = ctx.clock.now();
    try {
      const res = await getHealth(client);
      const ms = Math.round(ctx.clock.now() - started);
      report(pass('health', names.health, `${healthUrl} answered ${res.status} in ${ms} ms`, { latency_ms: ms }));
    } catch (err) {
      rethrowAbort(err);
      const ms = Math.round(ctx.clock.now() - started);
      if (err instanceof ResponseFormatError && err.status !== undefined && err.status >= 200 && err.status < 300) {
        report(pass('health', names.health, `${healthUrl} answered ${err.status} in ${ms} ms (body not JSON)`, { latency_ms: ms }));
      } else {
        unreachable = isNetworkFailure(err);
        const proxyVia = unreachable && proxy.status === 'pass' ? proxyRoute(ctx.env, baseUrl).via : undefined;
        const fix = proxyVia
          ? `the connection goes through the proxy in ${proxyVia}: check that the proxy is up and lets ${new URL(baseUrl).host} through (or list the host in NO_PROXY)`
          : err instanceof CliError && err.status === 404
            ? 'check --base-url / RUNFLOW_BASE_URL: it should be the API root, e.g. https://api.runflow.io'
            : undefined;
        report(failFromError('health', names.health, err, fix));
      }
    }

    if (!key.value && !sandbox) {
      report(skipped('auth', names.me, 'no API key'));
      report(skipped('read_scope', names.read, 'no API key'));
      report(skipped('price', names.price, 'no API key'));
      report(skipped('balance', names.balance, 'no API key'));
      return;
    }
    if (unreachable) {
      report(skipped('auth', names.me, 'the API is not reachable'));
      report(skipped('read_scope', names.read, 'the API is not reachable'));
      report(skipped('price', names.price, 'the API is not reachable'));
      report(skipped('balance', names.balance, 'the API is not reachable'));
      return;
    }

    let keyRejected = false;
    try {
      const me = await getMe(client);
      const missing = missingScopes(me.data);
      if (missing.length > 0) {
        report(warn('auth', names.me, `${describeMe(me.data)}, but the key lacks ${missing.join(' and ')}`, `create a key with the evaluations:create and evaluations:read scopes at ${KEYS_PAGE}`));
      } else {
        report(pass('auth', names.me, describeMe(me.data)));
      }
    } catch (err) {
      rethrowAbort(err);
      keyRejected = err instanceof CliError && err.exitCode === ExitCode.Auth;
      report(failFromError('auth', names.me, err));
    }
    if (keyRejected) {
      report(skipped('read_scope', names.read, 'the key was not accepted'));
      report(skipped('price', names.price, 'the key was not accepted'));
      report(skipped('balance', names.balance, 'the key was not accepted'));
      return;
    }

    let jobClasses: unknown;
    try {
      const res = await requestJobClasses(client);
      jobClasses = res.data;
      const count = jobClassesOf(res.data)?.length;
      report(pass('read_scope', names.read, `GET ${JOB_CLASSES_PATH} answered ${res.status}${count === undefined ? '' : ` (${count} job class${count === 1 ? '' : 'es'})`}`));
    } catch (err) {
      rethrowAbort(err);
      if (err instanceof CliError && err.status === 403) {
        report(fail('read_scope', names.read, ExitCode.Auth, `key lacks evaluations:read (${err.message})`, `create a key with the evaluations:read and evaluations:create scopes at ${KEYS_PAGE}`));
      } else {
        report(failFromError('read_scope', names.read, err));
      }
      report(skipped('price', names.price, 'the job classes could not be read'));
      report(skipped('balance', names.balance, 'the job classes could not be read'));
      return;
    }
    report(jobClassPriceCheck(jobClasses));
    const { readBalance } = await import('../api/billing.js');
    report(balanceCheck(await readBalance(client, { signal: ctx.signal }), jobClasses));
  } finally {
    await client.close().catch(() => {});
  }
}

export function doctorExitCode(checks: CheckResult[]): number {
  const codes = checks.filter((c) => c.status === 'fail').map((c) => c.exit_code ?? ExitCode.Api);
  return codes.length === 0 ? ExitCode.Success : worstExitCode(codes);
}

/** Aligned so the output reads as a table and greps by status: `FAIL  key valid  …`. */
function formatCheck(check: CheckResult, nameWidth: number, c: ChalkInstance): string {
  const label = check.status.toUpperCase().padEnd(4);
  const painted = check.status === 'pass' ? c.green(label) : check.status === 'warn' ? c.yellow(label) : c.red(label);
  const lines = [`${painted}  ${check.name.padEnd(nameWidth)}  ${oneLine(check.detail, 1000)}`];
  if (check.fix) lines.push(`${' '.repeat(6)}fix: ${oneLine(check.fix, 1000)}`);
  return lines.join('\n');
}

const NAME_WIDTH = 'job class price'.length;

async function runDoctor(ctx: Context): Promise<number> {
  const checks: CheckResult[] = [];
  const { palette } = await import('../render/style.js');
  const c = palette(ctx.color);
  await runChecks(ctx, (check) => {
    checks.push(check);
    // Printed as each check finishes, so a slow network check shows where it is waiting.
    if (!ctx.globals.json) ctx.out(formatCheck(check, NAME_WIDTH, c));
  });
  const exitCode = doctorExitCode(checks);
  if (ctx.globals.json) {
    ctx.json({ ok: exitCode === 0, exit_code: exitCode, checks });
  } else {
    const fails = checks.filter((c) => c.status === 'fail').length;
    const warns = checks.filter((c) => c.status === 'warn').length;
    const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
    ctx.out(fails === 0 && warns === 0 ? '\nall checks passed' : `\n${plural(fails, 'failure')}, ${plural(warns, 'warning')}`);
  }
  return exitCode;
}

export function registerDoctor(program: Command, ctx: Context): void {
  withGlobals(program.command('doctor'))
    .description('check the setup: Node.js, config file, key, base URL, proxy, API reachability, key scopes and price')
    .action(action(ctx, () => runDoctor(ctx)));
}
