/**
 * The evaluation as the sandbox keeps it, and its wire form: the field names, types and order of
 * the API reference (seeds/000), with `judges`, `gate_failures` and `action` only when embedded.
 */
import { randomUUID } from 'node:crypto';
import type { JudgeResult } from './judges/index.js';
import type { Verdict } from './verdict.js';
import type { EvaluationRequest, ImageUrl } from './validate.js';

export type Status = 'pending' | 'running' | 'completed' | 'failed';
export type FailureCode = 'invalid_media' | 'processing_failed';

export const EMBEDS = ['judges', 'action', 'gate_failures'] as const;
export type Embed = (typeof EMBEDS)[number];

/** Price per evaluation: the sandbox bills nothing, and says so with a real decimal string. */
export const SANDBOX_PRICE = '0.000000';

/** The request without its images: inline ones are megabytes, and the record never needs them. */
export type RequestFields = Omit<EvaluationRequest, 'image' | 'references'>;

export interface StoredEvaluation {
  id: string;
  orgId: string;
  status: Status;
  request: RequestFields;
  /** What `generated_image_url` and reference URLs show: data: URIs shortened to a placeholder. */
  shownImageUrl: string;
  shownReferences: Array<{ url: string; kind: string | null; description: string | null }> | null;
  createdAt: string;
  updatedAt: string;
  submittedAtMs: number;
  completedAt: string | null;
  evalDurationMs: number | null;
  verdict: Verdict | null;
  judges: Record<string, unknown>[] | null;
  gateFailures: Record<string, unknown>[] | null;
  action: Record<string, unknown> | null;
  failureCode: FailureCode | null;
  failureDetail: string | null;
  feedback: { isPositive: boolean | null; reason: string | null };
}

export function newEvaluation(request: EvaluationRequest, orgId: string, now: number): StoredEvaluation {
  const at = new Date(now).toISOString();
  const { image: _image, references: _references, ...fields } = request;
  return {
    id: randomUUID(),
    orgId,
    status: 'pending',
    request: fields,
    shownImageUrl: shownUrl(request.image),
    shownReferences: request.references?.map((r) => ({ url: shownUrl(r.image), kind: r.kind, description: r.description })) ?? null,
    createdAt: at,
    updatedAt: at,
    submittedAtMs: now,
    completedAt: null,
    evalDurationMs: null,
    verdict: null,
    judges: null,
    gateFailures: null,
    action: null,
    failureCode: null,
    failureDetail: null,
    feedback: { isPositive: null, reason: null },
  };
}

/** Inline images are megabytes; a record shows what they were, not the bytes. */
export function shownUrl(image: ImageUrl): string {
  if (image.form !== 'data') return image.url;
  return `data:${image.data.mime};base64,…(${image.data.payload.length} chars)`;
}

/** Stamps judge results with ids and the evaluation's id, in the API's judge shape. */
export function judgesToWire(evaluationId: string, judges: JudgeResult[], at: string): Record<string, unknown>[] {
  return judges.map((j) => {
    const id = randomUUID();
    return {
      id,
      evaluation_id: evaluationId,
      name: j.name,
      description: j.description,
      category: j.category,
      passed: j.passed,
      confidence: j.confidence,
      weight: j.weight,
      reasoning: j.reasoning,
      evidence: j.evidence,
      sub_point_results: j.subPoints,
      sub_points_evaluated: Object.keys(j.subPoints).length,
      created_at: at,
      issues: j.issues.map((issue) => ({
        id: randomUUID(),
        evaluation_id: evaluationId,
        evaluation_judge_id: id,
        category: issue.category,
        subcategory: issue.subcategory,
        detail: issue.detail,
        created_at: at,
      })),
    };
  });
}

export function verdictExtrasToWire(evaluationId: string, verdict: Verdict, at: string) {
  return {
    gateFailures: verdict.gate_failures.map((g) => ({ id: randomUUID(), evaluation_id: evaluationId, ...g, created_at: at })),
    action: { id: randomUUID(), evaluation_id: evaluationId, ...verdict.action, created_at: at },
  };
}

/** The record in the reference's field order. Terminal, billable evaluations cost the price. */
export function toWire(e: StoredEvaluation, embed: ReadonlySet<Embed>, baseUrl: string): Record<string, unknown> {
  const r = e.request;
  const v = e.verdict;
  const record: Record<string, unknown> = {
    id: e.id,
    org_id: e.orgId,
    run_id: r.run_id,
    target_type_code: null,
    model_id: null,
    flow_id: null,
    comfyui_workflow_id: null,
    status_code: e.status,
    task_type: r.task_type,
    task_description: r.task_description,
    generation_prompt: r.generation_prompt,
    generated_image_url: e.shownImageUrl,
    input_attributes: r.input_attributes,
    evaluation_instructions: r.evaluation_instructions,
    reference_images: e.shownReferences,
    overall_passed: v ? v.overall_passed : null,
    weighted_pass_rate: v ? v.weighted_pass_rate : null,
    override_reason: null,
    top_issues: v ? v.top_issues : null,
    top_strengths: v ? v.top_strengths : null,
    check_summary: checkSummary(e),
    analysis_modules_executed: e.judges ? e.judges.length : null,
    primary_action_code: v ? v.primary_action_code : null,
    parent_evaluation_id: null,
    attempt_number: 1,
    superseded_at: null,
    eval_duration_ms: e.evalDurationMs,
    feedback_is_positive: e.feedback.isPositive,
    feedback_reason: e.feedback.reason,
    created_at: e.createdAt,
    updated_at: e.updatedAt,
    source_code: 'api',
    client_ref: r.client_ref,
    submitted_at: e.createdAt,
    completed_at: e.completedAt,
    callback_url: r.callback_url,
    // The guide: only completed and processing_failed are billed; invalid_media is not.
    cost: e.status === 'completed' || e.failureCode === 'processing_failed' ? SANDBOX_PRICE : null,
    failure_code: e.failureCode,
    job_class_code: r.job_class,
    links: { self: `${baseUrl}/v1/evaluations/${e.id}` },
  };
  if (embed.has('judges')) record.judges = e.judges ?? [];
  if (embed.has('gate_failures')) record.gate_failures = e.gateFailures ?? [];
  if (embed.has('action')) record.action = e.action;
  return record;
}

function checkSummary(e: StoredEvaluation): Record<string, unknown> | null {
  if (e.verdict) return e.verdict.check_summary;
  if (e.failureDetail) return { offline: true, engine: 'runflow-eval sandbox', error: e.failureDetail };
  return null;
}

/** Parses `embed=judges,action`; unknown names are ignored, as a lenient server would. */
export function parseEmbed(value: string | null): Set<Embed> {
  const out = new Set<Embed>();
  for (const part of (value ?? '').split(',')) {
    const name = part.trim() as Embed;
    if ((EMBEDS as readonly string[]).includes(name)) out.add(name);
  }
  return out;
}
