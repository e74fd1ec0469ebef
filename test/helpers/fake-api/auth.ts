/** Who may call the fake: bearer keys, scopes, the request-rate limit; and who they are (`/v1/auth/me`, the balance). */
import { randomUUID } from 'node:crypto';
import type { Reply, ResolvedOptions } from './types.js';

/** Per key: when its rate window started and how many requests it has counted. */
export type RateWindows = Map<string, { start: number; count: number }>;

export function keyIsValid(o: ResolvedOptions, key: string): boolean {
  const keys = o.apiKeys;
  return keys.includes('*') || keys.includes(key);
}

export function hasScope(o: ResolvedOptions, key: string, scope: string): boolean {
  const scopes = o.scopes?.[key];
  return scopes === undefined || scopes.includes(scope);
}

/** A fixed window per key (`rateLimit`): the X-RateLimit-* headers, and the 429 once the window is used up. */
export function rateLimit(o: ResolvedOptions, windows: RateWindows, key: string): { reply?: Reply; headers: Record<string, string> } {
  const limit = o.rateLimit;
  if (!limit) return { headers: {} };
  const now = o.now();
  let window = windows.get(key);
  if (!window || now - window.start >= limit.windowMs) {
    window = { start: now, count: 0 };
    windows.set(key, window);
  }
  window.count += 1;
  const resetMs = window.start + limit.windowMs;
  const withHeaders = limit.headers !== false;
  const headers: Record<string, string> = withHeaders
    ? {
        'x-ratelimit-limit': String(limit.limit),
        'x-ratelimit-remaining': String(Math.max(0, limit.limit - window.count)),
        'x-ratelimit-reset': String(Math.ceil(resetMs / 1000)),
      }
    : {};
  if (window.count <= limit.limit) return { headers };
  // A refused request does not use up the window.
  window.count -= 1;
  const retryAfter = String(Math.max(1, Math.ceil((resetMs - now) / 1000)));
  return {
    headers,
    reply: {
      status: 429,
      headers: withHeaders ? { ...headers, 'retry-after': retryAfter } : {},
      body: { code: 'RATE_LIMITED', message: `Rate limit exceeded: ${limit.limit} requests per ${limit.windowMs} ms.`, errors: null },
    },
  };
}

/** GET /v1/auth/me. */
export function me(o: ResolvedOptions, userId: string, key: string, org: string): Record<string, unknown> {
  return {
    id: userId,
    email: 'ci@example.com',
    first_name: 'Test',
    last_name: 'User',
    org_id: org,
    organization: { id: org, name: 'Test Organization' },
    scopes: o.scopes?.[key] ?? ['evaluations:create', 'evaluations:read'],
  };
}

/** GET /v1/billing/balance, in the shape the options ask for. */
export function balance(o: ResolvedOptions, org: string): Reply {
  if (o.balanceBody !== undefined) return { status: 200, body: o.balanceBody };
  if (o.balance === null) return { status: 404, body: { code: 'NOT_FOUND', message: 'Not found.', errors: null } };
  if (o.balanceShape === 'cents') {
    const m = /^(-?)(\d*)(?:\.(\d*))?$/.exec(o.balance.trim());
    if (!m) throw new Error(`fake API: balance ${o.balance} is not a decimal`);
    const cents = (Number(m[2] || '0') * 100 + Number((m[3] ?? '').padEnd(2, '0').slice(0, 2))) * (m[1] ? -1 : 1);
    return { status: 200, body: { balance_cents: cents, currency: o.balanceCurrency } };
  }
  const iso = new Date(o.now()).toISOString();
  return {
    status: 200,
    body: { id: randomUUID(), org_id: org, balance: o.balance, low_balance_threshold: '5.000000', low_balance_notified_at: null, created_at: iso, updated_at: iso },
  };
}
