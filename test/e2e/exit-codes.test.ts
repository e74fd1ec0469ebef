/**
 * The exit-code contract (SPEC §4) of the built binary against the fake API over real HTTP, with
 * the stdout/stderr split (§5) each case implies. Every run is also checked by `start` for leaked
 * keys, ANSI escapes, spinners and stack traces.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_JOB_CLASSES } from '../helpers/fake-api.js';
import { image, submitted, useFakeApi } from './fake-api-setup.js';
import { PACKAGE_VERSION, SECRET_KEY, parseJsonDocument, run } from './spawn.js';

const fake = useFakeApi();

describe('exit codes of the built binary', () => {
  it('0: price prints the table, and --json prints the API response unchanged', async () => {
    const human = await run(['price'], { env: fake.env });
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('standard');
    expect(human.stdout).toContain('0.4');

    const json = await run(['price', '--json'], { env: fake.env });
    expect(json.code).toBe(0);
    expect(parseJsonDocument(json.stdout)).toEqual(DEFAULT_JOB_CLASSES);

    // The child really is the node under test, and sent the key only where it belongs.
    const request = fake.api.find('GET', '/v1/evaluations/job-classes')[0];
    expect(request.headers['user-agent']).toBe(`runflow-eval/${PACKAGE_VERSION} node/${fake.childNodeVersion.replace(/^v/, '')}`);
    expect(request.headers.authorization).toBe(`Bearer ${SECRET_KEY}`);
  });

  it('1: gate with one image below the bar; --json keeps the input order', async () => {
    const inputs = [image('good-1'), image('bad-2'), image('good-3')];
    const r = await run(['gate', ...inputs, '--task-type', 'e2e', '--json'], { env: fake.env });
    expect(r.code).toBe(1);
    const doc = parseJsonDocument(r.stdout);
    expect(doc).toMatchObject({ passed: false, exit_code: 1, counts: { total: 3, passed: 2, failed: 1 } });
    expect(doc.results.map((x: { image: string }) => x.image)).toEqual(inputs);
    expect(doc.results.map((x: { passed: boolean }) => x.passed)).toEqual([true, false, true]);

    const human = await run(['gate', ...inputs, '--task-type', 'e2e'], { env: fake.env });
    expect(human.code).toBe(1);
    for (const input of inputs) expect(human.stdout).toContain(input);
  });

  it('2: an unknown flag or a bad value is refused before any request', async () => {
    const flag = await run(['price', '--no-such-flag'], { env: fake.env });
    expect(flag.code).toBe(2);
    expect(flag.stdout).toBe('');
    expect(flag.stderr).toContain('--no-such-flag');

    const value = await run(['submit', image('good'), '--task-type', 'e2e', '--run-id', 'not-a-uuid', '--json'], { env: fake.env });
    expect(value.code).toBe(2);
    expect(parseJsonDocument(value.stdout).error.exit_code).toBe(2);
    expect(value.stderr).toContain('--run-id');
    expect(fake.api.requests).toHaveLength(0);
  });

  it('3: submit --wait on an evaluation that ends failed prints its failure_code', async () => {
    const r = await run(['submit', image('broken'), '--task-type', 'e2e', '--wait'], { env: fake.env });
    expect(r.code).toBe(3);
    expect(r.stdout + r.stderr).toContain('invalid_media');
  });

  it('4: a key the API refuses (401), and no key at all', async () => {
    const refused = await run(['price'], { env: { ...fake.env, RUNFLOW_API_KEY: 'rf_live_WRONG999' } });
    expect(refused.code).toBe(4);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/^error: /m);
    expect(refused.stdout + refused.stderr).not.toContain('rf_live_WRONG999');

    const missing = await run(['price'], { env: { RUNFLOW_BASE_URL: fake.api.url } });
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain('RUNFLOW_API_KEY');
    expect(missing.stderr).toContain('runflow-eval login');
  });

  it('5: an API error (404 on get); --json puts the error document on stdout, the message on stderr', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    const human = await run(['get', id], { env: fake.env });
    expect(human.code).toBe(5);
    expect(human.stdout).toBe('');
    expect(human.stderr).toMatch(/^error: /m);

    const json = await run(['get', id, '--json'], { env: fake.env });
    expect(json.code).toBe(5);
    expect(parseJsonDocument(json.stdout).error).toMatchObject({ status: 404, exit_code: 5 });
    expect(json.stderr).toMatch(/^error: /m);
  });

  it('6: wait past its deadline names the id, and --json prints the last record seen', async () => {
    const id = await submitted(fake, image('slow'));
    const human = await run(['wait', id, '--timeout', '1s'], { env: fake.env });
    expect(human.code).toBe(6);
    expect(human.stderr).toContain(id);

    const json = await run(['wait', id, '--timeout', '1s', '--json'], { env: fake.env });
    expect(json.code).toBe(6);
    const record = parseJsonDocument(json.stdout);
    expect(record.id).toBe(id);
    expect(['pending', 'running']).toContain(record.status_code);
  });
});

