/**
 * Turns judge results into the evaluation's verdict fields.
 *
 * The rule (the service does not publish its own; this one is stated in every record's
 * check_summary):
 * - `weighted_pass_rate` = weight of passed judges / weight of all judges that give a verdict,
 *   rounded to 4 decimals (judges with weight 0 or no verdict do not count).
 * - `overall_passed` = no gate judge failed and no major judge failed. Minor judges (contrast)
 *   only lower the score. A plain "score >= 0.75" rule was rejected: with several references a
 *   blurred or black image could still reach it.
 */
import { NOT_JUDGED, OFFLINE_NOTE } from './judges/not-judged.js';
import type { JudgeResult, Severity } from './judges/types.js';

export interface GateFailureDraft {
  output_key: string;
  module: string;
  reason: string;
}

export interface ActionDraft {
  primary_action: 'regenerate' | 'none';
  failure_summary: string | null;
  improved_prompt: string | null;
}

export interface Verdict {
  overall_passed: boolean;
  weighted_pass_rate: number;
  top_issues: string[];
  top_strengths: string[];
  check_summary: Record<string, unknown>;
  primary_action_code: string | null;
  gate_failures: GateFailureDraft[];
  action: ActionDraft;
}

export const VERDICT_RULE =
  'overall_passed: no gate or major judge failed (minor judges only lower the score); weighted_pass_rate: passed weight / total weight of judges with a verdict';

const SEVERITY_ORDER: Record<Severity, number> = { gate: 0, major: 1, minor: 2, info: 3 };

export interface VerdictRequest {
  task_type: string;
  task_description: string | null;
  generation_prompt: string | null;
}

export function computeVerdict(judges: JudgeResult[], request: VerdictRequest): Verdict {
  const counted = judges.filter((j) => j.weight > 0 && j.passed !== null);
  const total = counted.reduce((s, j) => s + j.weight, 0);
  const passedWeight = counted.filter((j) => j.passed).reduce((s, j) => s + j.weight, 0);
  const rate = total > 0 ? Math.round((passedWeight / total) * 10_000) / 10_000 : 0;

  const failed = judges
    .filter((j) => j.passed === false)
    .sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || b.weight - a.weight);
  const blocking = failed.filter((j) => j.severity === 'gate' || j.severity === 'major');
  const overall = blocking.length === 0;

  const gateFailures = failed
    .filter((j) => j.severity === 'gate')
    .map((j) => ({ output_key: j.name, module: `sandbox.${j.name}`, reason: j.issueLabel ?? j.reasoning }));

  const labels = failed.map((j) => j.issueLabel ?? `${j.name} failed`);
  const fixes = [...new Set(failed.map((j) => j.promptFix).filter((f): f is string => Boolean(f)))];
  const action: ActionDraft = {
    primary_action: overall ? 'none' : 'regenerate',
    failure_summary: failed.length ? `${labels.join('; ')}.` : null,
    improved_prompt: fixes.length ? improvePrompt(request, fixes) : null,
  };

  return {
    overall_passed: overall,
    weighted_pass_rate: rate,
    top_issues: labels,
    top_strengths: counted.filter((j) => j.passed).map((j) => j.name),
    check_summary: {
      offline: true,
      engine: 'runflow-eval sandbox',
      judges_run: judges.filter((j) => j.passed !== null).length,
      judges_passed: judges.filter((j) => j.passed === true).length,
      judges_failed: failed.length,
      gate_failures: gateFailures.length,
      not_judged: [...NOT_JUDGED],
      rule: VERDICT_RULE,
      note: OFFLINE_NOTE,
    },
    primary_action_code: overall ? null : 'regenerate',
    gate_failures: gateFailures,
    action,
  };
}

/** The user's own prompt (or task) with the concrete fixes for what failed appended. */
function improvePrompt(request: VerdictRequest, fixes: string[]): string {
  const base = (request.generation_prompt || request.task_description || request.task_type).trim().replace(/[\s.,;:]+$/, '');
  return `${base}, ${fixes.join(', ')}`;
}
