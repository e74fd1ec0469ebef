import fs from 'node:fs/promises';
import path from 'node:path';
import type { Context } from '../context.js';
import { CliError, InterruptedError, UsageError, errorDocument } from '../errors.js';
import { ExitCode, worstExitCode, type ExitCodeValue } from '../exit-codes.js';
import type { GateReport, GateResultExtra } from './types.js';

export interface ReportTargets {
  jsonFile?: string;
  junit?: string;
  report?: string;
}

const LIMIT_SUMMARY_BYTES = 1024 * 1024;

/**
 * Checked before anything is sent: a report that cannot be written after a paid run would lose
 * the results. Missing parent folders are created (CI jobs often write to reports/…).
 */
export async function prepareReportTargets(targets: ReportTargets): Promise<void> {
  const entries: Array<[string, string | undefined]> = [
    ['--json-file', targets.jsonFile],
    ['--junit', targets.junit],
    ['--report', targets.report],
  ];
  if (targets.report && !/\.html?$/i.test(targets.report)) {
    // The report is an HTML page; writing it to out.pdf would hand a reader an unopenable file.
    throw new UsageError(`--report ${targets.report}: the report is an HTML page; give a file name ending in .html`);
  }
  for (const [flag, file] of entries) {
    if (!file) continue;
    const dir = path.dirname(path.resolve(file));
    try {
      await fs.mkdir(dir, { recursive: true });
      const stat = await fs.stat(path.resolve(file)).catch(() => undefined);
      if (stat?.isDirectory()) throw new UsageError(`${flag} ${file} is a folder; give a file path`);
      await fs.access(dir, fs.constants.W_OK);
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw new UsageError(`${flag} ${file}: cannot write there (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
}

/**
 * Writes every requested report; a failure to write one does not hide the others. A report the
 * user asked for that could not be written is an error, not a warning: CI would pass the step and
 * only a later step would find the file missing. The gate's own result still stands and is
 * printed; the run ends with the worse of its exit code and 5 (`error` says which file), and the
 * `--json-file` document, written last, and the `--json` one carry that exit code.
 */
export async function writeReports(
  ctx: Context,
  report: GateReport,
  extras: GateResultExtra[] | undefined,
  targets: ReportTargets,
): Promise<{ report: GateReport; error?: CliError }> {
  const failures: string[] = [];
  const gateExitCode = report.exit_code;
  const jobs: Array<[string, string | undefined, () => Promise<string> | string]> = [
    ['--junit', targets.junit, async () => (await import('../report/junit.js')).renderJUnit(report, extras)],
    ['--report', targets.report, async () => (await import('../report/html.js')).renderHtml(report, extras)],
    ['--json-file', targets.jsonFile, () => JSON.stringify(report, null, 2) + '\n'],
  ];
  for (const [flag, file, render] of jobs) {
    if (!file) continue;
    try {
      await fs.writeFile(file, await render());
      // Named at the end, so a CI log says where to find each report.
      ctx.err(`wrote ${file} (${flag.slice(2)})`);
    } catch (err) {
      failures.push(`${flag} ${file}: ${(err as Error).message}`);
      report = { ...report, exit_code: worstExitCode([report.exit_code, ExitCode.Api]) };
    }
  }
  if (ctx.githubActions) await writeGitHubOutputs(ctx, report, extras);
  if (!failures.length) return { report };
  const error = new CliError(`could not write ${failures.length === 1 ? 'a requested report' : `${failures.length} requested reports`}: ${failures[0]}`, {
    exitCode: report.exit_code as ExitCodeValue,
    code: 'REPORT_NOT_WRITTEN',
    lines: failures.slice(1),
    details: { files: failures, gate_exit_code: gateExitCode },
    hint: `the gate itself ${gateExitCode === 0 ? 'passed' : `ended with exit ${gateExitCode}`} (its results are printed above); fix the path and rerun the same gate: evaluations already made are read back, not paid again`,
    resultPrinted: ctx.globals.json,
  });
  return { report, error };
}

/**
 * A gate that ends in an error with no results to report (the service unreachable, the key
 * refused, the balance or --max-cost too low) still leaves its `--json-file`: the error document
 * `--json` prints, so a CI step that keeps the file, and `gate merge` reading it, say what
 * happened instead of finding nothing. Best effort: the error itself is what the run reports.
 */
export async function writeErrorDocument(ctx: Context, jsonFile: string | undefined, err: unknown): Promise<void> {
  if (!jsonFile || !(err instanceof CliError) || err.resultPrinted) return;
  // An interrupt ends 130, or 143 after SIGTERM, as main() reports it.
  const exitCode = err instanceof InterruptedError ? ctx.interruptExitCode : err.exitCode;
  const doc = errorDocument({ code: err.code, message: err.message, status: err.status, exitCode, details: err.details });
  try {
    await fs.writeFile(jsonFile, JSON.stringify(doc, null, 2) + '\n');
    ctx.err(`wrote ${jsonFile} (json-file: the error)`);
  } catch {
    // The error being reported matters more than the file that could not hold it.
  }
}

async function writeGitHubOutputs(ctx: Context, report: GateReport, extras: GateResultExtra[] | undefined): Promise<void> {
  const { githubAnnotations, githubStepSummary } = await import('../report/github.js');
  // Workflow commands go to stderr: the runner reads them there too, and stdout stays data.
  for (const line of githubAnnotations(report, extras, { workspace: ctx.env.GITHUB_WORKSPACE, cwd: process.cwd() })) ctx.err(line);
  const summaryFile = ctx.env.GITHUB_STEP_SUMMARY;
  if (!summaryFile) return;
  try {
    let summary = githubStepSummary(report, extras);
    if (Buffer.byteLength(summary) > LIMIT_SUMMARY_BYTES) summary = summary.slice(0, LIMIT_SUMMARY_BYTES - 1024) + '\n\n(truncated)\n';
    await fs.appendFile(summaryFile, summary.endsWith('\n') ? summary : summary + '\n');
    ctx.err(`wrote the step summary to ${summaryFile}`);
  } catch (err) {
    ctx.err(`warning: could not append to GITHUB_STEP_SUMMARY: ${(err as Error).message}`);
  }
}
