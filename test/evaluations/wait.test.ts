import { beforeEach, describe, expect, it } from 'vitest';
import { memoryIO } from '../helpers/memory-io.js';
import { fastClock, runCli } from '../helpers/run-cli.js';
import { useFakeApi } from '../helpers/use-fake-api.js';

// `wait` throws its deadline and its interruption; main() prints them, with the one --json error document.
const fake = useFakeApi();
beforeEach(() => {
  fake.api.setOutcome(() => ({ durationMs: Infinity }));
});

async function submitted(): Promise<string> {
  const r = await runCli(['submit', 'https://example.com/a.png', '--task-type', 't'], fake.env);
  expect(r.code).toBe(0);
  return r.stdout.trim();
}

describe('wait past its deadline', () => {
  it('prints the last record seen as the one --json document, no error document', async () => {
    const id = await submitted();
    const r = await runCli(['wait', id, '--timeout', '300ms', '--json'], fake.env, { clock: fastClock() });
    expect(r.code).toBe(6);
    const doc = JSON.parse(r.stdout);
    expect(doc.id).toBe(id);
    expect(doc.error).toBeUndefined();
    expect(r.stderr).toMatch(new RegExp(`^error: evaluation ${id} is still (pending|running) after `, 'm'));
    expect(r.stderr).toContain(`hint: run \`runflow-eval wait ${id}\` again later, or raise --timeout`);
  });

  it('prints the error document when no record was seen (every poll failed)', async () => {
    const id = await submitted();
    fake.api.fault({ method: 'GET', path: `/v1/evaluations/${id}`, status: 503, times: 1000 });
    const r = await runCli(['wait', id, '--timeout', '300ms', '--json'], fake.env, { clock: fastClock() });
    expect(r.code).toBe(6);
    expect(JSON.parse(r.stdout)).toEqual({
      error: { code: 'TIMEOUT', message: expect.stringContaining(`evaluation ${id} is still unknown after`), status: null, exit_code: 6, details: { ids: [id] } },
    });
    expect(r.stderr).toMatch(/^error: evaluation .* is still unknown after/m);
  });
});

describe('wait interrupted', () => {
  it('says how to resume, exits 130, and under --json prints the error document with the id', async () => {
    const id = await submitted();
    const io = memoryIO();
    const run = runCli(['wait', id, '--json'], fake.env, { io });
    while (fake.api.find('GET', `/v1/evaluations/${id}`).length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    io.interrupt();
    const r = await run;
    expect(r.code).toBe(130);
    expect(JSON.parse(r.stdout)).toEqual({
      error: { code: 'INTERRUPTED', message: `interrupted; evaluation ${id} keeps running on the server`, status: null, exit_code: 130, details: { ids: [id] } },
    });
    expect(r.stderr).toContain(`interrupted; evaluation ${id} keeps running on the server\nresume with: runflow-eval wait ${id}\n`);
    expect(r.stderr).not.toMatch(/^error:/m);
  });
});
