import type { Command } from 'commander';
import type { Context } from '../context.js';

type Register = (program: Command, ctx: Context) => void;

export interface CatalogEntry {
  name: string;
  /** Arguments as shown in usage, e.g. `<id>`; the real command declares them too. */
  args: string;
  /** The command's description, the same string its module registers (a test checks it). */
  summary: string;
  /** Loads the module that registers the command with all its options. */
  load: () => Promise<Register>;
  /** The command reads the whole tree (shell completion): a run of it loads every command. */
  loadsAll?: boolean;
  /** Commands whose full definitions this one reads (`config list` checks a project file against the gate's flags). */
  loadsAlso?: readonly string[];
}

/**
 * Every top-level command, in the order help lists them. A run loads only the module of the
 * command it runs: the other commands stay one-line placeholders, enough for `--help`, `--version`
 * and "did you mean" suggestions. Importing every command module costs more start-up time than
 * Node itself takes to boot.
 */
export const CATALOG: readonly CatalogEntry[] = [
  { name: 'price', args: '', summary: 'list evaluation job classes and their prices', load: async () => (await import('./price.js')).registerPrice },
  { name: 'get', args: '<id>', summary: 'show one evaluation: status, verdict, score, issues, judges and suggested action', load: async () => (await import('./get.js')).registerGet },
  { name: 'submit', args: '<image>', summary: 'submit an image for evaluation; prints the evaluation id', load: async () => (await import('./submit.js')).registerSubmit },
  { name: 'wait', args: '<id>', summary: 'poll an evaluation until it is completed or failed', load: async () => (await import('./wait.js')).registerWait },
  { name: 'upload', args: '<file...>', summary: 'upload local images (three-step presigned flow); prints one runflow://assets/<uuid> per file', load: async () => (await import('./upload.js')).registerUpload },
  { name: 'gate', args: '[image...]', summary: 'submit images, wait for every verdict, and exit non-zero unless all pass (the CI quality gate)', load: async () => (await import('./gate.js')).registerGate },
  { name: 'feedback', args: '<id>', summary: 'set or clear your feedback on an evaluation', load: async () => (await import('./feedback.js')).registerFeedback },
  { name: 'login', args: '', summary: 'store an API key read from standard input, after checking it with GET /v1/auth/me', load: async () => (await import('./credentials.js')).registerLogin },
  { name: 'logout', args: '', summary: 'remove the stored API key', load: async () => (await import('./credentials.js')).registerLogout },
  { name: 'config', args: '', summary: 'show and change settings (the key is set with `login`)', load: async () => (await import('./config.js')).registerConfig, loadsAlso: ['gate'] },
  { name: 'init', args: '', summary: 'write a commented starter project file (runflow-eval.config.yaml) and print the CI step that uses it', load: async () => (await import('./init.js')).registerInit },
  { name: 'doctor', args: '', summary: 'check the setup: Node.js, config file, project file, key, base URL, proxy, API reachability, key scopes, price and balance', load: async () => (await import('./doctor.js')).registerDoctor, loadsAlso: ['gate'] },
  { name: 'sandbox', args: '', summary: 'run the built-in local Runflow API in the foreground (prints its base URL)', load: async () => (await import('./sandbox.js')).registerSandbox },
  { name: 'verify-signature', args: '', summary: 'check a callback body on stdin against its Runflow-Signature (exit 0 valid, 1 invalid)', load: async () => (await import('./verify-signature.js')).registerVerifySignature },
  { name: 'completion', args: '<shell>', summary: 'print a shell completion script (bash, zsh or fish)', load: async () => (await import('./completion.js')).registerCompletion, loadsAll: true },
];

/** Global flags that take a value, so their value is not mistaken for the command name. */
const VALUE_FLAGS = new Set(['--base-url', '--org']);

/** The top-level command argv asks for (and for `help X`, X), or undefined. */
export function targetCommands(argv: readonly string[]): string[] {
  const names = new Set(CATALOG.map((c) => c.name));
  const found: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') break;
    if (arg.startsWith('-')) {
      if (VALUE_FLAGS.has(arg)) i++;
      continue;
    }
    if (arg === 'help') {
      const next = argv[i + 1];
      if (next && names.has(next)) found.push(next);
      return found;
    }
    if (names.has(arg)) found.push(arg);
    return found;
  }
  return found;
}

