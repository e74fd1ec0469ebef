import type { Command } from 'commander';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import type { BaselineFlags } from '../gate/baseline-file.js';
import { DEFAULT_CONCURRENCY_CAP, type GateFlags } from '../gate/flags.js';
import type { ReportTargets } from '../gate/outputs.js';
import { addSubmitFlags } from '../evaluations/submit-flags.js';
import { DEFAULT_TIMEOUT } from '../evaluations/wait.js';
import { addProjectFileFlags, applyProjectSettings, loadProjectSettings } from '../project/apply.js';
import { action, withGlobals } from './define.js';

// The gate command's flags and subcommand; what they do lives in src/gate/ (gate-command.ts from
// flags to exit code, merge-command.ts for `gate merge`), loaded when the command runs.

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * `gate --threshold 0.9 merge …` would parse, but merge re-decides nothing: the shards' results
 * carry their own thresholds. A flag that would be ignored is refused instead.
 */
function refuseGateFlags(cmd: Command): void {
  const gate = cmd.parent;
  if (!gate) return;
  // --config/--no-config name the project file merge reads too: taken from either command.
  const globals = new Set(['json', 'baseUrl', 'org', 'sandbox', 'verbose', 'color', 'config']);
  const given = gate.options
    .filter((o) => !globals.has(o.attributeName()) && gate.getOptionValueSource(o.attributeName()) === 'cli')
    .map((o) => o.long ?? o.flags);
  if (given.length) {
    throw new UsageError(`gate merge does not take ${given.join(', ')}`, {
      hint: 'merge takes the shards\' documents and --json, --json-file, --junit, --report; the shards\' results keep the thresholds they were judged by',
    });
  }
}

function addBaselineFlags(cmd: Command): Command {
  return cmd
    .option('--baseline <file>', "compare with an earlier gate's --json document (e.g. the main branch's)")
    .option('--max-drop <d>', 'a score that fell by more than this (0.0-1.0), or a pass that became a fail, is a regression (exit 1)')
    .option('--max-mean-drop <d>', 'the most the mean score over matched images may fall (0.0-1.0)');
}

function addReportFlags(cmd: Command): Command {
  return cmd
    .option('--all', 'list every image in the table (a gate of more than 50 lists only those that did not pass)')
    .option('--json-file <file>', 'also write the --json document to this file')
    .option('--junit <file>', 'write a JUnit XML report (one testcase per image)')
    .option('--report <file.html>', 'write a self-contained HTML report');
}

export function registerGate(program: Command, ctx: Context): void {
  const gate = withGlobals(program.command('gate'))
    .enablePositionalOptions()
    .description('submit images, wait for every verdict, and exit non-zero unless all pass (the CI quality gate)')
    .argument('[image...]', 'images: https:// URLs, runflow://assets/<uuid>, data: URIs, local files, or folders of images');
  addSubmitFlags(gate, { perImageKey: false })
    .option('--idempotency-key <key>', 'Idempotency-Key of a gate that submits one image; over several, each image gets <key>-<part of its content key>')
    .option('--manifest <file>', 'JSON array or JSON Lines of {image, task_type?, prompt?, ...}; - for stdin')
    .option('--id <uuid>', 'gate an evaluation that already exists (repeatable)', collect)
    .option('--threshold <x>', 'minimum weighted_pass_rate, 0.0-1.0 (default 0: verdict only)')
    .option('--concurrency <n>', `most evaluations submitted and unfinished at once (default ${DEFAULT_CONCURRENCY_CAP}; lowered automatically when the service refuses more)`)
    .option('--retry-failed <n>', 'resubmissions of a transiently failed evaluation (dispatch_failed, timed_out)', '1')
    .option('--timeout <duration>', 'deadline for the whole gate', DEFAULT_TIMEOUT)
    .option('--interval <duration>', 'fixed time between polls (default: adaptive)')
    .option('--shard <i/n>', 'take a deterministic slice i of n of the inputs (CI matrices)')
    .option('--dry-run', 'check every input, print the plan and its price, send nothing')
    .option('--max-cost <amount>', 'refuse before sending when price × new evaluations exceeds this')
    .option('--max-failures <n>', 'stop submitting once this many images have failed or errored (the rest are not_submitted)')
    .option('--no-balance-check', 'do not read the balance before submitting')
    .option('--runs <n>', 'evaluate each submitted image n times (1-5) and judge the aggregate (default 1)')
    .option('--aggregate <how>', 'how the runs\' scores combine: median, mean or min (default median)')
    .option('--runs-within <m>', 'spend the further runs only on images whose first score is within m of their threshold')
    .option('--quiet', 'no progress on stderr (a spinner on a terminal, a line every 10 s in logs)')
    .addHelpText(
      'after',
      `
Examples:
  $ runflow-eval gate renders/ --task-type product_photo --threshold 0.8
  $ runflow-eval gate 'renders/**/*.png' --task-type product_photo --junit junit.xml --report gate.html
  $ runflow-eval gate --manifest images.jsonl --json-file results.json --shard 2/4
  $ runflow-eval gate renders/ --task-type product_photo --baseline main-gate.json --max-drop 0.05 --runs 3 --runs-within 0.05
  $ runflow-eval gate merge results/shard-*.json --junit junit.xml
  $ runflow-eval gate                    # settings from runflow-eval.config.yaml (see: runflow-eval init)
  $ runflow-eval gate fixtures --sandbox --task-type demo     # no key, no network`,
    );
  addProjectFileFlags(addReportFlags(addBaselineFlags(gate))).action(
    action(ctx, async (images: string[], flags: GateFlags) => {
      // The project file sits under the flags (SPEC §2); its keys are this command's flags.
      const project = applyProjectSettings(ctx, gate, await loadProjectSettings(ctx, gate, flags.config), flags, images);
      try {
        const { runGateCommand } = await import('../gate/gate-command.js');
        return await runGateCommand(ctx, project.images, project.flags, project.imagesFrom);
      } catch (err) {
        throw project.attribute(err);
      }
    }),
  );

  const merge = addProjectFileFlags(addReportFlags(addBaselineFlags(withGlobals(gate.command('merge')))))
    .description('combine the --json results of gate shards and exit as one gate would (an image named merge: ./merge)')
    .argument('<file...>', 'gate --json documents')
    .action(
      action(ctx, async (files: string[], flags: ReportTargets & BaselineFlags & { config?: string | false }, cmd: Command) => {
        // `gate --config X merge …` puts the flag on gate (positional options): it counts the same.
        const config = merge.getOptionValueSource('config') === 'cli' ? flags.config : gate.getOptionValueSource('config') === 'cli' ? (gate.getOptionValue('config') as string | false) : flags.config;
        const project = applyProjectSettings(ctx, merge, await loadProjectSettings(ctx, gate, config), flags, []);
        try {
          refuseGateFlags(cmd);
          const { runMergeCommand } = await import('../gate/merge-command.js');
          return await runMergeCommand(ctx, files, project.flags);
        } catch (err) {
          throw project.attribute(err);
        }
      }),
    );
}
