/**
 * The project file `gate` would read here (SPEC §2 "Project file"), as one of `doctor`'s checks.
 */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { CliError } from '../errors.js';
import { fail, pass, skipped, type CheckResult } from './checks.js';

/**
 * A file with an unknown key, a wrong type or a key in it stops every gate (exit 2), so the
 * preflight says so first. Its base URL and organization are applied to the context, so the
 * checks after it reach the API the gate will.
 *
 * @param doctor the doctor command (the file's base URL and organization are applied for it).
 * @param gate the gate command, whose options define the file's keys.
 * @param config `--config FILE`, or false for `--no-config`.
 */
export async function projectFileCheck(ctx: Context, doctor: Command, gate: Command | undefined, config: string | false | undefined): Promise<CheckResult> {
  const name = 'project file';
  if (config === false) return pass('project', name, 'ignored (--no-config)');
  if (!gate) return skipped('project', name, 'the gate command is not loaded');
  const { loadProjectSettings, applyProjectSettings } = await import('../project/apply.js');
  try {
    const project = await loadProjectSettings(ctx, gate, config);
    if (!project) return pass('project', name, `none found from ${ctx.cwd} up to the repository root (gate takes its settings from flags)`);
    applyProjectSettings(ctx, doctor, project, {}, []);
    const keys = project.entries.map((e) => e.key.name);
    return pass('project', name, `${project.file} (${keys.length ? `sets ${keys.join(', ')}` : 'sets nothing'})`);
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    return fail('project', name, err.exitCode, err.message, err.hint ?? 'fix the file, or run the gate with --no-config');
  }
}
