/**
 * `completion bash|zsh|fish`: a shell completion script generated from the live commander tree,
 * so a flag added to a command is completed without anyone remembering to update a script.
 */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { completionScript } from '../completion/script.js';
import { BIN, SHELLS, type Shell } from '../completion/tree.js';
import { action, withGlobals } from './define.js';

export function registerCompletion(program: Command, ctx: Context): void {
  withGlobals(program.command('completion'))
    .description('print a shell completion script (bash, zsh or fish)')
    .argument('<shell>', SHELLS.join(' | '))
    .addHelpText(
      'after',
      `\nInstall:\n  bash: mkdir -p ~/.local/share/bash-completion/completions && ${BIN} completion bash > ~/.local/share/bash-completion/completions/${BIN}\n  zsh:  mkdir -p ~/.zfunc && ${BIN} completion zsh > ~/.zfunc/_${BIN}   (fpath=(~/.zfunc $fpath) before compinit)\n  fish: ${BIN} completion fish > ~/.config/fish/completions/${BIN}.fish`,
    )
    .action(
      action(ctx, async (shell: string) => {
        const chosen = shell.trim().toLowerCase();
        if (!(SHELLS as readonly string[]).includes(chosen)) {
          throw new UsageError(`unknown shell ${JSON.stringify(shell)}: choose one of ${SHELLS.join(', ')}`);
        }
        // `program` is the root: the catalog marks this command `loadsAll`, so every command
        // is registered in full by the time this runs (no import of program.ts, no cycle).
        const script = completionScript(chosen as Shell, program);
        // --json prints one JSON document, as everywhere: the script is its string value.
        if (ctx.globals.json) ctx.json({ shell: chosen, script });
        else ctx.out(script);
        return 0;
      }),
    );
}
