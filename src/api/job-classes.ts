/** GET /v1/evaluations/job-classes: the classes an evaluation can be run in, with their prices. */
import type { ApiResponse, RunflowClient } from './client.js';
import type { ClientSource } from './evaluations.js';
import type { JobClass } from './types.js';

/**
 * The response shape of GET /v1/evaluations/job-classes is unpublished; SPEC §5 reads a list
 * from `items` or a top-level array. Undefined means "some other shape": show it raw.
 */
export function jobClassesOf(data: unknown): JobClass[] | undefined {
  const list = Array.isArray(data) ? data : data && typeof data === 'object' ? (data as { items?: unknown }).items : undefined;
  if (!Array.isArray(list)) return undefined;
  if (!list.every((item) => item && typeof item === 'object' && !Array.isArray(item))) return undefined;
  return list as JobClass[];
}

/** The bare response, for callers that report its status (doctor). */
export function requestJobClasses(client: RunflowClient): Promise<ApiResponse<unknown>> {
  return client.request('GET', JOB_CLASSES_PATH);
}

export const JOB_CLASSES_PATH = '/v1/evaluations/job-classes';

export async function fetchJobClasses(source: ClientSource): Promise<{ classes?: JobClass[]; data: unknown; text: string }> {
  const res = await requestJobClasses(await source.client());
  return { classes: jobClassesOf(res.data), data: res.data, text: res.text };
}
