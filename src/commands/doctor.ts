/**
 * `doctor`: one preflight that answers "why doesn't it work here?" before a pipeline spends money.
 * Each check says pass, warn or fail, what it saw, and how to fix it; checks that need an earlier
 * one (the key, a reachable API) are skipped rather than piling timeouts on top of a known cause.
 * Nothing here prints the API key, not even a prefix.
 */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import type { CheckResult } from '../doctor/checks.js';
import { doctorExitCode, formatCheck, NAME_WIDTH } from '../doctor/format.js';
import { runChecks, type DoctorCommands } from '../doctor/run.js';
import { addProjectFileFlags } from '../project/apply.js';
import { action, withGlobals } from './define.js';
import { plural } from '../util/plural.js';

async function runDoctor(ctx: Context, commands: DoctorCommands): Promise<number> {
  const checks: CheckResult[] = [];
  const { palette } = await import('../render/style.js');
  const c = palette(ctx.color);
  await runChecks(ctx, (check) => {
    checks.push(check);
    // Printed as each check finishes, so a slow network check shows where it is waiting.
    if (!ctx.globals.json) ctx.out(formatCheck(check, NAME_WIDTH, c));
  }, commands);
  const exitCode = doctorExitCode(checks);
  if (ctx.globals.json) {
    ctx.json({ ok: exitCode === 0, exit_code: exitCode, checks });
  } else {
    const fails = checks.filter((c) => c.status === 'fail').length;
    const warns = checks.filter((c) => c.status === 'warn').length;
    ctx.out(fails === 0 && warns === 0 ? '\nall checks passed' : `\n${plural(fails, 'failure')}, ${plural(warns, 'warning')}`);
  }
  return exitCode;
}

export function registerDoctor(program: Command, ctx: Context): void {
  const doctor = addProjectFileFlags(withGlobals(program.command('doctor')))
    .description('check the setup: Node.js, config file, project file, key, base URL, proxy, API reachability, key scopes, price and balance')
    .action(
      action(ctx, (flags: { config?: string | false }) =>
        // The gate's full definition is loaded beside this command (the catalog's loadsAlso): its flags are the file's keys.
        runDoctor(ctx, { doctor, gate: program.commands.find((c) => c.name() === 'gate' && c.options.length > 0), config: flags.config }),
      ),
    );
}
