/**
 * The whole CLI with no key and no network: `--sandbox` on a command, and the standalone
 * `sandbox` server that other tools (and this CLI) talk to over HTTP (SPEC §9).
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_VERSION, parseJsonDocument, requireBuild, run, start, waitUntil } from './spawn.js';

beforeAll(() => {
  requireBuild();
});

interface GateResult {
  image: string;
  failure_code?: string | null;
  evaluation_id?: string | null;
  passed: boolean;
  status_code: string;
  top_issues: string[] | null;
}

describe('--sandbox', () => {
  it('gates the demo fixtures: good.png passes, blurry.png and dark.png fail on sharpness and exposure, the text file named .png fails unsent', async () => {
    const r = await run(['gate', 'fixtures', '--sandbox', '--task-type', 'demo', '--json']);
    expect(r.code).toBe(3);
    const doc = parseJsonDocument(r.stdout);
    expect(doc.exit_code).toBe(3);
    const byName = new Map<string, GateResult>(doc.results.map((x: GateResult) => [path.basename(x.image), x]));
    // A folder means the files named as images directly inside it, in name order; a broken one
    // (not-an-image.png holds text) is an invalid_media result, never sent.
    expect([...byName.keys()]).toEqual([...byName.keys()].sort());
    expect(byName.get('not-an-image.png')).toMatchObject({ passed: false, status_code: 'failed', failure_code: 'invalid_media', evaluation_id: null });

    expect(byName.get('good.png')).toMatchObject({ status_code: 'completed', passed: true });
    const blurry = byName.get('blurry.png')!;
    expect(blurry).toMatchObject({ status_code: 'completed', passed: false });
    expect(blurry.top_issues?.join(' ')).toMatch(/blur|sharp/i);
    const dark = byName.get('dark.png')!;
    expect(dark).toMatchObject({ status_code: 'completed', passed: false });
    expect(dark.top_issues?.join(' ')).toMatch(/expos|dark/i);
  });

  it('needs no key, and a passing image exits 0 with a plain, greppable row', async () => {
    const r = await run(['gate', 'fixtures/good.png', '--sandbox', '--task-type', 'demo']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('fixtures/good.png');
  });
});

describe('sandbox (standalone)', () => {
  it('prints its URL on stdout, serves the API to other processes, and stops cleanly on SIGINT with 130 (SPEC §4)', async () => {
    const server = start(['sandbox', '--port', '0'], { killAfterMs: 30_000 });
    try {
      await waitUntil(() => /\n/.test(server.stdout), 'the sandbox prints its URL', server);
      const url = server.stdout.trim();
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

      const health = await fetch(`${url}/v1/health`);
      expect(health.status).toBe(200);
      await health.body?.cancel();

      // Any bearer key is accepted, so the CLI itself can be pointed at it.
      const price = await run(['price', '--json'], { env: { RUNFLOW_BASE_URL: url, RUNFLOW_API_KEY: 'sandbox' } });
      expect(price.code).toBe(0);
      parseJsonDocument(price.stdout);

      server.child.kill('SIGINT');
      const r = await server.done;
      expect(r.code).toBe(130);
      expect(r.stdout.trim()).toBe(url);
      expect(r.stderr).toContain('sandbox stopped');
    } finally {
      // A failed check must not leave the server running until the kill timer.
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
    }
  });

  it('stops cleanly on SIGTERM (a CI job ending its background sandbox) and exits 143, as §4 says of interrupts', async () => {
    const server = start(['sandbox', '--port', '0'], { killAfterMs: 30_000 });
    try {
      await waitUntil(() => /\n/.test(server.stdout), 'the sandbox prints its URL', server);
      server.child.kill('SIGTERM');
      const r = await server.done;
      expect(r.code).toBe(143);
      expect(r.stderr).toContain('sandbox stopped');
      expect(r.stderr).not.toMatch(/error|bug/i);
    } finally {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
    }
  });
});

describe('--version', () => {
  it('prints the version from package.json', async () => {
    const r = await run(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(PACKAGE_VERSION);
  });
});

describe('sandbox --port', () => {
  it('a port already in use exits 2 saying so, not as an internal bug', async () => {
    const net = await import('node:net');
    const busy = net.createServer();
    const port = await new Promise<number>((resolve) => busy.listen(0, '127.0.0.1', () => resolve((busy.address() as { port: number }).port)));
    try {
      const r = await run(['sandbox', '--port', String(port)]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`--port ${port}: port in use`);
      expect(r.stderr).not.toMatch(/bug/);
      expect(r.stdout).toBe('');
    } finally {
      busy.close();
    }
  });
});
