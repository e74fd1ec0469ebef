/** How `doctor` reads the API's answers: failed requests, the key's identity and scopes, the price and the balance. */
import { ConnectionError, RequestTimeoutError } from '../api/errors.js';
import type { BalanceReading } from '../api/billing.js';
import { jobClassesOf } from '../api/job-classes.js';
import { CliError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { formatMoney } from '../render/format.js';
import { compareDecimals, isDecimalString } from '../util/money.js';
import { oneLine } from '../util/text.js';
import { fail, pass, warn, type CheckResult } from './checks.js';

/** The job class `submit` and `gate` use unless told otherwise (SPEC §3). */
export const DEFAULT_JOB_CLASS = 'standard';

/** A failed request as a check result: the error's own message and hint, its exit code. */
export function failFromError(id: string, name: string, err: unknown, fix?: string): CheckResult {
  if (err instanceof CliError) return fail(id, name, err.exitCode, err.message, fix ?? err.hint);
  const message = err instanceof Error ? err.message : String(err);
  return fail(id, name, ExitCode.Api, oneLine(message, 300), fix);
}

export function isNetworkFailure(err: unknown): boolean {
  return err instanceof ConnectionError || err instanceof RequestTimeoutError;
}

export function describeMe(data: unknown): string {
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
export function missingScopes(data: unknown): string[] {
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
