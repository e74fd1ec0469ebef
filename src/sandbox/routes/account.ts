import { sendJson } from '../http.js';
import { SANDBOX_BALANCE, SANDBOX_BALANCE_ID, SANDBOX_EPOCH, SANDBOX_USER_ID } from '../identities.js';
import type { Route } from '../router.js';

/** GET /v1/health (no key), /v1/auth/me and /v1/billing/balance. */
export function accountRoutes(): Route[] {
  return [
    {
      method: 'GET',
      pattern: /^\/v1\/health$/,
      public: true,
      handle: ({ res }) => sendJson(res, 200, { status: 'ok', sandbox: true }),
    },
    {
      method: 'GET',
      pattern: /^\/v1\/auth\/me$/,
      handle: ({ res, orgId }) =>
        sendJson(res, 200, {
          id: SANDBOX_USER_ID,
          email: 'sandbox@localhost',
          first_name: 'Sandbox',
          last_name: 'User',
          org_id: orgId,
          organization: { id: orgId, name: 'Sandbox' },
          scopes: ['evaluations:create', 'evaluations:read'],
          sandbox: true,
        }),
    },
    {
      method: 'GET',
      pattern: /^\/v1\/billing\/balance$/,
      // The API reference's shape. The sandbox bills nothing (its price is 0), so any balance
      // covers a run; a large one reads as such.
      handle: ({ res, orgId }) =>
        sendJson(res, 200, {
          id: SANDBOX_BALANCE_ID,
          org_id: orgId,
          balance: SANDBOX_BALANCE,
          low_balance_threshold: '0.000000',
          low_balance_notified_at: null,
          created_at: SANDBOX_EPOCH,
          updated_at: SANDBOX_EPOCH,
        }),
    },
  ];
}
