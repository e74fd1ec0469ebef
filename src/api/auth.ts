/** The account and service endpoints that need no resource: who the key belongs to, and health. */
import type { ApiResponse, RunflowClient } from './client.js';

/** GET /v1/auth/me: the account, organization and scopes of the key the client sends. */
export function getMe(client: RunflowClient): Promise<ApiResponse<unknown>> {
  return client.request('GET', '/v1/auth/me');
}

export const HEALTH_PATH = '/v1/health';

/** GET /v1/health: answers without a key, so it tells reachability apart from authentication. */
export function getHealth(client: RunflowClient): Promise<ApiResponse<unknown>> {
  return client.request('GET', HEALTH_PATH);
}
