import type { Evaluation, Judge } from '../api/types.js';
import { explainFailure } from '../evaluations/failure-codes.js';
import { stripControl } from '../util/text.js';
import { formatMoney, formatScore } from './format.js';
import { palette } from './style.js';

export interface RenderOptions {
  color: boolean;
  columns?: number;
}

/** Server text made safe for a terminal, or undefined when it is not usable text. */
function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value.length ? stripControl(value) : undefined;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function list(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.map((v) => (typeof v === 'string' ? stripControl(v) : stripControl(JSON.stringify(v) ?? ''))).filter(Boolean);
}

/** data: URIs can be megabytes; show their type and size instead. */
export function displayImageUrl(url: unknown): string | undefined {
  const s = text(url);
  if (!s) return undefined;
  if (s.startsWith('data:')) {
    const head = s.slice(0, s.indexOf(',') > 0 ? s.indexOf(',') : 40);
    return `${head},… (${s.length} chars)`;
  }
  return s.length > 200 ? `${s.slice(0, 197)}...` : s;
}

export function verdictWord(e: Evaluation): string {
  if (e.status_code === 'failed') return 'FAILED';
  if (e.status_code !== 'completed') return String(text(e.status_code) ?? 'unknown').toUpperCase();
  if (e.overall_passed === true) return 'PASS';
  if (e.overall_passed === false) return 'FAIL';
  return 'NO VERDICT';
}

function indent(block: string, pad: string): string {
  return block
    .split('\n')
    .map((l) => pad + l)
    .join('\n');
}

/** The human view of one evaluation for `get`, `wait` and `submit --wait` (SPEC §5). */
export function renderEvaluation(e: Evaluation, opts: RenderOptions): string {
  const c = palette(opts.color);
  const out: string[] = [];
  const row = (label: string, value: string | undefined) => {
    if (value !== undefined && value !== '') out.push(`${c.bold(label.padEnd(12))}${value}`);
  };
  const verdict = verdictWord(e);
  const coloured =
    verdict === 'PASS' ? c.green(verdict) : verdict === 'FAIL' || verdict === 'FAILED' ? c.red(verdict) : c.yellow(verdict);

  row('Evaluation', text(e.id) ?? '(no id)');
  row('Status', text(e.status_code) ?? 'unknown');
  if (e.status_code === 'completed' || e.overall_passed !== undefined) {
    const score = formatScore(e.weighted_pass_rate);
    row('Verdict', `${coloured}${score !== '-' ? `  score ${score}` : ''}`);
  }
  if (e.status_code === 'failed' || e.failure_code) {
    const code = text(e.failure_code) ?? 'unknown';
    row('Failure', `${code}: ${explainFailure(e.failure_code)}`);
  }
  row('Task', text(e.task_type));
  row('Image', displayImageUrl(e.generated_image_url));
  row('Client ref', text(e.client_ref));
  row('Job class', text(e.job_class_code));
  row('Cost', e.cost === undefined || e.cost === null ? undefined : formatMoney(e.cost));
  const timing: string[] = [];
  if (text(e.submitted_at)) timing.push(`submitted ${text(e.submitted_at)}`);
  if (text(e.completed_at)) timing.push(`completed ${text(e.completed_at)}`);
  if (typeof e.eval_duration_ms === 'number') timing.push(`took ${(e.eval_duration_ms / 1000).toFixed(1)}s`);
  row('Timing', timing.join(', ') || undefined);
  if (typeof e.feedback_is_positive === 'boolean') {
    row('Feedback', `${e.feedback_is_positive ? 'up' : 'down'}${text(e.feedback_reason) ? ` (${text(e.feedback_reason)})` : ''}`);
  }

  const issues = list(e.top_issues);
  if (issues.length) {
    out.push(c.bold('Top issues'));
    for (const i of issues) out.push(`  - ${i}`);
  }
  const strengths = list(e.top_strengths);
  if (strengths.length) row('Strengths', strengths.join(', '));

  if (Array.isArray(e.judges) && e.judges.length) {
    out.push('', c.bold(`Judges (${e.judges.length})`));
    for (const j of e.judges) out.push(renderJudge(j, c));
  }

  if (Array.isArray(e.gate_failures) && e.gate_failures.length) {
    out.push('', c.bold('Gate failures'));
    for (const g of e.gate_failures) {
      if (!g || typeof g !== 'object') continue;
      const where = [text(g.module), text(g.output_key)].filter(Boolean).join('/');
      out.push(`  - ${where ? `${where}: ` : ''}${text(g.reason) ?? '(no reason given)'}`);
    }
  }

  const action = e.action && typeof e.action === 'object' ? e.action : undefined;
  const primary = text(action?.primary_action) ?? text(e.primary_action_code);
  if (primary || action) {
    out.push('', `${c.bold('Suggested action')} ${primary ?? ''}`.trimEnd());
    if (text(action?.failure_summary)) out.push(indent(`Why: ${text(action?.failure_summary)}`, '  '));
    if (text(action?.improved_prompt)) out.push(indent(`Improved prompt: ${text(action?.improved_prompt)}`, '  '));
  }
  return out.join('\n');
}

function renderJudge(j: Judge, c: ReturnType<typeof palette>): string {
  if (!j || typeof j !== 'object') return '  (unreadable judge)';
  const mark = j.passed === true ? c.green('PASS') : j.passed === false ? c.red('FAIL') : c.yellow('----');
  const facts: string[] = [];
  if (typeof j.weight === 'number') facts.push(`weight ${j.weight}`);
  if (typeof j.confidence === 'number') facts.push(`confidence ${j.confidence}`);
  const lines = [`  ${mark}  ${text(j.name) ?? text(j.category) ?? '(unnamed)'}${facts.length ? `  (${facts.join(', ')})` : ''}`];
  if (text(j.reasoning)) lines.push(`        ${text(j.reasoning)}`);
  if (Array.isArray(j.issues)) {
    for (const i of j.issues) {
      if (!i || typeof i !== 'object') continue;
      const where = [text(i.category), text(i.subcategory)].filter(Boolean).join(' / ');
      lines.push(`        - ${where ? `${where}: ` : ''}${text(i.detail) ?? ''}`.trimEnd());
    }
  }
  return lines.join('\n');
}
