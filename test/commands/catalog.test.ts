import { describe, expect, it } from 'vitest';
import { CATALOG, targetCommands } from '../../src/commands/catalog.js';
import { Context } from '../../src/context.js';
import { createProgram } from '../../src/program.js';
import { memoryIO } from '../helpers/memory-io.js';

describe('command catalog', () => {
  it('matches what each module registers (name, description, arguments)', async () => {
    const program = await createProgram(new Context(memoryIO(), {}), { all: true });
    for (const entry of CATALOG) {
      const cmd = program.commands.find((c) => c.name() === entry.name);
      expect(cmd, entry.name).toBeDefined();
      expect(cmd!.description()).toBe(entry.summary);
      const args = cmd!.registeredArguments.map((a) => (a.required ? `<${a.name()}${a.variadic ? '...' : ''}>` : `[${a.name()}${a.variadic ? '...' : ''}]`)).join(' ');
      expect(args, entry.name).toBe(entry.args);
    }
    const registered = program.commands.map((c) => c.name()).filter((n) => n !== 'help');
    expect(registered.sort()).toEqual(CATALOG.map((c) => c.name).sort());
  });

  it.each([
    [['get', 'x'], ['get']],
    [['--base-url', 'http://127.0.0.1:1', 'price'], ['price']],
    [['--org', 'gate', 'submit'], ['submit']],
    [['help', 'gate'], ['gate']],
    [['--version'], []],
    [['frobnicate'], []],
  ])('targetCommands(%j) = %j', (argv, expected) => {
    expect(targetCommands(argv)).toEqual(expected);
  });
});
