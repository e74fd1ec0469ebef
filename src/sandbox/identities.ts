/** Fixed identities, so a script can recognise the sandbox's records. */
export const SANDBOX_ORG_ID = '00000000-0000-4000-8000-000000000001';
export const SANDBOX_USER_ID = '00000000-0000-4000-8000-000000000002';
export const SANDBOX_BALANCE_ID = '00000000-0000-4000-8000-000000000003';
/** What GET /v1/billing/balance reports: the sandbox bills nothing, so this never runs down. */
export const SANDBOX_BALANCE = '1000000.000000';
/** The creation time of the sandbox's fixed records. */
export const SANDBOX_EPOCH = '2024-01-01T00:00:00.000Z';
