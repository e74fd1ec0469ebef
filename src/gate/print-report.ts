import type { Context } from '../context.js';
import { writeReports, type ReportTargets } from './outputs.js';
import type { GateReport, GateResultExtra } from './types.js';

/**
 * Where a finished gate's report goes: the files asked for (--json-file, --junit, --report), then
 * stdout as the --json document or the table. Returns the gate's exit code; throws (after
 * printing) when a requested report could not be written.
 */
export async function printReport(ctx: Context, decided: GateReport, extras: GateResultExtra[] | undefined, flags: ReportTargets & { all?: boolean }): Promise<number> {
  // A requested report that could not be written raises the exit code (the error after the results).
  const { report, error } = await writeReports(ctx, decided, extras, flags);
  if (ctx.globals.json) ctx.json(report);
  else {
    const { renderGateTable } = await import('../report/summary-table.js');
    ctx.out(renderGateTable(report, { color: ctx.color, columns: ctx.io.columns, all: flags.all }));
  }
  if (error) throw error;
  return report.exit_code;
}
