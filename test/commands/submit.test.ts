import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FakeApi } from '../helpers/fake-api.js';
import { fastClock, runCli, tempDir } from '../helpers/run-cli.js';
import { useFakeApi } from '../helpers/use-fake-api.js';

const fake = useFakeApi();
let api: FakeApi;
let env: Record<string, string>;
let dir: string;
let png: string;

beforeAll(async () => {
  dir = tempDir('rfe-img-');
  png = path.join(dir, 'image.png');
  await sharp({ create: { width: 64, height: 48, channels: 3, background: '#3366aa' } }).png().toFile(png);
});
beforeEach(() => ({ api, env } = fake));

const posts = () => api.find('POST', '/v1/evaluations');
const lastBody = () => JSON.parse(posts().at(-1)!.body);

describe('submit', () => {
  it('maps every flag to the request body', async () => {
    const r = await runCli(
      [
        'submit', 'https://example.com/a.png',
        '--task-type', 'headshot',
        '--task-description', 'LinkedIn headshot',
        '--prompt', 'studio lighting',
        '--instructions', 'ignore background',
        '--attr', 'style=corporate', '--attr', 'min_side:=256',
        '--ref', 'https://example.com/face.png::source_face::The person, to match',
        '--ref', 'https://example.com/b.png',
        '--run-id', '3c90c3cc-0d44-4b50-8888-8dd25736052a',
        '--client-ref', 'job-1',
        '--job-class', 'standard',
        '--callback-url', 'https://hooks.example.com/x',
      ],
      env,
    );
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^[0-9a-f-]{36}$/);
    expect(lastBody()).toEqual({
      generated_image_url: 'https://example.com/a.png',
      task_type: 'headshot',
      task_description: 'LinkedIn headshot',
      generation_prompt: 'studio lighting',
      evaluation_instructions: 'ignore background',
      input_attributes: { style: 'corporate', min_side: 256 },
      reference_images: [
        { url: 'https://example.com/face.png', kind: 'source_face', description: 'The person, to match' },
        { url: 'https://example.com/b.png' },
      ],
      run_id: '3c90c3cc-0d44-4b50-8888-8dd25736052a',
      client_ref: 'job-1',
      job_class: 'standard',
      callback_url: 'https://hooks.example.com/x',
    });
    expect(posts()[0].headers['idempotency-key']).toMatch(/^rfe-/);
  });

  it('sends a local PNG inline as a data: URI', async () => {
    const r = await runCli(['submit', png, '--task-type', 't'], env);
    expect(r.code).toBe(0);
    expect(lastBody().generated_image_url).toMatch(/^data:image\/png;base64,/);
  });

  it('--upload sends the file through the three-step flow and reuses it on rerun', async () => {
    const r = await runCli(['submit', png, '--task-type', 't', '--upload'], env);
    expect(r.code).toBe(0);
    expect(lastBody().generated_image_url).toMatch(/^runflow:\/\/assets\//);
    expect(api.find('POST', '/v1/asset-uploads')).toHaveLength(1);
    const again = await runCli(['submit', png, '--task-type', 't', '--upload'], env);
    expect(again.stdout).toBe(r.stdout);
    expect(api.find('POST', '/v1/asset-uploads')).toHaveLength(1);
    const put = api.requests.find((q) => q.method === 'PUT')!;
    expect(put.headers.authorization).toBeUndefined();
  });

  it('rerunning the same submit gives back the same evaluation unless --resubmit', async () => {
    const a = await runCli(['submit', png, '--task-type', 't'], env);
    const b = await runCli(['submit', png, '--task-type', 't'], env);
    expect(a.stdout).toBe(b.stdout);
    expect(api.evaluations.size).toBe(1);
    const c = await runCli(['submit', png, '--task-type', 't', '--resubmit'], env);
    expect(c.stdout).not.toBe(a.stdout);
    expect(api.evaluations.size).toBe(2);
  });

  it('the same file inline or uploaded gets the same idempotency key', async () => {
    await runCli(['submit', png, '--task-type', 't'], env);
    // A fresh cache, so the second submit posts instead of reading back the recorded evaluation.
    await runCli(['submit', png, '--task-type', 't', '--upload'], { ...env, RUNFLOW_CACHE_DIR: tempDir() });
    const keys = posts().map((p) => p.headers['idempotency-key']);
    expect(keys[0]).toBe(keys[1]);
  });

  it('a reset and a 503 on submit give exactly one evaluation with one key', async () => {
    api.fault({ method: 'POST', path: '/v1/evaluations', reset: true, afterHandling: true });
    api.fault({ method: 'POST', path: '/v1/evaluations', status: 503 });
    const r = await runCli(['submit', 'https://example.com/a.png', '--task-type', 't'], env, { clock: fastClock() });
    expect(r.code).toBe(0);
    expect(api.evaluations.size).toBe(1);
    expect(new Set(posts().map((p) => p.headers['idempotency-key'])).size).toBe(1);
    expect(posts().length).toBe(3);
  });

  it('a 409 for a reused key exits 5 and suggests --resubmit', async () => {
    await runCli(['submit', 'https://example.com/a.png', '--task-type', 't', '--idempotency-key', 'k1'], env);
    const r = await runCli(['submit', 'https://example.com/other.png', '--task-type', 't', '--idempotency-key', 'k1'], env);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('--resubmit');
  });

  it('waits out 429s on submit until the deadline', async () => {
    api.fault({ method: 'POST', path: '/v1/evaluations', status: 429, times: 7, headers: { 'retry-after': '1' }, body: { code: 'RATE_LIMITED', message: 'too many in flight' } });
    const r = await runCli(['submit', 'https://example.com/a.png', '--task-type', 't'], env, { clock: fastClock(50) });
    expect(r.code).toBe(0);
    expect(posts().length).toBe(8);
  });

  it('--json prints the API record unchanged', async () => {
    const r = await runCli(['submit', 'https://example.com/a.png', '--task-type', 't', '--json'], env);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.status_code).toBe('pending');
    expect(doc.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('--wait prints the verdict and exits 0 on completed, 3 on failed', async () => {
    let r = await runCli(['submit', 'https://example.com/a.png', '--task-type', 't', '--wait'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Verdict\s+PASS/);
    api.setOutcome(() => ({ status_code: 'failed', failure_code: 'invalid_media', overall_passed: null, weighted_pass_rate: null }));
    r = await runCli(['submit', 'https://example.com/b.png', '--task-type', 't', '--wait'], env);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('invalid_media');
  });

  describe('refusals exit 2 and send nothing', () => {
    const cases: Array<[string, () => string[], RegExp]> = [
      ['missing file', () => ['submit', path.join(dir, 'nope.png'), '--task-type', 't'], /no such file/],
      ['a folder', () => ['submit', dir, '--task-type', 't'], /folder|directory/i],
      ['an empty file', () => ['submit', path.join(dir, 'empty.png'), '--task-type', 't'], /empty/],
      ['a text file named .png', () => ['submit', path.join(dir, 'text.png'), '--task-type', 't'], /not an image/],
      ['an http:// URL', () => ['submit', 'http://example.com/a.png', '--task-type', 't'], /https/],
      ['a missing task type', () => ['submit', 'https://example.com/a.png'], /--task-type/],
      ['5 references', () => ['submit', 'https://example.com/a.png', '--task-type', 't', ...Array(5).fill(['--ref', 'https://example.com/r.png']).flat()], /at most 4/],
      ['an over-long prompt', () => ['submit', 'https://example.com/a.png', '--task-type', 't', '--prompt', 'x'.repeat(10_001)], /--prompt.*10,000/],
      ['an over-long task type', () => ['submit', 'https://example.com/a.png', '--task-type', 'x'.repeat(101)], /--task-type.*100/],
      ['a bad run id', () => ['submit', 'https://example.com/a.png', '--task-type', 't', '--run-id', 'abc'], /--run-id/],
      ['an http:// callback', () => ['submit', 'https://example.com/a.png', '--task-type', 't', '--callback-url', 'http://x.example.com'], /--callback-url.*https/],
      ['a bad --attr', () => ['submit', 'https://example.com/a.png', '--task-type', 't', '--attr', 'novalue'], /--attr/],
      ['a bad --timeout', () => ['submit', 'https://example.com/a.png', '--task-type', 't', '--timeout', 'soon'], /--timeout/],
    ];
    beforeAll(() => {
      fs.writeFileSync(path.join(dir, 'empty.png'), '');
      fs.writeFileSync(path.join(dir, 'text.png'), 'hello, I am text\n');
    });
    it.each(cases)('%s', async (_name, argv, message) => {
      const r = await runCli(argv(), env);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(api.requests).toHaveLength(0);
    });
  });
});

describe('wait', () => {
  it('polls a 3-second evaluation with a handful of requests and notices it within about a second', async () => {
    api.setOutcome(() => ({ durationMs: 3000 }));
    const submitted = await runCli(['submit', 'https://example.com/a.png', '--task-type', 't'], env);
    const id = submitted.stdout.trim();
    const started = Date.now();
    const r = await runCli(['wait', id], env);
    const took = Date.now() - started;
    expect(r.code).toBe(0);
    const gets = api.find('GET', `/v1/evaluations/${id}`).length;
    expect(gets).toBeLessThanOrEqual(6);
    expect(took).toBeLessThan(3000 + 1800);
  });

  it('keeps waiting through 502s', async () => {
    api.setOutcome(() => ({ durationMs: 300 }));
    const id = (await runCli(['submit', 'https://example.com/a.png', '--task-type', 't'], env)).stdout.trim();
    api.fault({ method: 'GET', path: `/v1/evaluations/${id}`, status: 502, times: 6 });
    const r = await runCli(['wait', id, '--interval', '100ms'], env, { clock: fastClock() });
    expect(r.code).toBe(0);
  });

  it('exits 6 at the deadline naming the id, and prints the last record with --json', async () => {
    api.setOutcome(() => ({ durationMs: 60_000 }));
    const id = (await runCli(['submit', 'https://example.com/a.png', '--task-type', 't'], env)).stdout.trim();
    let r = await runCli(['wait', id, '--timeout', '1s'], env);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain(id);
    r = await runCli(['wait', id, '--timeout', '500ms', '--json'], env);
    expect(r.code).toBe(6);
    expect(JSON.parse(r.stdout).id).toBe(id);
  });

  it('exits 130 on Ctrl-C naming the id', async () => {
    api.setOutcome(() => ({ durationMs: 60_000 }));
    const id = (await runCli(['submit', 'https://example.com/a.png', '--task-type', 't'], env)).stdout.trim();
    const { memoryIO } = await import('../helpers/memory-io.js');
    const io = memoryIO();
    setTimeout(() => io.interrupt(), 300);
    const r = await runCli(['wait', id], env, { io });
    expect(r.code).toBe(130);
    expect(r.stderr).toContain(id);
  });
});

describe('upload', () => {
  it('prints one reference per file, and the §5 JSON', async () => {
    let r = await runCli(['upload', png], env);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^runflow:\/\/assets\/[0-9a-f-]{36}$/);
    r = await runCli(['upload', png, png, '--json'], env);
    const doc = JSON.parse(r.stdout);
    expect(doc).toHaveLength(2);
    expect(doc[0].ref).toBe(`runflow://assets/${doc[0].asset_id}`);
    expect(doc[0].asset).toBeTypeOf('object');
  });

  it('checks every file before uploading any', async () => {
    const r = await runCli(['upload', png, path.join(dir, 'missing.png')], env);
    expect(r.code).toBe(2);
    expect(api.requests).toHaveLength(0);
  });
});

describe('feedback', () => {
  it('sends PATCH with the verdict and reason, and validates the choice', async () => {
    const id = (await runCli(['submit', 'https://example.com/a.png', '--task-type', 't'], env)).stdout.trim();
    let r = await runCli(['feedback', id, '--down', '--reason', 'blurry eyes'], env);
    expect(r.code).toBe(0);
    const patch = api.find('PATCH', `/v1/evaluations/${id}/feedback`)[0];
    expect(JSON.parse(patch.body)).toEqual({ is_positive: false, reason: 'blurry eyes' });
    r = await runCli(['feedback', id, '--clear'], env);
    expect(r.code).toBe(0);
    r = await runCli(['feedback', id, '--up', '--down'], env);
    expect(r.code).toBe(2);
  });
});
