/**
 * The order of `doctor`'s checks. Checks that need an earlier one (the key, a reachable API) are
 * skipped rather than piling timeouts on top of a known cause.
 */
import type { Command } from 'commander';
import { getHealth, getMe, HEALTH_PATH } from '../api/auth.js';
import { ResponseFormatError } from '../api/errors.js';
import { JOB_CLASSES_PATH, jobClassesOf, requestJobClasses } from '../api/job-classes.js';
import { DEFAULT_BASE_URL, type Resolved } from '../config/resolve.js';
import type { Context, Env } from '../context.js';
import { CliError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { USER_AGENT } from '../version.js';
import { fail, pass, skipped, warn, type CheckResult } from './checks.js';
import { apiKeyCheck, baseUrlCheck, configCheck, nodeCheck } from './local.js';
import { balanceCheck, describeMe, failFromError, isNetworkFailure, jobClassPriceCheck, missingScopes } from './network.js';
import { projectFileCheck } from './project.js';
import { proxyCheck, proxyRoute } from './proxy.js';
import { plural } from '../util/plural.js';

/** Short, so a dead network fails the preflight in seconds rather than minutes. */
const CHECK_TIMEOUT_MS = 10_000;
const CHECK_ATTEMPTS = 2;
const KEYS_PAGE = 'https://app.runflow.io (Settings → API Keys)';

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

/** The commands the project file check needs, and its flag. */
export interface DoctorCommands {
  doctor: Command;
  /** Its options define the project file's keys. */
  gate?: Command;
  /** --config FILE, or false for --no-config. */
  config?: string | false;
}

export async function runChecks(ctx: Context, report: (r: CheckResult) => void, commands?: DoctorCommands): Promise<void> {
  const sandbox = ctx.globals.sandbox;
  report(nodeCheck(process.versions.node));

  const store = ctx.config();
  let configValues: Record<string, string | undefined> = {};
  report(configCheck(store.file, store.dir, () => (configValues = store.read())));
  // Before the settings below: its base URL and organization are among them.
  if (commands) report(await projectFileCheck(ctx, commands.doctor, commands.gate, commands.config));

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
      report(pass('read_scope', names.read, `GET ${JOB_CLASSES_PATH} answered ${res.status}${count === undefined ? '' : ` (${plural(count, 'job class', 'job classes')})`}`));
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
