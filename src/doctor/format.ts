/** `doctor`'s output: one aligned line per check, and the exit code of the worst failure. */
import type { ChalkInstance } from 'chalk';
import { ExitCode, worstExitCode } from '../exit-codes.js';
import { oneLine } from '../util/text.js';
import type { CheckResult } from './checks.js';

export function doctorExitCode(checks: CheckResult[]): number {
  const codes = checks.filter((c) => c.status === 'fail').map((c) => c.exit_code ?? ExitCode.Api);
  return codes.length === 0 ? ExitCode.Success : worstExitCode(codes);
}

/** Aligned so the output reads as a table and greps by status: `FAIL  key valid  …`. */
export function formatCheck(check: CheckResult, nameWidth: number, c: ChalkInstance): string {
  const label = check.status.toUpperCase().padEnd(4);
  const painted = check.status === 'pass' ? c.green(label) : check.status === 'warn' ? c.yellow(label) : c.red(label);
  const lines = [`${painted}  ${check.name.padEnd(nameWidth)}  ${oneLine(check.detail, 1000)}`];
  if (check.fix) lines.push(`${' '.repeat(6)}fix: ${oneLine(check.fix, 1000)}`);
  return lines.join('\n');
}

export const NAME_WIDTH = 'job class price'.length;
