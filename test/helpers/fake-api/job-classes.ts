/** The job classes (GET /v1/evaluations/job-classes, served from the options as is) and the statuses. */
import type { Reply } from './types.js';
import { isObject } from './util.js';

export const DEFAULT_JOB_CLASSES = {
  items: [{ code: 'standard', name: 'Standard', price: '0.400000', currency_code: 'USD', is_active: true }],
};

/** GET /v1/evaluations/job-classes: the options' body, odd shapes included. */
export function jobClassesReply(jobClasses: unknown): Reply {
  return { status: 200, body: jobClasses };
}

/** GET /v1/evaluations/statuses. */
export function statusesReply(): Reply {
  return { status: 200, body: { items: ['pending', 'running', 'completed', 'failed'].map((code) => ({ code })) } };
}

export function jobClassItems(jobClasses: unknown): Array<Record<string, unknown>> | undefined {
  const items = Array.isArray(jobClasses) ? jobClasses : isObject(jobClasses) && Array.isArray(jobClasses.items) ? jobClasses.items : undefined;
  return items?.filter(isObject);
}

export function activeJobClasses(jobClasses: unknown): string[] | undefined {
  const items = jobClassItems(jobClasses);
  if (!items || items.length === 0 || !items.every((c) => typeof c.code === 'string')) return undefined;
  return items.filter((c) => c.is_active !== false).map((c) => c.code as string);
}

/** What an evaluation of this class costs (the default class's price when it is not listed). */
export function priceOf(jobClasses: unknown, code: string): string {
  const found = jobClassItems(jobClasses)?.find((c) => c.code === code);
  return typeof found?.price === 'string' ? found.price : '0.400000';
}
