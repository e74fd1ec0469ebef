/**
 * `gate --report FILE.html`: one self-contained page a person can open from a CI artifact. It
 * has inline CSS, no script, and a Content-Security-Policy that forbids any fetch except
 * embedded `data:` images, so opening it contacts no host: remote images are links, never
 * `<img src>`. Every piece of text is HTML-escaped; the only URLs taken from input are `https:`
 * links (checked by parsing) and `file:` links to the user's own local images.
 */
import type { EvaluationAction, GateFailure, Judge } from '../api/types.js';
import type { GateReport, GateResult, GateResultExtra } from '../gate/types.js';
import { escapeHtml, oneLine, stripControl } from './escape.js';
import { STYLE } from './html-style.js';
import { DEFAULT_MAX_THUMBNAILS, prepareThumbnails, type Thumbnail } from './thumbnails.js';
import {
  changeCell,
  changeText,
  classifyResult,
  cleanIssues,
  describeResult,
  formatDelta,
  regressionText,
  spreadText,
  displayImage,
  effectiveThreshold,
  formatScore,
  formatThreshold,
  scoreOf,
  type Verdict,
} from './verdict.js';
import { plural } from '../util/plural.js';

export interface HtmlReportOptions {
  title?: string;
  /** Shown in the header as given (the caller's clock, so the renderer stays deterministic). */
  generatedAt?: string;
  /** How many images get an embedded thumbnail; the rest are links. Default 200. */
  maxThumbnails?: number;
}

const BADGE: Record<Verdict, { label: string; css: string; explain: string }> = {
  PASS: { label: 'PASS', css: 'pass', explain: 'passed the gate' },
  FAIL: { label: 'FAIL', css: 'fail', explain: 'completed below the bar' },
  ERROR: { label: 'ERROR', css: 'error', explain: 'the evaluation failed or could not be submitted' },
  TIMEOUT: { label: 'PENDING', css: 'pending', explain: 'still pending or running when the gate stopped waiting' },
  INTERRUPTED: { label: 'INTERRUPTED', css: 'pending', explain: 'interrupted: sent, and unfinished when the gate was stopped' },
  NOT_SUBMITTED: { label: 'NOT_SUBMITTED', css: 'pending', explain: 'not_submitted: never sent, the gate was stopped first' },
};

