import type { Command } from 'commander';
import { bashScript } from './bash.js';
import { fishScript } from './fish.js';
import { completionTree, type Shell } from './tree.js';
import { zshScript } from './zsh.js';

/** The completion script of one shell for this program. */
export function completionScript(shell: Shell, program: Command): string {
  const tree = completionTree(program);
  switch (shell) {
    case 'bash':
      return bashScript(tree);
    case 'zsh':
      return zshScript(tree);
    case 'fish':
      return fishScript(tree);
  }
}
