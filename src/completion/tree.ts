/**
 * The commander tree as completion scripts need it: every command's options, subcommands and the
 * words its arguments take, read from the live program so a new flag is completed without anyone
 * remembering to update a script.
 */
import type { Command } from 'commander';
import { CONFIG_KEYS } from '../config/store.js';
import { stripControl } from '../util/text.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

export const BIN = 'runflow-eval';

export interface CompletionOption {
  /** Every spelling: `--json`, or `-V` and `--version`. */
  names: string[];
  /** Takes a value (`--task-type <t>`), so the next word is that value, not a command. */
  takesValue: boolean;
  description: string;
}

/** One command of the tree, flattened; `path` is `runflow-eval/config/get`. */
export interface CompletionNode {
  path: string;
  name: string;
  description: string;
  options: CompletionOption[];
  subcommands: CompletionNode[];
  /** Fixed words its arguments accept (config keys, shell names, help topics). */
  values: string[];
  /** Its arguments are files (images, manifests, reports). */
  files: boolean;
}

/** Arguments whose names say they are files get file-name completion. */
const FILE_ARGUMENT = /image|file|path|manifest/i;

/** Words for arguments that commander knows only as free text. */
function argumentValues(path: string, rootNames: string[]): string[] {
  switch (path) {
    case `${BIN}/config/get`:
    case `${BIN}/config/unset`:
      return [...CONFIG_KEYS];
    case `${BIN}/config/set`:
      return CONFIG_KEYS.filter((k) => k !== 'api-key'); // refused: `login` is the way
    case `${BIN}/completion`:
      return [...SHELLS];
    case `${BIN}/help`:
      return [...rootNames.filter((n) => n !== 'help'), 'exit-codes'];
    default:
      return [];
  }
}

function firstLine(text: string): string {
  return stripControl(text).split('\n')[0]!.trim();
}

/** Walks the program: options (help included, hidden ones left out), subcommands and arguments. */
export function completionTree(program: Command): CompletionNode {
  const rootNames = program.commands.map((c) => c.name());
  const walk = (cmd: Command, path: string): CompletionNode => {
    const options: CompletionOption[] = [];
    for (const opt of cmd.options) {
      if (opt.hidden) continue;
      const names = [opt.short, opt.long].filter((n): n is string => Boolean(n));
      options.push({ names, takesValue: opt.required || opt.optional, description: firstLine(opt.description) });
    }
    options.push({ names: ['-h', '--help'], takesValue: false, description: 'show help' });
    const args = cmd.registeredArguments;
    const choices = args.flatMap((a) => a.argChoices ?? []);
    return {
      path,
      name: cmd.name(),
      description: firstLine(cmd.description()),
      options,
      subcommands: cmd.commands.map((sub) => walk(sub, `${path}/${sub.name()}`)),
      values: [...choices, ...argumentValues(path, rootNames)],
      files: args.some((a) => !a.argChoices && FILE_ARGUMENT.test(a.name())),
    };
  };
  return walk(program, BIN);
}

export function allNodes(root: CompletionNode): CompletionNode[] {
  return [root, ...root.subcommands.flatMap(allNodes)];
}
