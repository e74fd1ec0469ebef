import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';

describe('runflow-eval sandbox flags', () => {
  it.each([
    [['--workers', '0'], '--workers'],
    [['--rate', 'fast'], '--rate'],
    [['--max-inflight', '-1'], '--max-inflight'],
    [['--eval-time', '3s..1s'], '--eval-time'],
    [['--eval-time', '1s..2s..3s'], '--eval-time'],
  ])('%j exits 2 naming the flag, before listening', async (args, flag) => {
    const r = await runCli(['sandbox', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(flag);
    expect(r.stdout).toBe('');
  });

  it('--help lists the service models', async () => {
    const r = await runCli(['sandbox', '--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--workers', '--rate', '--max-inflight', '--eval-time']) expect(r.stdout).toContain(flag);
  });
});
