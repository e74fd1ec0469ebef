/**
 * The built binary on a pseudo-terminal nobody sized (0 columns, as `script`, `docker exec -t` or
 * some CI agents give): the spinner must not hang the command (ora divided by the 0 columns and
 * cleared lines forever, at full CPU).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, NODE, REPO, requireBuild } from './spawn.js';

const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

beforeAll(() => {
  requireBuild();
});

describe.skipIf(!hasScript)('on an unsized pseudo-terminal', () => {
  it('gate --sandbox finishes with its table and exit code', () => {
    const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const command = [NODE, BIN, 'gate', path.join(REPO, 'fixtures', 'good.png'), '--sandbox', '--task-type', 'tty'].map(quote).join(' ');
    // `stty cols 0` makes the size explicit wherever `script` would otherwise copy one from.
    const r = spawnSync('script', ['-qec', `stty cols 0 rows 0 2>/dev/null; ${command}`, '/dev/null'], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, TERM: 'xterm', RUNFLOW_CONFIG_DIR: '/nonexistent-rfe-config', RUNFLOW_CACHE_DIR: path.join(REPO, 'test-output', 'tty-cache') },
    });
    expect(r.error, 'the command hung on the pseudo-terminal').toBeUndefined();
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/1\/1 passed/);
  }, 40_000);
});
