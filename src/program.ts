import { Command, Option } from './commander.js';
import type { Context } from './context.js';
import { EXIT_CODE_TABLE, GATE_PRECEDENCE } from './exit-codes.js';
import { VERSION } from './version.js';
import { CATALOG, targetCommands } from './commands/catalog.js';
import { action, withGlobals } from './commands/define.js';
import { UsageError } from './errors.js';

export interface ProgramOptions {
  /** The arguments of this run: only the command they name is loaded. */
  argv?: readonly string[];
  /** Load every command (shell completion walks the whole tree). */
  all?: boolean;
}

/**
 * A fresh commander program per run, with output routed through the context's IO. Only the
 * command this run needs is loaded in full; the others are placeholders with their name,
 * arguments and description, which is all the top-level help shows.
 */
export async function createProgram(ctx: Context, opts: ProgramOptions = {}): Promise<Command> {
  const program = new Command('runflow-eval');
  program
    .description('Evaluate generated images with the Runflow evaluations API, and gate CI on the verdicts.')
    .version(VERSION, '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.io.stdout.write(s),
      writeErr: (s) => ctx.io.stderr.write(s),
      outputError: (s, write) => write(s),
    })
    .showSuggestionAfterError(true)
    // A subcommand's flags belong to it (`gate merge a.json --junit x` is merge's --junit, not
    // gate's); every command repeats the global flags, so they still work anywhere.
    .enablePositionalOptions()
    .helpCommand(false)
    // Defaults are shown one way, `(default 10m)`, whether commander knows the value or the
    // description says it; inherited by every command created below.
    .configureHelp({ optionDescription: describeOption })
    .addHelpText('after', '\nRun `runflow-eval help exit-codes` for the exit codes, `runflow-eval <command> --help` for a command.');
  withGlobals(program);

  const targets = targetCommands(opts.argv ?? []);
  const all = opts.all || CATALOG.some((c) => c.loadsAll && targets.includes(c.name));
  const wanted = new Set(all ? CATALOG.map((c) => c.name) : [...targets, ...CATALOG.filter((c) => targets.includes(c.name)).flatMap((c) => c.loadsAlso ?? [])]);
  for (const entry of CATALOG) {
    if (wanted.has(entry.name)) (await entry.load())(program, ctx);
    else {
      const placeholder = program.command(entry.name).description(entry.summary);
      if (entry.args) placeholder.arguments(entry.args);
    }
  }

  // Takes the global flags like every command (SPEC §3): `help exit-codes --json` prints the table
  // as one JSON document, and a command's help under --json is one document holding the text.
  withGlobals(program.command('help'))
    .description('show help for a command, or `help exit-codes` for the exit-code table')
    .argument('[topic]', 'a command name, or exit-codes')
    .action(action(ctx, async (topic: string | undefined) => {
      if (topic === 'exit-codes') {
        if (ctx.globals.json) ctx.json(exitCodesDocument());
        else ctx.out(formatExitCodes());
        return 0;
      }
      const target = topic ? program.commands.find((c) => c.name() === topic) : undefined;
      if (topic && !target) throw new UsageError(`unknown help topic '${topic}'`, { hint: 'give a command name, or exit-codes' });
      const shown = target ?? program;
      if (ctx.globals.json) ctx.json({ topic: topic ?? null, help: shown.helpInformation() });
      else shown.outputHelp();
      return 0;
    }));

  for (const cmd of program.commands) applyInherited(cmd);
  return program;
}

function applyInherited(cmd: Command): void {
  globalsLast(cmd);
  for (const sub of cmd.commands) {
    sub.exitOverride();
    applyInherited(sub);
  }
}

const GLOBAL_FLAGS = new Set(['--json', '--base-url', '--org', '--sandbox', '--verbose', '--no-color']);

/**
 * A command's help lists what it does first: its own flags, then the flags every command takes
 * under their own heading (they were added first, so commander would list them first).
 */
function globalsLast(cmd: Command): void {
  const options = cmd.options as Option[];
  const globals = options.filter((o) => o.long !== undefined && GLOBAL_FLAGS.has(o.long));
  // A command with no flags of its own lists the global ones as its options.
  if (!globals.length || globals.length === options.length) return;
  for (const option of globals) option.helpGroup('Global options:');
  options.splice(0, options.length, ...options.filter((o) => !globals.includes(o)), ...globals);
}

/** An option's help text with its default in one form, `(default X)`. */
function describeOption(option: Option): string {
  const text = option.description.replace(/\(default: /g, '(default ');
  if (/\(default\b/.test(text)) return text;
  const value = option.defaultValueDescription ?? (option.defaultValue !== undefined && typeof option.defaultValue !== 'boolean' ? String(option.defaultValue) : undefined);
  return value === undefined || value === '' ? text : `${text} (default ${value})`;
}

/** The exit-code table as data: `help exit-codes --json`. */
function exitCodesDocument(): { exit_codes: Array<{ code: number; meaning: string }>; gate_precedence: number[] } {
  return {
    exit_codes: EXIT_CODE_TABLE.map(({ code, meaning }) => ({ code, meaning: meaning.replace(/`/g, '') })),
    gate_precedence: [...GATE_PRECEDENCE],
  };
}

export function formatExitCodes(): string {
  const lines = ['code  meaning'];
  for (const { code, meaning } of EXIT_CODE_TABLE) lines.push(`${String(code).padEnd(4)}  ${meaning.replace(/`/g, '')}`);
  lines.push('', 'gate over many images exits with the first of 130, 2, 4, 5, 6, 3, 1, 0 that applies.');
  return lines.join('\n');
}

