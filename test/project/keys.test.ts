import { describe, expect, it } from 'vitest';
import { Command } from '../../src/commander.js';
import { Context } from '../../src/context.js';
import { PER_RUN, projectKeys } from '../../src/project/keys.js';
import { readProjectSettings } from '../../src/project/settings.js';
import { createProgram } from '../../src/program.js';
import { memoryIO } from '../helpers/memory-io.js';

/** The project file's keys come from the gate's own flags, so a flag added to the gate is a key. */

async function gateCommand() {
  const program = await createProgram(new Context(memoryIO(), {}), { argv: ['gate'] });
  return program.commands.find((c) => c.name() === 'gate')!;
}

describe('project file keys', () => {
  it('every flag of the gate is a key, but the per-run ones; the image arguments are "images"', async () => {
    const gate = await gateCommand();
    const names = projectKeys(gate).map((k) => k.name);
    const flags = gate.options.map((o) => o.long!.replace(/^--/, '')).filter((n) => !PER_RUN.has(n));
    expect(names).toEqual(['images', ...flags.map((n) => (n === 'ref' ? 'refs' : n))]);
    for (const key of ['task-type', 'threshold', 'refs', 'attr', 'manifest', 'junit', 'report', 'json-file', 'concurrency', 'timeout', 'base-url', 'org']) expect(names).toContain(key);
    for (const key of ['dry-run', 'json', 'sandbox', 'config', 'no-config']) expect(names).not.toContain(key);
  });

  it('a flag the key table has never heard of still becomes a key, typed by its definition', () => {
    const cmd = new Command('gate')
      .argument('[image...]')
      .option('--max-widgets <n>', 'a new limit')
      .option('--no-frobnicate', 'turn it off')
      .option('--widget-file <file>', 'a new report');
    const keys = Object.fromEntries(projectKeys(cmd).map((k) => [k.name, k]));
    expect(keys['max-widgets']).toMatchObject({ kind: 'scalar', attribute: 'maxWidgets', target: 'flag' });
    expect(keys['no-frobnicate']).toMatchObject({ kind: 'boolean', negate: true, attribute: 'frobnicate' });
    expect(keys['widget-file']).toMatchObject({ kind: 'path' });
    const settings = readProjectSettings({ file: '/repo/runflow-eval.config.json', cwd: '/repo', knownApiKeys: [], keys: projectKeys(cmd), data: { 'max-widgets': 3, 'no-frobnicate': true, 'widget-file': 'out/w.txt' } });
    expect(settings.entries.map((e) => [e.key.name, e.value])).toEqual([
      ['max-widgets', '3'],
      ['no-frobnicate', true],
      ['widget-file', '/repo/out/w.txt'],
    ]);
  });

  it('types the flags of baselines, repeats and spend limits as SPEC §3 gives them, once the gate has them', () => {
    const cmd = new Command('gate')
      .option('--baseline <file>')
      .option('--max-drop <d>')
      .option('--max-mean-drop <d>')
      .option('--runs <n>')
      .option('--aggregate <how>')
      .option('--runs-within <m>')
      .option('--max-failures <n>')
      .option('--no-balance-check');
    const kinds = Object.fromEntries(projectKeys(cmd).map((k) => [k.name, k.kind]));
    expect(kinds).toEqual({
      baseline: 'path',
      'max-drop': 'number',
      'max-mean-drop': 'number',
      runs: 'integer',
      aggregate: 'text',
      'runs-within': 'number',
      'max-failures': 'integer',
      'no-balance-check': 'boolean',
    });
  });
});