export async function renderHtml(
  report: GateReport,
  extras?: readonly (GateResultExtra | undefined)[],
  opts: HtmlReportOptions = {},
): Promise<string> {
  const thumbnails = await prepareThumbnails(report.results, extras, opts.maxThumbnails ?? DEFAULT_MAX_THUMBNAILS);
  const title = oneLine(opts.title ?? '') || 'runflow-eval gate report';
  const cards = report.results.map((result, i) => renderCard(result, extras?.[i], thumbnails[i]!, report.threshold, i));
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    renderHeader(report, title, opts, thumbnails),
    '<main>',
    cards.length > 0 ? cards.join('\n') : '<p data-testid="no-results">No results (an empty shard passes).</p>',
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function renderThumbnail(thumbnail: Thumbnail, image: string): string {
  const alt = escapeHtml(displayImage(image));
  switch (thumbnail.kind) {
    case 'embedded':
      return `<img data-testid="thumbnail-img" alt="${alt}" src="${escapeHtml(thumbnail.src)}">`;
    case 'file-link':
      return `<a data-testid="thumbnail-link" href="${escapeHtml(thumbnail.href)}">open local file</a><small>${escapeHtml(thumbnail.reason)}</small>`;
    case 'https-link':
      return `<a data-testid="thumbnail-link" href="${escapeHtml(thumbnail.href)}" rel="noopener noreferrer">open image</a><small>remote images are not loaded</small>`;
    case 'text':
      return `<span data-testid="thumbnail-text">${escapeHtml(thumbnail.text)}</span>`;
  }
}

// ---------------------------------------------------------------------------------------------
// Page parts

function renderHeader(report: GateReport, title: string, opts: HtmlReportOptions, thumbnails: Thumbnail[]): string {
  const total = report.counts?.total ?? report.results.length;
  const passed = report.counts?.passed ?? report.results.filter((r) => classifyResult(r) === 'PASS').length;
  const cost = oneLine(String(report.cost ?? '')) || '0';
  const threshold = formatThreshold(report.threshold);
  const counts = report.counts;
  const notEmbedded = thumbnails.filter((t) => t.kind === 'file-link').length;
  const parts = [
    `<header data-testid="summary" data-passed="${report.passed ? 'true' : 'false'}" data-exit-code="${escapeHtml(String(report.exit_code))}">`,
    `<h1>${escapeHtml(title)}</h1>`,
    `<p class="headline"><span class="badge ${report.passed ? 'pass' : 'fail'}" data-testid="gate-verdict">${report.passed ? 'PASSED' : 'FAILED'}</span> ` +
      `<span data-testid="summary-line">${escapeHtml(`${passed}/${total} passed, threshold ${threshold}, total cost ${cost}`)}</span></p>`,
    '<dl class="facts">',
    fact('Passed', `${passed} of ${total}`),
    counts ? fact('Below the bar', String(counts.failed)) : '',
    counts ? fact('Errors', String(counts.errored)) : '',
    counts ? fact('Timed out', String(counts.timed_out)) : '',
    counts?.interrupted ? fact('Interrupted', String(counts.interrupted)) : '',
    fact('Threshold', threshold),
    fact('Total cost', cost),
    fact('Exit code', String(report.exit_code)),
    opts.generatedAt ? fact('Generated', opts.generatedAt) : '',
    '</dl>',
    renderBaselineSummary(report),
    notEmbedded > 0
      ? `<p class="note" data-testid="thumbnail-note">${notEmbedded} local images are linked rather than embedded (the page embeds at most ${escapeHtml(String(opts.maxThumbnails ?? DEFAULT_MAX_THUMBNAILS))} thumbnails, from files up to 5 MB).</p>`
      : '',
    '</header>',
  ];
  return parts.filter(Boolean).join('\n');
}

/** New and missing images listed by name in the header, at most this many each. */
const MAX_LISTED_IMAGES = 50;

/** With --baseline: what was compared, the mean's change, every regression, and the images only one side has. */
function renderBaselineSummary(report: GateReport): string {
  const b = report.baseline;
  if (!b) return '';
  const mean = typeof b.mean_delta === 'number' ? `, mean change ${formatDelta(b.mean_delta)}` : '';
  const parts = [
    `<section class="baseline" data-testid="baseline" data-regressed="${escapeHtml(String(b.regressed))}" data-mean-delta="${b.mean_delta === null ? '' : escapeHtml(String(b.mean_delta))}" data-mean-regressed="${b.mean_regressed === true ? 'true' : 'false'}">`,
    `<p>${escapeHtml(`Compared with ${oneLine(String(b.file))}: ${b.matched} matched, ${b.new} new, ${b.missing} missing, ${b.regressed} regressed${mean}`)}</p>`,
  ];
  if (b.mean_regressed === true && typeof b.mean_delta === 'number') {
    parts.push(`<p class="regression" data-testid="mean-regression">${escapeHtml(`The mean score fell by ${formatDelta(b.mean_delta)}, more than --max-mean-drop ${b.max_mean_drop}`)}</p>`);
  }
  const regressed = report.results.filter((r) => r.regressed === true);
  if (regressed.length > 0) {
    const items = regressed.map((r) => `<li data-testid="regression">${escapeHtml(`${displayImage(r.image)}: ${regressionText(r, report.threshold)}`)}</li>`);
    parts.push(`<h2 class="regression">${plural(regressed.length, 'regression')}</h2><ul>${items.join('')}</ul>`);
  }
  const list = (label: string, testid: string, images: unknown) => {
    if (!Array.isArray(images) || images.length === 0) return;
    const shown = images.slice(0, MAX_LISTED_IMAGES).map((i) => `<li>${escapeHtml(displayImage(i))}</li>`);
    const more = images.length > MAX_LISTED_IMAGES ? `<li>… and ${images.length - MAX_LISTED_IMAGES} more</li>` : '';
    parts.push(`<details data-testid="${testid}"><summary>${escapeHtml(`${label} (${images.length})`)}</summary><ul>${shown.join('')}${more}</ul></details>`);
  };
  list('New: not in the baseline', 'new-images', b.new_images);
  list('Missing: in the baseline, not gated now', 'missing-images', b.missing_images);
  parts.push('</section>');
  return parts.join('\n');
}

function fact(name: string, value: string): string {
  return `<div><dt>${escapeHtml(name)}</dt><dd>${escapeHtml(value)}</dd></div>`;
}

function renderCard(result: GateResult, extra: GateResultExtra | undefined, thumbnail: Thumbnail, reportThreshold: number, index: number): string {
  const verdict = classifyResult(result);
  const badge = BADGE[verdict];
  const threshold = effectiveThreshold(result, reportThreshold);
  const score = scoreOf(result);
  const image = typeof result.image === 'string' ? result.image : '';
  const shownImage = displayImage(image);
  const evaluation = extra?.evaluation;
  const status = oneLine(String(result.status_code ?? '')) || 'unknown';
  const failureCode = typeof result.failure_code === 'string' ? oneLine(result.failure_code) : '';
  const evaluationId = oneLine(String(result.evaluation_id ?? ''));
  const issues = cleanIssues(result.top_issues);

  const facts = [
    fact('Status', status),
    failureCode ? fact('Failure code', failureCode) : '',
    result.error ? fact('Error', `${oneLine(String(result.error.code ?? 'error'))}: ${oneLine(String(result.error.message ?? ''))}`) : '',
    fact('Evaluation', evaluationId || '—'),
    fact('Cost', oneLine(String(result.cost ?? '')) || '—'),
    runsFact(result, reportThreshold),
    Array.isArray(result.previous_ids) && result.previous_ids.length > 0
      ? fact('Earlier attempts', result.previous_ids.map((id) => oneLine(String(id))).join(', '))
      : '',
  ];

  const sections = [
    issues.length > 0
      ? `<section><h3>Top issues</h3><ul data-testid="top-issues">${issues.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul></section>`
      : '',
    renderJudges(evaluation?.judges, verdict !== 'PASS'),
    renderGateFailures(evaluation?.gate_failures),
    renderAction(evaluation?.action),
  ].filter(Boolean);

  return [
    `<article class="card ${badge.css}" data-testid="result-row" data-index="${index}" data-verdict="${badge.label}" ` +
      `data-score="${score === null ? '' : escapeHtml(String(score))}" data-threshold="${escapeHtml(String(threshold))}" ` +
      `data-image="${escapeHtml(shownImage)}" data-evaluation-id="${escapeHtml(evaluationId)}"${baselineAttributes(result)}>`,
    `<div class="thumb" data-testid="thumbnail">${renderThumbnail(thumbnail, image)}</div>`,
    '<div class="body">',
    `<h2 data-testid="image">${escapeHtml(shownImage)}</h2>`,
    `<p class="verdict-line"><span class="badge ${badge.css}" data-testid="verdict" title="${escapeHtml(badge.explain)}">${badge.label}</span> ` +
      `<span data-testid="reason">${escapeHtml(describeResult(result, reportThreshold))}</span></p>`,
    renderScoreBar(score, threshold, spreadText(result, reportThreshold)),
    renderChange(result, reportThreshold),
    `<dl class="facts">${facts.filter(Boolean).join('')}</dl>`,
    ...sections,
    '</div>',
    '</article>',
  ].join('\n');
}

/** With --runs: how many, the spread, and each run's score in run order. */
function runsFact(result: GateResult, reportThreshold: number): string {
  if (!Array.isArray(result.runs) || result.runs.length < 2) return '';
  const threshold = effectiveThreshold(result, reportThreshold);
  const scores = result.runs.map((r) => (r && typeof r === 'object' && typeof r.weighted_pass_rate === 'number' ? formatScore(r.weighted_pass_rate, threshold) : '—'));
  const spread = spreadText(result, reportThreshold);
  return fact('Runs', `${result.runs.length}${spread ? ` (spread ${spread})` : ''}: ${scores.join(', ')}`);
}

/** `data-delta` and `data-regressed` on a card when the gate ran with --baseline. */
function baselineAttributes(result: GateResult): string {
  if (result.baseline === undefined) return '';
  const delta = typeof result.delta === 'number' ? String(result.delta) : '';
  return ` data-delta="${escapeHtml(delta)}" data-change="${escapeHtml(changeCell(result))}" data-regressed="${result.regressed === true ? 'true' : 'false'}"`;
}

function renderChange(result: GateResult, reportThreshold: number): string {
  const text = changeText(result, reportThreshold);
  if (!text) return '';
  const regressed = result.regressed === true;
  const badge = regressed ? '<span class="badge fail" data-testid="regressed">REGRESSED</span> ' : '';
  return `<p class="change${regressed ? ' regression' : ''}" data-testid="change">${badge}${escapeHtml(text)}</p>`;
}

/** A bar for the score with a mark at the threshold; widths are numbers we compute, never input. */
function renderScoreBar(score: number | null, threshold: number, spread = ''): string {
  const percent = (value: number) => (Math.min(1, Math.max(0, value)) * 100).toFixed(1);
  const label = `score ${formatScore(score, threshold)}${spread ? `, runs ${spread}` : ''} (threshold ${formatThreshold(threshold)})`;
  const fill = score === null ? '' : `<div class="fill ${score >= threshold ? 'ok' : 'low'}" style="width:${percent(score)}%"></div>`;
  return (
    `<div class="score" data-testid="score"><span>${escapeHtml(label)}</span>` +
    `<div class="bar" role="img" aria-label="${escapeHtml(label)}">${fill}<div class="mark" style="left:${percent(threshold)}%"></div></div></div>`
  );
}

function cell(value: unknown): string {
  if (value === null || value === undefined || value === '') return '<td>—</td>';
  return `<td>${escapeHtml(stripControl(String(value)))}</td>`;
}

function renderJudges(judges: Judge[] | null | undefined, open: boolean): string {
  if (!Array.isArray(judges) || judges.length === 0) return '';
  const rows = judges
    .filter((j): j is Judge => !!j && typeof j === 'object')
    .map((j) => {
      const passed = j.passed === true ? 'yes' : j.passed === false ? 'no' : '—';
      const issues = Array.isArray(j.issues) ? j.issues.filter((i) => !!i && typeof i === 'object') : [];
      const issueList =
        issues.length === 0
          ? '—'
          : `<ul>${issues
              .map((i) => {
                const where = [i.category, i.subcategory].map((p) => oneLine(String(p ?? '')) || '—').join(' / ');
                return `<li><span class="where">${escapeHtml(where)}</span> ${escapeHtml(stripControl(String(i.detail ?? '')))}</li>`;
              })
              .join('')}</ul>`;
      return (
        `<tr data-testid="judge-row" data-passed="${passed}">` +
        `<td>${escapeHtml(oneLine(String(j.name ?? '')) || '(unnamed)')}</td>` +
        `<td class="${j.passed === false ? 'no' : ''}">${passed}</td>` +
        cell(j.weight) +
        cell(j.confidence) +
        `<td class="text">${escapeHtml(stripControl(String(j.reasoning ?? '')))}</td>` +
        `<td>${issueList}</td></tr>`
      );
    });
  return (
    `<details data-testid="judges"${open ? ' open' : ''}><summary>Judges (${rows.length})</summary>` +
    '<table><thead><tr><th>Judge</th><th>Passed</th><th>Weight</th><th>Confidence</th><th>Reasoning</th><th>Issues (category / subcategory / detail)</th></tr></thead>' +
    `<tbody>${rows.join('')}</tbody></table></details>`
  );
}

function renderGateFailures(failures: GateFailure[] | null | undefined): string {
  if (!Array.isArray(failures) || failures.length === 0) return '';
  const rows = failures
    .filter((f): f is GateFailure => !!f && typeof f === 'object')
    .map((f) => `<tr data-testid="gate-failure-row">${cell(f.module)}${cell(f.output_key)}${cell(f.reason)}</tr>`);
  return (
    '<section data-testid="gate-failures"><h3>Gate failures</h3>' +
    '<table><thead><tr><th>Module</th><th>Output</th><th>Reason</th></tr></thead>' +
    `<tbody>${rows.join('')}</tbody></table></section>`
  );
}

function renderAction(action: EvaluationAction | null | undefined): string {
  if (!action || typeof action !== 'object') return '';
  const parts: string[] = [];
  if (action.primary_action) parts.push(`<p>Suggested action: <strong>${escapeHtml(oneLine(String(action.primary_action)))}</strong></p>`);
  if (action.failure_summary) parts.push(`<p class="text">${escapeHtml(stripControl(String(action.failure_summary)))}</p>`);
  if (action.improved_prompt) {
    parts.push(`<h4>Improved prompt</h4><pre data-testid="improved-prompt">${escapeHtml(stripControl(String(action.improved_prompt)))}</pre>`);
  }
  return parts.length > 0 ? `<section data-testid="action"><h3>Action</h3>${parts.join('')}</section>` : '';
}
