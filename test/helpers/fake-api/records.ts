/** What the fake's evaluation records hold: the fields of a new one, embeds, and the terminal fields of a verdict. */
import { randomUUID } from 'node:crypto';

export const EMBEDS = ['judges', 'gate_failures', 'action'] as const;
export const KNOWN_EMBEDS = new Set<string>([...EMBEDS, 'run', 'model', 'parent_evaluation']);

/** A new evaluation's record, `pending`, in the seeds' field order (the embeds at the end). */
export function newRecord(body: Record<string, unknown>, id: string, org: string, iso: string, jobClass: string): Record<string, unknown> {
  return {
    id,
    org_id: org,
    run_id: body.run_id ?? null,
    target_type_code: null,
    model_id: null,
    flow_id: null,
    comfyui_workflow_id: null,
    status_code: 'pending',
    task_type: body.task_type,
    task_description: body.task_description ?? null,
    generation_prompt: body.generation_prompt ?? null,
    generated_image_url: hostedUrl(body.generated_image_url as string, id, 'generated'),
    input_attributes: body.input_attributes ?? {},
    evaluation_instructions: body.evaluation_instructions ?? null,
    reference_images: Array.isArray(body.reference_images)
      ? (body.reference_images as Array<Record<string, unknown>>).map((ref, i) => ({ ...ref, url: hostedUrl(String(ref.url), id, `reference-${i + 1}`) }))
      : [],
    overall_passed: null,
    weighted_pass_rate: null,
    override_reason: null,
    top_issues: null,
    top_strengths: null,
    check_summary: {},
    analysis_modules_executed: null,
    primary_action_code: null,
    parent_evaluation_id: null,
    attempt_number: 1,
    superseded_at: null,
    eval_duration_ms: null,
    feedback_is_positive: null,
    feedback_reason: null,
    created_at: iso,
    updated_at: iso,
    source_code: 'api',
    client_ref: body.client_ref ?? null,
    submitted_at: iso,
    completed_at: null,
    callback_url: body.callback_url ?? null,
    cost: null,
    failure_code: null,
    job_class_code: jobClass,
    links: { self: `/v1/evaluations/${id}` },
    judges: [],
    gate_failures: [],
    action: null,
  };
}

/** The terminal record's fields: defaults for the verdict, overridden by the test's outcome. */
export function terminalFields(
  record: Record<string, unknown>,
  outcome: Record<string, unknown>,
  price: string,
  durationMs: number,
  brokenMedia: boolean,
): Record<string, unknown> {
  const failureCode = (outcome.failure_code as string | undefined) ?? (brokenMedia ? 'invalid_media' : undefined);
  const failed = outcome.status_code === 'failed' || (failureCode !== undefined && failureCode !== null);
  const evalId = record.id as string;
  const duration = Number.isFinite(durationMs) ? Math.round(durationMs) : null;
  if (failed) {
    const code = failureCode ?? 'processing_failed';
    return {
      status_code: 'failed',
      overall_passed: null,
      weighted_pass_rate: null,
      top_issues: null,
      top_strengths: null,
      eval_duration_ms: duration,
      // Only processing_failed (and completed) evaluations are billed (seeds/001).
      cost: code === 'processing_failed' ? price : null,
      judges: [],
      gate_failures: [],
      action: null,
      ...outcome,
      failure_code: code,
    };
  }
  const passed = outcome.overall_passed === undefined ? true : outcome.overall_passed;
  const rate = outcome.weighted_pass_rate === undefined ? (passed === false ? 0.55 : 0.9) : outcome.weighted_pass_rate;
  const judges = defaultJudges(evalId, passed !== false, record.created_at as string);
  const action = defaultAction(evalId, passed !== false, record, record.created_at as string);
  return {
    status_code: 'completed',
    overall_passed: passed,
    weighted_pass_rate: rate,
    top_issues: passed === false ? ['Background does not match the prompt', 'Slight shadow under the chin'] : ['Slight shadow under the chin'],
    top_strengths: ['identity', 'framing'],
    check_summary: { judges_total: judges.length, judges_passed: judges.filter((j) => j.passed).length },
    analysis_modules_executed: judges.length,
    primary_action_code: action.primary_action,
    eval_duration_ms: duration,
    cost: price,
    failure_code: null,
    judges,
    gate_failures:
      passed === false
        ? [{ id: randomUUID(), evaluation_id: evalId, output_key: 'background', module: 'prompt_adherence', reason: 'Background does not match the prompt', created_at: record.created_at }]
        : [],
    action,
    ...outcome,
  };
}

function defaultJudges(evaluationId: string, passed: boolean, createdAt: string): Array<Record<string, unknown>> {
  const judge = (name: string, category: string, ok: boolean, weight: number, confidence: number, reasoning: string, issues: Array<[string, string]>) => {
    const id = randomUUID();
    return {
      id,
      evaluation_id: evaluationId,
      name,
      description: `${name} of the generated image`,
      category,
      passed: ok,
      confidence,
      weight,
      reasoning,
      evidence: issues.map(([, detail]) => detail),
      sub_point_results: {},
      sub_points_evaluated: issues.length + 2,
      created_at: createdAt,
      issues: issues.map(([subcategory, detail]) => ({
        id: randomUUID(),
        evaluation_id: evaluationId,
        evaluation_judge_id: id,
        category,
        subcategory,
        detail,
        created_at: createdAt,
      })),
    };
  };
  return [
    judge('Technical quality', 'technical', true, 1, 0.92, 'Sharp, well exposed, no visible artefacts.', [['lighting', 'Slight shadow under the chin']]),
    judge(
      'Prompt adherence',
      'prompt',
      passed,
      1.5,
      0.81,
      passed ? 'The image follows the prompt.' : 'The background is busy although the prompt asks for a neutral one.',
      passed ? [] : [['background', 'Background does not match the prompt']],
    ),
    judge('Composition', 'composition', true, 0.8, 0.77, 'Subject is framed head-and-shoulders.', [['framing', 'Subject slightly off-centre']]),
  ];
}

function defaultAction(evaluationId: string, passed: boolean, record: Record<string, unknown>, createdAt: string): Record<string, unknown> {
  const prompt = typeof record.generation_prompt === 'string' && record.generation_prompt ? record.generation_prompt : String(record.task_type);
  return {
    id: randomUUID(),
    evaluation_id: evaluationId,
    primary_action: passed ? 'accept' : 'regenerate',
    failure_summary: passed ? null : 'The background does not match the prompt.',
    improved_prompt: `${prompt}, soft even lighting, plain neutral background`,
    created_at: createdAt,
  };
}

/** data: URIs are "materialized into a hosted asset" by the service; so are they here. */
export function hostedUrl(url: string, evaluationId: string, name: string): string {
  const m = /^data:image\/([a-z0-9.+-]+)[;,]/i.exec(url);
  if (!m) return url;
  const ext = m[1].toLowerCase().replace('jpeg', 'jpg').replace(/\+.*$/, '');
  return `https://assets.runflow.test/evaluations/${evaluationId}/${name}.${ext}`;
}

/** A data: URI whose payload is not base64 can never be decoded: the evaluation ends invalid_media. */
export function isBrokenDataUri(url: unknown): boolean {
  if (typeof url !== 'string' || !url.startsWith('data:')) return false;
  const comma = url.indexOf(',');
  if (comma < 0 || !/;base64$/i.test(url.slice(0, comma))) return true;
  const payload = url.slice(comma + 1);
  return payload.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(payload);
}

export function withoutEmbeds(record: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) if (!(EMBEDS as readonly string[]).includes(k)) copy[k] = v;
  return copy;
}
