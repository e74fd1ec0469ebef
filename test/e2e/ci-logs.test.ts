/**
 * What a CI log shows of the built binary when stderr is not a TTY (SPEC §3 "gate": progress, the
 * unreachable service): never minutes of silence, and one message when nothing can connect.
 */
import net from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireBuild, run } from './spawn.js';

beforeAll(() => {
  requireBuild();
});

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('gate under CI=true against an unreachable service', () => {
  it('prints plain progress lines while it retries, stops after the first input, and exits 5 with one message', async () => {
    const images = Array.from({ length: 40 }, (_, i) => `https://images.example.com/shot-${i}.png`);
    const started = Date.now();
    const r = await run(['gate', ...images, '--task-type', 'e2e'], {
      env: { CI: 'true', RUNFLOW_API_KEY: 'k', RUNFLOW_BASE_URL: `http://127.0.0.1:${await closedPort()}` },
      killAfterMs: 80_000,
    });
    const took = Date.now() - started;
    expect(r.code).toBe(5);
    // Five attempts of one input (about 15 s of backoff), not five of each of 40 (about 90 s).
    expect(took).toBeLessThan(60_000);
    const progress = r.stderr.split('\n').filter((l) => /^gate: \d+\/40 done, \d+ passed, \d+ in flight, \S+ elapsed$/.test(l));
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(r.stderr.match(/^error: /gm)).toHaveLength(1);
    expect(r.stderr).toMatch(/cannot be reached.*ECONNREFUSED.*stopped without trying the other 39 inputs/);
    expect(r.stdout).toBe('');
  }, 90_000);
});
