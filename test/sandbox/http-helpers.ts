/** Plain-fetch helpers for talking to a running sandbox in tests (no dependency on the CLI's client). */
import { expect } from 'vitest';

export const KEY = 'rf_test_any_key';

export interface Reply<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

export async function call<T = Record<string, unknown>>(
  base: string,
  method: string,
  path: string,
  opts: { body?: unknown; headers?: Record<string, string>; key?: string | null } = {},
): Promise<Reply<T>> {
  const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers };
  if (opts.key !== null) headers.Authorization = `Bearer ${opts.key ?? KEY}`;
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : null) as T };
}

export const submit = (base: string, body: unknown, headers: Record<string, string> = {}) =>
  call(base, 'POST', '/v1/evaluations', { body, headers });

/** Polls until completed or failed; returns the last record and every status seen, in order. */
export async function waitTerminal(
  base: string,
  id: string,
  opts: { embed?: string; timeoutMs?: number; intervalMs?: number } = {},
): Promise<{ record: Record<string, unknown>; seen: string[] }> {
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  const seen: string[] = [];
  const query = opts.embed ? `?embed=${opts.embed}` : '';
  for (;;) {
    const { status, body } = await call(base, 'GET', `/v1/evaluations/${id}${query}`);
    expect(status).toBe(200);
    const s = String(body.status_code);
    if (seen[seen.length - 1] !== s) seen.push(s);
    if (s === 'completed' || s === 'failed') return { record: body, seen };
    if (Date.now() > deadline) throw new Error(`evaluation ${id} still ${s} after the deadline`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 20));
  }
}

/** The three-step upload flow; returns the runflow:// reference and the asset record. */
export async function upload(base: string, bytes: Buffer, mime = 'image/png', filename = 'image.png') {
  const session = await call(base, 'POST', '/v1/asset-uploads', {
    body: { filename, mime_type: mime, size_bytes: bytes.length },
  });
  expect(session.status).toBe(201);
  const uploadUrl = String(session.body.upload_url);
  const put = await fetch(uploadUrl, { method: 'PUT', headers: { 'Content-Type': mime }, body: bytes });
  expect(put.status).toBe(200);
  const confirmed = await call(base, 'POST', `/v1/asset-uploads/${String(session.body.asset_id)}/confirmations`, { body: {} });
  expect(confirmed.status).toBe(201);
  return { ref: `runflow://assets/${String(confirmed.body.id)}`, asset: confirmed.body, uploadUrl };
}

/** Field order of the evaluation record in the API reference (seeds/000), embeds last. */
export const SEED_RECORD_ORDER = [
  'id', 'org_id', 'run_id', 'target_type_code', 'model_id', 'flow_id', 'comfyui_workflow_id', 'status_code',
  'task_type', 'task_description', 'generation_prompt', 'generated_image_url', 'input_attributes',
  'evaluation_instructions', 'reference_images', 'overall_passed', 'weighted_pass_rate', 'override_reason',
  'top_issues', 'top_strengths', 'check_summary', 'analysis_modules_executed', 'primary_action_code',
  'parent_evaluation_id', 'attempt_number', 'superseded_at', 'eval_duration_ms', 'feedback_is_positive',
  'feedback_reason', 'created_at', 'updated_at', 'source_code', 'client_ref', 'submitted_at', 'completed_at',
  'callback_url', 'cost', 'failure_code', 'job_class_code', 'links', 'judges', 'gate_failures', 'action',
];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
/** The pattern the API reference gives for `cost`. */
const DECIMAL = /^(?!^[-+.]*$)[+-]?0*\d*\.?\d*$/;

/** Checks a record against the documented names, types and enums. */
export function expectDocumentedShape(record: Record<string, unknown>): void {
  const keys = Object.keys(record);
  expect(keys).toEqual(SEED_RECORD_ORDER.filter((k) => keys.includes(k)));
  expect(record.id).toMatch(UUID);
  expect(record.org_id).toMatch(UUID);
  expect(['pending', 'running', 'completed', 'failed']).toContain(record.status_code);
  expect(record.source_code).toBe('api');
  expect(['standard', 'quick']).toContain(record.job_class_code);
  expect(record.created_at).toMatch(ISO);
  expect(record.submitted_at).toMatch(ISO);
  if (record.completed_at !== null) expect(record.completed_at).toMatch(ISO);
  if (record.cost !== null) expect(record.cost).toMatch(DECIMAL);
  if (record.failure_code !== null) {
    expect(['invalid_media', 'dispatch_failed', 'processing_failed', 'timed_out']).toContain(record.failure_code);
  }
  if (record.weighted_pass_rate !== null) {
    expect(typeof record.weighted_pass_rate).toBe('number');
    expect(record.weighted_pass_rate).toBeGreaterThanOrEqual(0);
    expect(record.weighted_pass_rate).toBeLessThanOrEqual(1);
  }
  if (record.overall_passed !== null) expect(typeof record.overall_passed).toBe('boolean');
  for (const list of ['top_issues', 'top_strengths']) {
    if (record[list] !== null) expect((record[list] as unknown[]).every((x) => typeof x === 'string')).toBe(true);
  }
  if (Array.isArray(record.judges)) {
    for (const j of record.judges as Array<Record<string, unknown>>) {
      expect(Object.keys(j)).toEqual([
        'id', 'evaluation_id', 'name', 'description', 'category', 'passed', 'confidence', 'weight', 'reasoning',
        'evidence', 'sub_point_results', 'sub_points_evaluated', 'created_at', 'issues',
      ]);
      expect(j.evaluation_id).toBe(record.id);
      for (const issue of j.issues as Array<Record<string, unknown>>) {
        expect(Object.keys(issue)).toEqual(['id', 'evaluation_id', 'evaluation_judge_id', 'category', 'subcategory', 'detail', 'created_at']);
        expect(issue.evaluation_judge_id).toBe(j.id);
      }
    }
  }
  if (Array.isArray(record.gate_failures)) {
    for (const g of record.gate_failures as Array<Record<string, unknown>>) {
      expect(Object.keys(g)).toEqual(['id', 'evaluation_id', 'output_key', 'module', 'reason', 'created_at']);
    }
  }
  if (record.action) {
    expect(Object.keys(record.action)).toEqual(['id', 'evaluation_id', 'primary_action', 'failure_summary', 'improved_prompt', 'created_at']);
  }
}
