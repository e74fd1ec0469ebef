import { constants } from 'node:fs';
import { access, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { PACKAGE_PROP, SEARCH_PLACES } from '../project/discover.js';
import { action, withGlobals } from './define.js';

/**
 * `runflow-eval init`: writes a commented starter project file (SPEC §2 "Project file") in the
 * working folder and prints the CI step that uses it, so setting up the gate is one edit and one
 * line in a workflow.
 */

export const STARTER_FILE = 'runflow-eval.config.yaml';

/** The CI step on stdout: one GitHub Actions step, as YAML that works pasted as it is, the key from the CI's secrets. */
export const CI_STEP = '- { name: Quality gate, run: npx --yes runflow-eval gate, env: { RUNFLOW_API_KEY: "${{ secrets.RUNFLOW_API_KEY }}" } }';

const STARTER = `# runflow-eval project file: the quality gate's settings for this repository.
# \`runflow-eval gate\` finds it from this folder or any folder below it (up to the folder
# holding .git). Keys are the gate's flags without the dashes; a flag on the command line wins.
# Never put the API key here: give it as RUNFLOW_API_KEY (a CI secret) or with \`runflow-eval login\`.

# What kind of generation produced the images (1-100 characters).
task-type: product_photo

# Minimum weighted_pass_rate from 0.0 to 1.0 (0: the verdict alone decides).
threshold: 0.8

# The images to gate: paths, folders or glob patterns, relative to this file.
images:
  - renders/**/*.png

# The generation prompt and what the judges should prioritise or ignore.
# prompt: studio lighting, white seamless background
# instructions: ignore the watermark

# Input attributes (any JSON values) and up to 4 reference images, as in a manifest.
# attr:
#   aspect_ratio: "1:1"
# refs:
#   - image: brand/reference.png
#     kind: product
#     description: the product to match

# Refuse to start a run that would cost more than this.
# max-cost: 25

# Reports for CI (folders are created).
json-file: reports/gate.json
junit: reports/junit.xml
report: reports/gate.html
`;

async function exists(file: string): Promise<boolean> {
  return access(file, constants.F_OK).then(
    () => true,
    () => false,
  );
}

/** A project file already in the folder, which the new one would shadow or be shadowed by. */
async function existingProjectFile(dir: string): Promise<string | undefined> {
  for (const place of SEARCH_PLACES) {
    const file = path.join(dir, place);
    if (!(await exists(file))) continue;
    if (place !== 'package.json') return place;
    try {
      const pkg = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
      if (pkg && typeof pkg === 'object' && PACKAGE_PROP in pkg) return `package.json ("${PACKAGE_PROP}" key)`;
    } catch {
      // a package.json that does not parse holds no settings of ours
    }
  }
  return undefined;
}

export function registerInit(program: Command, ctx: Context): void {
  withGlobals(program.command('init'))
    .description('write a commented starter project file (runflow-eval.config.yaml) and print the CI step that uses it')
    .action(
      action(ctx, async () => {
        const existing = await existingProjectFile(ctx.cwd);
        if (existing) {
          throw new UsageError(`this folder already has a project file: ${existing}`, { hint: 'edit it, or remove it first to start over' });
        }
        const file = path.join(ctx.cwd, STARTER_FILE);
        try {
          await writeFile(file, STARTER, { flag: 'wx' });
        } catch (err) {
          throw new UsageError(`${file}: cannot write it (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
        }
        if (ctx.globals.json) {
          ctx.json({ file, ci_step: CI_STEP });
          return 0;
        }
        ctx.err(`Wrote ${STARTER_FILE}: set task-type and images, then add this step to your CI job:`);
        ctx.out(CI_STEP);
        return 0;
      }),
    );
}
