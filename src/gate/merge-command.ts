import fs from 'node:fs/promises';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { loadBaseline, type BaselineFlags } from './baseline-file.js';
import { mergeReports } from './merge.js';
import { prepareReportTargets, type ReportTargets } from './outputs.js';
import { printReport } from './print-report.js';

/** `gate merge FILE...`: the shards' --json documents read, merged and reported as one gate. */
export async function runMergeCommand(ctx: Context, files: string[], flags: ReportTargets & BaselineFlags & { all?: boolean }): Promise<number> {
  const baseline = await loadBaseline(flags);
  await prepareReportTargets(flags);
  const docs = [];
  for (const file of files) {
    try {
      docs.push({ name: file, text: await fs.readFile(file, 'utf8') });
    } catch (err) {
      throw new UsageError(`${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  const report = mergeReports(docs, { warn: (line) => ctx.err(`warning: ${line}`), baseline });
  return printReport(ctx, report, undefined, flags);
}
