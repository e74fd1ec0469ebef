/**
 * `completion bash|zsh|fish`: a shell completion script generated from the live commander tree,
 * so a flag added to a command is completed without anyone remembering to update a script.
 */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { CONFIG_KEYS } from '../config/store.js';
import { UsageError } from '../errors.js';
import { action, withGlobals } from './define.js';
import { stripControl } from '../util/text.js';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

const BIN = 'runflow-eval';

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

function allNodes(root: CompletionNode): CompletionNode[] {
  return [root, ...root.subcommands.flatMap(allNodes)];
}

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

// ---- shared pieces ------------------------------------------------------------------------------

/** `'path --flag'|'path -f'` patterns of every option that takes a value, for a `case`. */
function valueOptionPatterns(nodes: CompletionNode[], quote: (s: string) => string): string[] {
  return nodes.flatMap((n) => n.options.filter((o) => o.takesValue).flatMap((o) => o.names.map((name) => quote(`${n.path} ${name}`))));
}

/** `'parent/child'` patterns: a word that moves the walk one level down. */
function subcommandPatterns(nodes: CompletionNode[], quote: (s: string) => string): string[] {
  return nodes.flatMap((n) => n.subcommands.map((s) => quote(s.path)));
}

function singleQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function words(list: string[]): string {
  return list.join(' ');
}

// ---- bash ---------------------------------------------------------------------------------------

function bashScript(root: CompletionNode): string {
  const nodes = allNodes(root);
  const valueOpts = valueOptionPatterns(nodes, singleQuote);
  const subs = subcommandPatterns(nodes, singleQuote);
  const cases = nodes.map((n) => {
    const flags = n.options.flatMap((o) => o.names);
    return [
      `    ${singleQuote(n.path)})`,
      `      candidates=${singleQuote(words([...n.subcommands.map((s) => s.name), ...n.values]))}`,
      `      flags=${singleQuote(words(flags))}`,
      `      files=${n.files ? 1 : 0}`,
      '      ;;',
    ].join('\n');
  });
  return `# bash completion for ${BIN} (generated by \`${BIN} completion bash\`)
# Install: mkdir -p ~/.local/share/bash-completion/completions && ${BIN} completion bash > ~/.local/share/bash-completion/completions/${BIN}
#      or: echo 'source <(${BIN} completion bash)' >> ~/.bashrc

# Succeeds when word $2 after command path $1 is an option whose value comes next.
_runflow_eval_takes_value() {
  case "$1 $2" in
    ${valueOpts.join('|\\\n    ') || "''"}) return 0 ;;
  esac
  return 1
}

# File names matching $1, one per line so names with spaces stay whole.
_runflow_eval_files() {
  local IFS=$'\\n'
  compopt -o filenames 2>/dev/null
  COMPREPLY+=($(compgen -f -- "$1"))
}

_runflow_eval() {
  local cur prev cmd_path i w candidates flags files
  COMPREPLY=()
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"

  # Which (sub)command the cursor is in: walk the words before it, skipping flags and their values.
  cmd_path=${BIN}
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    case "$w" in -*) continue ;; esac
    _runflow_eval_takes_value "$cmd_path" "\${COMP_WORDS[i-1]}" && continue
    case "$cmd_path/$w" in
      ${subs.join('|\\\n      ') || "''"}) cmd_path="$cmd_path/$w" ;;
    esac
  done

  if [[ "$cur" != -* ]] && _runflow_eval_takes_value "$cmd_path" "$prev"; then
    _runflow_eval_files "$cur"
    return 0
  fi

  candidates='' flags='' files=0
  case "$cmd_path" in
${cases.join('\n')}
  esac

  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
    return 0
  fi
  COMPREPLY=($(compgen -W "$candidates" -- "$cur"))
  if [[ "$files" == 1 ]]; then _runflow_eval_files "$cur"; fi
  return 0
}

complete -o default -F _runflow_eval ${BIN}
`;
}

// ---- zsh ----------------------------------------------------------------------------------------

/** `name:description` for zsh's _describe, where a colon in the name must be escaped. */
function describeItem(name: string, description: string): string {
  return singleQuote(`${name.replace(/:/g, '\\:')}:${description}`);
}

