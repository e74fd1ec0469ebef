/**
 * Wire types: what the API sends and takes (seeds/000 and docs/runflow-api.md). Every field is
 * optional and nullable because the service (and its placeholder examples) may omit or null any
 * of them; renderers must cope.
 */

export type StatusCode = 'pending' | 'running' | 'completed' | 'failed';
export type FailureCode = 'invalid_media' | 'dispatch_failed' | 'processing_failed' | 'timed_out';

export const TERMINAL_STATUSES: readonly string[] = ['completed', 'failed'];
export const TRANSIENT_FAILURES: readonly string[] = ['dispatch_failed', 'timed_out'];

export interface ReferenceImage {
  url: string;
  kind?: string;
  description?: string;
}

/** Body of POST /v1/evaluations. Only the first two are required. */
export interface EvaluationRequest {
  generated_image_url: string;
  task_type: string;
  task_description?: string;
  generation_prompt?: string;
  evaluation_instructions?: string;
  input_attributes?: Record<string, unknown>;
  reference_images?: ReferenceImage[];
  run_id?: string;
  client_ref?: string;
  job_class?: string;
  callback_url?: string;
}

export interface JudgeIssue {
  id?: string | null;
  evaluation_id?: string | null;
  evaluation_judge_id?: string | null;
  category?: string | null;
  subcategory?: string | null;
  detail?: string | null;
  created_at?: string | null;
}

export interface Judge {
  id?: string | null;
  evaluation_id?: string | null;
  name?: string | null;
  description?: string | null;
  category?: string | null;
  passed?: boolean | null;
  confidence?: number | null;
  weight?: number | null;
  reasoning?: string | null;
  evidence?: unknown[] | null;
  sub_point_results?: Record<string, unknown> | null;
  sub_points_evaluated?: number | null;
  created_at?: string | null;
  issues?: JudgeIssue[] | null;
}

export interface GateFailure {
  id?: string | null;
  evaluation_id?: string | null;
  output_key?: string | null;
  module?: string | null;
  reason?: string | null;
  created_at?: string | null;
}

export interface EvaluationAction {
  id?: string | null;
  evaluation_id?: string | null;
  primary_action?: string | null;
  failure_summary?: string | null;
  improved_prompt?: string | null;
  created_at?: string | null;
}

export interface Evaluation {
  id?: string | null;
  org_id?: string | null;
  run_id?: string | null;
  status_code?: StatusCode | string | null;
  task_type?: string | null;
  task_description?: string | null;
  generation_prompt?: string | null;
  generated_image_url?: string | null;
  input_attributes?: Record<string, unknown> | null;
  evaluation_instructions?: string | null;
  reference_images?: unknown[] | null;
  overall_passed?: boolean | null;
  weighted_pass_rate?: number | null;
  override_reason?: string | null;
  top_issues?: unknown[] | null;
  top_strengths?: unknown[] | null;
  check_summary?: Record<string, unknown> | null;
  analysis_modules_executed?: number | null;
  primary_action_code?: string | null;
  parent_evaluation_id?: string | null;
  attempt_number?: number | null;
  superseded_at?: string | null;
  eval_duration_ms?: number | null;
  feedback_is_positive?: boolean | null;
  feedback_reason?: string | null;
  created_at?: string | null;
  updated_at?: string | null;
  source_code?: string | null;
  client_ref?: string | null;
  submitted_at?: string | null;
  completed_at?: string | null;
  callback_url?: string | null;
  cost?: string | null;
  failure_code?: FailureCode | string | null;
  job_class_code?: string | null;
  links?: Record<string, unknown> | null;
  judges?: Judge[] | null;
  gate_failures?: GateFailure[] | null;
  action?: EvaluationAction | null;
  [key: string]: unknown;
}

/** A job class as SPEC §5 reads it; the real shape is unpublished, so all optional. */
export interface JobClass {
  code?: string | null;
  name?: string | null;
  price?: string | null;
  currency_code?: string | null;
  is_active?: boolean | null;
  [key: string]: unknown;
}

/** POST /v1/asset-uploads response. */
export interface UploadSession {
  asset_id: string;
  upload_url: string;
  [key: string]: unknown;
}

/** Asset record (confirmation response). */
export interface Asset {
  id?: string | null;
  name?: string | null;
  url?: string | null;
  mime_type?: string | null;
  size_bytes?: number | null;
  [key: string]: unknown;
}

/** The API's error envelope: `{code, message, errors}`; `{error:{code,message}}` is tolerated. */
export interface ErrorEnvelope {
  code?: string;
  message?: string;
  errors?: unknown[] | null;
  error?: { code?: string; message?: string };
}
