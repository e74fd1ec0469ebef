import { sendJson } from '../http.js';
import { SANDBOX_PRICE } from '../record.js';
import type { Route } from '../router.js';

const JOB_CLASSES = [
  {
    code: 'standard',
    name: 'Standard',
    description: 'Technical checks computed from pixels (sandbox: free).',
    price: SANDBOX_PRICE,
    currency_code: 'CREDITS',
    is_active: true,
  },
  {
    code: 'quick',
    name: 'Quick',
    description: 'Not offered by the sandbox.',
    price: SANDBOX_PRICE,
    currency_code: 'CREDITS',
    is_active: false,
  },
];
/** The job classes a submission may name. */
export const ACTIVE_JOB_CLASSES = JOB_CLASSES.filter((c) => c.is_active).map((c) => c.code);

const STATUSES = [
  { code: 'pending', name: 'Pending', description: 'Accepted, not yet picked up for processing.', is_terminal: false },
  { code: 'running', name: 'Running', description: 'Being evaluated.', is_terminal: false },
  { code: 'completed', name: 'Completed', description: 'A verdict was produced.', is_terminal: true },
  { code: 'failed', name: 'Failed', description: 'No verdict; see failure_code.', is_terminal: true },
];

/**
 * GET /v1/evaluations/job-classes (standard active at price "0.000000", quick inactive) and
 * /v1/evaluations/statuses. Listed before /v1/evaluations/{id}, which matches these paths too.
 */
export function referenceRoutes(): Route[] {
  return [
    {
      method: 'GET',
      pattern: /^\/v1\/evaluations\/job-classes$/,
      handle: ({ res }) => sendJson(res, 200, { items: JOB_CLASSES }),
    },
    {
      method: 'GET',
      pattern: /^\/v1\/evaluations\/statuses$/,
      handle: ({ res }) => sendJson(res, 200, { items: STATUSES }),
    },
  ];
}
