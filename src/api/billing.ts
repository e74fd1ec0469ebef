import type { RunflowClient } from './client.js';
import { ApiError, ConnectionError, RequestTimeoutError, ResponseFormatError } from './errors.js';

/**
 * `GET /v1/billing/balance` (SPEC §3 "Balance"). Its shape is documented twice, differently: the
 * API reference gives `{ "balance": "<decimal string>", … }` (no currency), the pricing page
 * `{ "balance_cents": <int>, "currency": "USD" }`. Both are read; money stays a decimal string.
 */
export interface Balance {
  /** Decimal string, e.g. "124.50". */
  amount: string;
  /** The currency the response names, upper case; null when it names none. */
  currency: string | null;
}

export type BalanceReading = { ok: true; balance: Balance } | { ok: false; reason: string };

const DECIMAL = /^[+-]?\d*\.?\d*$/;

/** Reads the balance; never throws for an answer it cannot use, only for an abort. */
export async function readBalance(client: RunflowClient, opts: { signal?: AbortSignal } = {}): Promise<BalanceReading> {
  let data: unknown;
  try {
    data = (await client.request('GET', '/v1/billing/balance', { signal: opts.signal })).data;
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    return { ok: false, reason: describeFailure(err) };
  }
  return parseBalance(data);
}

/** Either documented shape; anything else is unreadable, with a reason fit for a warning. */
export function parseBalance(data: unknown): BalanceReading {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return { ok: false, reason: 'the response is not an object' };
  const body = data as Record<string, unknown>;
  const currency = typeof body.currency === 'string' && body.currency.trim() ? body.currency.trim().toUpperCase() : null;
  if (typeof body.balance === 'string' && DECIMAL.test(body.balance.trim()) && /\d/.test(body.balance)) {
    return { ok: true, balance: { amount: body.balance.trim(), currency } };
  }
  if (typeof body.balance_cents === 'number' && Number.isSafeInteger(body.balance_cents)) {
    return { ok: true, balance: { amount: centsToDecimal(body.balance_cents), currency } };
  }
  return { ok: false, reason: 'the response has neither "balance" (a decimal string) nor "balance_cents" (an integer)' };
}

function centsToDecimal(cents: number): string {
  const negative = cents < 0;
  const digits = String(Math.abs(cents)).padStart(3, '0');
  return `${negative ? '-' : ''}${digits.slice(0, -2)}.${digits.slice(-2)}`;
}

function describeFailure(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 403) return 'the key may not read it (HTTP 403: it lacks the billing scope)';
    if (err.status === 404) return 'this API has no balance endpoint (HTTP 404)';
    return `HTTP ${err.status ?? 'error'}: ${err.message}`;
  }
  if (err instanceof ResponseFormatError) return 'the response is not JSON';
  if (err instanceof ConnectionError || err instanceof RequestTimeoutError) return err.message;
  return err instanceof Error ? err.message : String(err);
}
