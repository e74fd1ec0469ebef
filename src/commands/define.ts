import type { Command } from 'commander';
import type { Context, GlobalOptions } from '../context.js';

// What every command module needs to declare itself. Kept apart from program.ts, which loads the
// commands: a command importing program.ts closed a cycle through the catalog.

/** Adds the flags every command takes (SPEC §3) so they work after the command name too. */
export function withGlobals(cmd: Command): Command {
  return cmd
    .option('--json', 'print one JSON document on stdout')
    .option('--base-url <url>', 'API base URL (default https://api.runflow.io)')
    .option('--org <id>', 'organization id (sent as X-Organization-Id)')
    .option('--sandbox', 'run against the built-in local API (no key, no network)')
    .option('--verbose', 'log requests, responses and retries on stderr')
    .option('--no-color', 'plain output, no colour or spinner');
}

/**
 * Wraps a command's action: records the global flags on the context, runs the command and
 * stores the exit code it returns. Errors propagate to main(), the one place that maps them.
 */
export function action<A extends unknown[]>(
  ctx: Context,
  run: (...args: A) => Promise<number | void>,
): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const cmd = args[args.length - 1] as Command;
    // commander's optsWithGlobals lets the root's defaults win over the command's own flags, so
    // `gate … --no-color` read as colour on (the root's negatable default): merge from the root
    // down instead, the command's own values last, and any --no-color anywhere turning colour off.
    const chain: Command[] = [];
    for (let c: Command | null = cmd; c; c = c.parent) chain.unshift(c);
    const all: Partial<GlobalOptions> = {};
    for (const c of chain) {
      for (const [key, value] of Object.entries(c.opts())) if (value !== undefined && key !== 'color') (all as Record<string, unknown>)[key] = value;
    }
    all.color = !chain.some((c) => c.opts().color === false);
    ctx.globals = {
      json: Boolean(all.json),
      baseUrl: all.baseUrl,
      org: all.org,
      sandbox: Boolean(all.sandbox),
      verbose: Boolean(all.verbose),
      color: all.color !== false,
    };
    const code = await run(...(args as A));
    ctx.exitCode = typeof code === 'number' ? code : 0;
  };
}
