/**
 * A figure is one row of the table: the measured value, the baseline measured in the same run,
 * their ratio, the goal and whether it holds. Values are numbers in a stated unit; the table
 * formats them, the JSON file keeps them raw.
 *
 * @typedef {{
 *   id: string,
 *   figure: string,
 *   unit: 'ms' | 's' | 'MB' | 'MB/s' | 'ops/s' | 'count',
 *   value: number,
 *   baseline: number | null,
 *   baselineLabel: string,
 *   ratio: number | null,
 *   goal: string,
 *   ok: boolean | null,
 *   runs: number,
 *   samples?: number[],
 *   notes?: string,
 * }} Figure
 */

function fmt(value, unit) {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  switch (unit) {
    case 'ms':
      return `${Math.round(value)} ms`;
    case 's':
      return `${value.toFixed(2)} s`;
    case 'MB':
      return `${value.toFixed(1)} MB`;
    case 'MB/s':
      return `${value.toFixed(0)} MB/s`;
    case 'ops/s':
      return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ops/s`;
    default:
      return Number.isInteger(value) ? String(value) : value.toFixed(2);
  }
}

function pad(text, width) {
  return text + ' '.repeat(Math.max(0, width - text.length));
}

/** The table as plain text (stable, greppable), plus notes under it. */
export function renderTable(figures) {
  const header = ['figure', 'value', 'baseline (same run)', 'ratio', 'goal', 'holds', 'runs'];
  const rows = figures.map((f) => [
    f.figure,
    fmt(f.value, f.unit),
    f.baseline === null ? f.baselineLabel : `${fmt(f.baseline, f.unit)} ${f.baselineLabel}`.trim(),
    f.ratio === null || Number.isNaN(f.ratio) ? '—' : `${f.ratio.toFixed(2)}×`,
    f.goal,
    f.ok === null ? 'info' : f.ok ? 'yes' : 'NO',
    String(f.runs),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => pad(c, widths[i])).join('  ').trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const r of rows) out.push(line(r));
  const notes = figures.filter((f) => f.notes).map((f) => `  ${f.figure}: ${f.notes}`);
  if (notes.length) out.push('', 'notes:', ...notes);
  return out.join('\n');
}
