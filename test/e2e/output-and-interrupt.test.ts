/**
 * What a script or a terminal sees from the built binary beyond exit codes: one JSON document on
 * stdout, diagnostics on stderr with the key masked (SPEC §2, §5), and Ctrl-C handling (§3, §4).
 */
import { describe, expect, it } from 'vitest';
import { image, submitted, useFakeApi } from './fake-api-setup.js';
import { SECRET_KEY, parseJsonDocument, run, start, waitUntil } from './spawn.js';

const fake = useFakeApi();

describe('output of the built binary', () => {
  it('--json get is the evaluation record alone on stdout; progress stays off both streams', async () => {
    const id = await submitted(fake, image('good'));
    await waitUntil(() => fake.api.evaluation(id)?.status_code === 'completed', 'the evaluation completes');
    const r = await run(['get', id, '--json'], { env: fake.env });
    expect(r.code).toBe(0);
    const record = parseJsonDocument(r.stdout);
    expect(record).toMatchObject({ id, status_code: 'completed', overall_passed: true });
    expect(r.stderr).toBe('');
  });

  it('--verbose logs requests on stderr with the key masked', async () => {
    const r = await run(['price', '--verbose'], { env: fake.env, allowStackTrace: true });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Bearer ***');
    expect(r.stdout).not.toContain('Bearer');
  });

  it('under GitHub Actions the key is masked first, on stderr, and appears nowhere else', async () => {
    const r = await run(['price', '--json'], { env: { ...fake.env, GITHUB_ACTIONS: 'true' }, allowAddMask: true });
    expect(r.code).toBe(0);
    expect(r.stderr.split('\n')[0]).toBe(`::add-mask::${SECRET_KEY}`);
    parseJsonDocument(r.stdout);
  });
});

describe('Ctrl-C on the built binary', () => {
  it('wait exits 130 and names the id', async () => {
    const id = await submitted(fake, image('slow'));
    const polls = () => fake.api.find('GET', `/v1/evaluations/${id}`).length;
    const child = start(['wait', id], { env: fake.env });
    // Signal once the CLI is demonstrably waiting, not at a guessed moment of its start-up.
    await waitUntil(() => polls() >= 1, 'wait polls the evaluation', child);
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.child.kill('SIGINT');
    const r = await child.done;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain(id);
  });

  it('gate exits 130, prints the document with --json, and lists the submitted ids on stderr', async () => {
    const inputs = [image('slow-a'), image('slow-b')];
    const child = start(['gate', ...inputs, '--task-type', 'e2e', '--json'], { env: fake.env });
    await waitUntil(() => fake.api.evaluations.size === 2, 'gate submits both images', child);
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.child.kill('SIGINT');
    const r = await child.done;
    expect(r.code).toBe(130);
    const doc = parseJsonDocument(r.stdout);
    expect(doc.exit_code).toBe(130);
    expect(doc.results.map((x: { image: string }) => x.image)).toEqual(inputs);
    for (const id of fake.api.evaluations.keys()) expect(r.stderr).toContain(id);
  });
});

describe('SIGTERM on the built binary (a CI runner cancelling the job)', () => {
  it('gate stops as on Ctrl-C, labels the unfinished results, and exits 143', async () => {
    const inputs = [image('slow-t1'), image('slow-t2')];
    const child = start(['gate', ...inputs, '--task-type', 'e2e', '--json', '--concurrency', '1'], { env: fake.env });
    await waitUntil(() => fake.api.evaluations.size === 1, 'gate submits the first image', child);
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.child.kill('SIGTERM');
    const r = await child.done;
    expect(r.code).toBe(143);
    const doc = parseJsonDocument(r.stdout);
    expect(doc.exit_code).toBe(143);
    expect(doc.results.map((x: { status_code: string }) => x.status_code)).toEqual(['interrupted', 'not_submitted']);
    expect(doc.counts.interrupted).toBe(2);
    for (const id of fake.api.evaluations.keys()) expect(r.stderr).toContain(id);
  });

  it('wait exits 143', async () => {
    const id = await submitted(fake, image('slow'));
    const child = start(['wait', id], { env: fake.env });
    await waitUntil(() => fake.api.find('GET', `/v1/evaluations/${id}`).length >= 1, 'wait polls the evaluation', child);
    child.child.kill('SIGTERM');
    const r = await child.done;
    expect(r.code).toBe(143);
  });
});
