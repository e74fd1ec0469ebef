import type { Context } from '../context.js';
import { writeReports, type ReportTargets } from './outputs.js';
import type { GateReport, GateResultExtra } from './types.js';

/**
 * Where a finished gate's report goes: the files asked for (--json-file, --junit, --report), then
 * stdout as the --json document or the table. Returns the gate's exit code.
 */
export async function printReport(ctx: Context, report: GateReport, extras: GateResultExtra[] | undefined, flags: ReportTargets & { all?: boolean }): Promise<number> {
  await writeReports(ctx, report, extras, flags);
  if (ctx.globals.json) ctx.json(report);
  else {
    const { renderGateTable } = await import('../report/summary-table.js');
    ctx.out(renderGateTable(report, { color: ctx.color, columns: ctx.io.columns, all: flags.all }));
  }
  return report.exit_code;
}