function zshScript(root: CompletionNode): string {
  const nodes = allNodes(root);
  const valueOpts = valueOptionPatterns(nodes, singleQuote);
  const subs = subcommandPatterns(nodes, singleQuote);
  const cases = nodes.map((n) => {
    const subItems = n.subcommands.map((s) => describeItem(s.name, s.description));
    const flagItems = n.options.flatMap((o) => o.names.map((name) => describeItem(name, o.description)));
    return [
      `    (${singleQuote(n.path)})`,
      `      subs=(${subItems.join(' ')})`,
      `      flags=(${flagItems.join(' ')})`,
      `      vals=(${n.values.map(singleQuote).join(' ')})`,
      `      files=${n.files ? 1 : 0}`,
      '      ;;',
    ].join('\n');
  });
  return `#compdef ${BIN}
# zsh completion for ${BIN} (generated by \`${BIN} completion zsh\`)
# Install: mkdir -p ~/.zfunc && ${BIN} completion zsh > ~/.zfunc/_${BIN}
#          with fpath=(~/.zfunc $fpath) before compinit in ~/.zshrc; then start a new shell
#      or: echo 'source <(${BIN} completion zsh)' >> ~/.zshrc   (after compinit)

_runflow_eval_takes_value() {
  case "$1 $2" in
    (${valueOpts.join('|') || "''"}) return 0 ;;
  esac
  return 1
}

_runflow_eval() {
  local cmd_path=${BIN} w i files=0 ret=1
  local -a subs flags vals

  # Which (sub)command the cursor is in: walk the words before it, skipping flags and their values.
  for (( i = 2; i < CURRENT; i++ )); do
    w=\${words[i]}
    [[ $w == -* ]] && continue
    _runflow_eval_takes_value "$cmd_path" "\${words[i-1]}" && continue
    case "$cmd_path/$w" in
      (${subs.join('|') || "''"}) cmd_path="$cmd_path/$w" ;;
    esac
  done

  if [[ \${words[CURRENT]} != -* ]] && _runflow_eval_takes_value "$cmd_path" "\${words[CURRENT-1]}"; then
    _files
    return
  fi

  case "$cmd_path" in
${cases.join('\n')}
  esac

  if [[ \${words[CURRENT]} == -* ]]; then
    _describe -t options 'option' flags && ret=0
    return ret
  fi
  (( \${#subs} )) && _describe -t commands 'command' subs && ret=0
  (( \${#vals} )) && compadd -a vals && ret=0
  (( files )) && _files && ret=0
  return ret
}

if [[ "\${zsh_eval_context[-1]}" == loadautofunc ]]; then
  _runflow_eval "$@"
else
  compdef _runflow_eval ${BIN}
fi
`;
}

// ---- fish ---------------------------------------------------------------------------------------

function fishScript(root: CompletionNode): string {
  const nodes = allNodes(root);
  const valueOpts = valueOptionPatterns(nodes, singleQuote);
  const subs = subcommandPatterns(nodes, singleQuote);
  const lines: string[] = [];
  for (const n of nodes) {
    const at = singleQuote(`__runflow_eval_at ${n.path}`);
    for (const s of n.subcommands) {
      lines.push(`complete -c ${BIN} -n ${at} -f -a ${singleQuote(s.name)} -d ${singleQuote(s.description)}`);
    }
    for (const v of n.values) lines.push(`complete -c ${BIN} -n ${at} -f -a ${singleQuote(v)}`);
    if (n.files) lines.push(`complete -c ${BIN} -n ${at} -F`);
    for (const o of n.options) {
      const spellings = o.names.map((name) => (name.startsWith('--') ? `-l ${name.slice(2)}` : `-s ${name.slice(1)}`));
      const value = o.takesValue ? ' -r -F' : '';
      lines.push(`complete -c ${BIN} -n ${at} ${spellings.join(' ')}${value} -d ${singleQuote(o.description)}`);
    }
  }
  return `# fish completion for ${BIN} (generated by \`${BIN} completion fish\`)
# Install: ${BIN} completion fish > ~/.config/fish/completions/${BIN}.fish

function __runflow_eval_takes_value
    switch "$argv[1] $argv[2]"
        case ${valueOpts.join(' ') || "''"}
            return 0
    end
    return 1
end

# The (sub)command the cursor is in, e.g. ${BIN}/config/get.
function __runflow_eval_path
    set -l tokens (commandline -opc)
    set -l cmd_path ${BIN}
    set -l prev ''
    for w in $tokens[2..-1]
        if not string match -q -- '-*' $w; and not __runflow_eval_takes_value $cmd_path $prev
            switch "$cmd_path/$w"
                case ${subs.join(' ') || "''"}
                    set cmd_path "$cmd_path/$w"
            end
        end
        set prev $w
    end
    echo $cmd_path
end

function __runflow_eval_at
    test (__runflow_eval_path) = $argv[1]
end

complete -c ${BIN} -f
${lines.join('\n')}
`;
}

// ---- command ------------------------------------------------------------------------------------

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
