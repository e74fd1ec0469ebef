/**
 * Issue #12: results a CI can trust. Each block pins one thing that used to give a wrong answer
 * (or none) when the gate was tried as a new user would.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FakeApi } from '../helpers/fake-api.js';
import { runCli, tempDir } from '../helpers/run-cli.js';
import { useFakeApi } from '../helpers/use-fake-api.js';

const KEY = 'test-key';
const fake = useFakeApi();
let api: FakeApi;
let env: Record<string, string>;
beforeEach(() => {
  ({ api, env } = fake);
  api.setOutcome(() => ({ overall_passed: true, weighted_pass_rate: 0.9, durationMs: 100 }));
});

async function png(file: string, color = '#336699'): Promise<void> {
  await sharp({ create: { width: 16, height: 16, channels: 3, background: color } }).png().toFile(file);
}

describe('a folder of generation outputs (item 1)', () => {
  let folder: string;
  beforeAll(async () => {
    folder = path.join(tempDir('rfe-outputs-'), 'renders');
    fs.mkdirSync(folder);
    await png(path.join(folder, 'shot-1.png'));
    fs.writeFileSync(path.join(folder, 'shot-2.png'), '');
    fs.writeFileSync(path.join(folder, 'shot-3.png'), 'Error: CUDA out of memory\n');
    fs.writeFileSync(path.join(folder, 'log.txt'), 'generation log\n');
    fs.writeFileSync(path.join(folder, 'prompts.json'), '{}\n');
  });

  it('fails empty and non-image .png files as invalid_media (exit 3) without sending them', async () => {
    const r = await runCli(['gate', folder, '--task-type', 't', '--json'], env);
    expect(r.code).toBe(3);
    const doc = JSON.parse(r.stdout);
    expect(doc.results.map((x: { image: string }) => path.basename(x.image))).toEqual(['shot-1.png', 'shot-2.png', 'shot-3.png']);
    expect(doc.results[0]).toMatchObject({ passed: true });
    for (const broken of doc.results.slice(1)) {
      expect(broken).toMatchObject({ passed: false, evaluation_id: null, status_code: 'failed', failure_code: 'invalid_media' });
    }
    expect(doc.counts).toMatchObject({ total: 3, passed: 1, errored: 2 });
    expect(doc.exit_code).toBe(3);
    // Only the good image was sent.
    expect(api.find('POST', '/v1/evaluations')).toHaveLength(1);
    // The other files are skipped, and said so.
    expect(doc.skipped).toEqual([path.join(folder, 'log.txt'), path.join(folder, 'prompts.json')]);
    expect(r.stderr).toMatch(/skipped 2 files/);
    expect(r.stderr).not.toContain('log.txt');
  });

  it('the human table shows the broken files; --verbose names the skipped ones', async () => {
    const r = await runCli(['gate', folder, '--task-type', 't', '--verbose'], env);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('shot-2.png');
    expect(r.stdout).toMatch(/shot-3\.png.*invalid_media/);
    expect(r.stdout).toContain('1/3 passed');
    expect(r.stderr).toContain(`skipped ${path.join(folder, 'log.txt')}`);
  });

  it('a folder of only broken outputs fails without the service', async () => {
    const only = tempDir('rfe-broken-');
    fs.writeFileSync(path.join(only, 'a.png'), '');
    const r = await runCli(['gate', only, '--task-type', 't', '--json'], { ...env, RUNFLOW_API_KEY: '' });
    expect(r.code).toBe(3);
    expect(api.requests).toHaveLength(0);
  });

  it('a folder with no file named as an image exits 2 naming it', async () => {
    const none = tempDir('rfe-none-');
    fs.writeFileSync(path.join(none, 'readme.md'), '# hi\n');
    const r = await runCli(['gate', none, '--task-type', 't'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(none);
  });

  it('an explicit file argument that is not an image still exits 2 before anything is sent', async () => {
    const r = await runCli(['gate', path.join(folder, 'shot-1.png'), path.join(folder, 'shot-3.png'), '--task-type', 't'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('shot-3.png');
    expect(api.requests).toHaveLength(0);
  });
});

describe('gate merge (item 2)', () => {
  const url = (name: string) => `https://img.example.com/${name}.png`;
  const inputs = Array.from({ length: 6 }, (_, i) => url(`m-${i}`));

  async function shards(count: number): Promise<string[]> {
    const out = tempDir('rfe-shards-');
    const files = [];
    for (let i = 1; i <= count; i++) {
      const file = path.join(out, `shard-${i}.json`);
      const r = await runCli(['gate', ...inputs, '--task-type', 't', '--shard', `${i}/${count}`, '--json-file', file], env);
      expect(r.code).toBe(0);
      expect(JSON.parse(fs.readFileSync(file, 'utf8')).shard).toEqual({ index: i, count });
      files.push(file);
    }
    return files;
  }

  it('writes every report: --json-file, --junit, --report and the step summary', async () => {
    const files = await shards(2);
    const out = tempDir('rfe-merged-');
    const summary = path.join(out, 'summary.md');
    const r = await runCli(
      ['gate', 'merge', ...files, '--json-file', path.join(out, 'all.json'), '--junit', path.join(out, 'junit.xml'), '--report', path.join(out, 'all.html')],
      { ...env, GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary },
    );
    expect(r.code).toBe(0);
    const doc = JSON.parse(fs.readFileSync(path.join(out, 'all.json'), 'utf8'));
    expect(doc.counts).toMatchObject({ total: 6, passed: 6 });
    expect(doc.shard).toBeUndefined();
    expect(fs.readFileSync(path.join(out, 'junit.xml'), 'utf8')).toContain('tests="6"');
    expect(fs.readFileSync(path.join(out, 'all.html'), 'utf8').match(/data-testid="result-row"/g)).toHaveLength(6);
    expect(fs.readFileSync(summary, 'utf8')).toContain(url('m-0'));
  });

  it('refuses flags it does not take, wherever they are written', async () => {
    const files = await shards(1);
    for (const argv of [
      ['gate', 'merge', ...files, '--threshold', '0.8'],
      ['gate', '--threshold', '0.8', 'merge', ...files],
    ]) {
      const r = await runCli(argv, env);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--threshold');
      expect(r.stdout).toBe('');
    }
  });

  it('refuses a missing or a duplicated shard, naming it', async () => {
    const files = await shards(3);
    const missing = await runCli(['gate', 'merge', files[0], files[2], '--json'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/missing shard 2\/3/);
    expect(JSON.parse(missing.stdout).error.exit_code).toBe(2);

    const copy = path.join(tempDir(), 'copy-of-1.json');
    fs.copyFileSync(files[0], copy);
    const duplicated = await runCli(['gate', 'merge', ...files, copy], env);
    expect(duplicated.code).toBe(2);
    expect(duplicated.stderr).toContain('shard 1/3');
    expect(duplicated.stderr).toContain('copy-of-1.json');
  });

  it('never counts a result twice (item 10: `gate merge a.json a.json`)', async () => {
    const out = tempDir();
    const file = path.join(out, 'a.json');
    await runCli(['gate', url('x'), url('y'), '--task-type', 't', '--json-file', file], env);
    const twice = await runCli(['gate', 'merge', file, file, '--json'], env);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain('given twice');
    // The same document under another name: its results are counted once.
    const copy = path.join(out, 'b.json');
    fs.copyFileSync(file, copy);
    const copied = await runCli(['gate', 'merge', file, copy, '--json'], env);
    expect(copied.code).toBe(0);
    expect(JSON.parse(copied.stdout).counts.total).toBe(2);
    expect(copied.stderr).toMatch(/counted once/);
  });
});

describe('a rerun keeps the detail its reports need (item 3)', () => {
  it('a replayed POST that returns a finished record is completed with its judges and action', async () => {
    const image = 'https://img.example.com/rerun-fail.png';
    api.setOutcome(() => ({ overall_passed: false, weighted_pass_rate: 0.5, durationMs: 50 }));
    const first = await runCli(['gate', image, '--task-type', 't', '--prompt', 'a red shoe'], env);
    expect(first.code).toBe(1);
    const out = tempDir('rfe-rerun-');
    const again = await runCli(['gate', image, '--task-type', 't', '--prompt', 'a red shoe', '--report', path.join(out, 'r.html'), '--junit', path.join(out, 'j.xml')], env);
    expect(again.code).toBe(1);
    expect(api.evaluations.size).toBe(1);
    const html = fs.readFileSync(path.join(out, 'r.html'), 'utf8');
    expect(html).toContain('Prompt adherence');
    expect(html).toContain('plain neutral background');
    expect(fs.readFileSync(path.join(out, 'j.xml'), 'utf8')).toContain('Prompt adherence');
  });
});

describe('an interrupted gate says what happened (item 4)', () => {
  const url = (name: string) => `https://img.example.com/${name}.png`;
  const inputs = [url('quick'), url('slow'), url('later')];

  async function interrupted(extra: string[] = []) {
    api.setOutcome((body: { generated_image_url: string }) => ({ durationMs: body.generated_image_url.includes('quick') ? 50 : 60_000 }));
    const { memoryIO } = await import('../helpers/memory-io.js');
    const io = memoryIO();
    const out = tempDir('rfe-int-');
    const run = runCli(['gate', ...inputs, '--task-type', 't', '--concurrency', '1', '--json', '--junit', path.join(out, 'j.xml'), '--report', path.join(out, 'r.html'), ...extra], env, { io });
    // Stop once the slow one is in flight (the quick one finished; the last never sent).
    const deadline = Date.now() + 10_000;
    while (api.evaluations.size < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100));
    io.interrupt();
    const r = await run;
    return { ...r, out };
  }

  it('labels results not_submitted and interrupted everywhere, counts them, and bills only what still runs', async () => {
    const r = await interrupted();
    expect(r.code).toBe(130);
    const doc = JSON.parse(r.stdout);
    expect(doc.results.map((x: { status_code: string }) => x.status_code)).toEqual(['completed', 'interrupted', 'not_submitted']);
    expect(doc.results[1].evaluation_id).toBeTruthy();
    expect(doc.results[2].evaluation_id).toBeNull();
    expect(doc.counts).toMatchObject({ total: 3, passed: 1, timed_out: 0, interrupted: 2, errored: 0 });
    const junit = fs.readFileSync(path.join(r.out, 'j.xml'), 'utf8');
    expect(junit).toContain('type="interrupted"');
    expect(junit).toContain('type="not_submitted"');
    expect(junit).not.toContain('timed_out');
    const html = fs.readFileSync(path.join(r.out, 'r.html'), 'utf8');
    expect(html).toContain('INTERRUPTED');
    expect(html).toContain('NOT_SUBMITTED');
    expect(html).not.toMatch(/Timed out<\/dt><dd>[1-9]/);
    // One is still running (and may be billed); the finished one is not "still running".
    expect(r.stderr).toMatch(/1 still running on the server, 1 finished, 1 not_submitted/);
    expect(r.stderr).toContain(doc.results[1].evaluation_id);
    expect(r.stderr).not.toContain(doc.results[0].evaluation_id);
    expect(r.stderr).toMatch(/run the same gate command again/);
  });

  it('the human table uses the same words', async () => {
    api.setOutcome(() => ({ durationMs: 60_000 }));
    const { memoryIO } = await import('../helpers/memory-io.js');
    const io = memoryIO();
    const run = runCli(['gate', ...inputs, '--task-type', 't', '--concurrency', '1'], env, { io });
    while (api.evaluations.size < 1) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100));
    io.interrupt();
    const r = await run;
    expect(r.code).toBe(130);
    expect(r.stdout).toMatch(/quick\.png.*INTERRUPTED.*interrupted/);
    expect(r.stdout).toMatch(/slow\.png.*NOT_SUBMITTED.*not_submitted/);
    expect(r.stdout).toMatch(/later\.png.*not_submitted/);
    expect(r.stdout).not.toMatch(/TIMEOUT|ERROR/);
  });

  it('with --resubmit it does not promise that a rerun picks them up', async () => {
    const r = await interrupted(['--resubmit']);
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/pays for them again/);
    expect(r.stderr).not.toMatch(/instead of paying twice/);
  });
});

describe('--sandbox leaves the real credentials and caches alone (item 5)', () => {
  it('login --sandbox does not overwrite the stored key; logout --sandbox does not remove it', async () => {
    const configDir = tempDir('rfe-real-config-');
    const login = await runCli(['login'], { ...env, RUNFLOW_API_KEY: undefined, RUNFLOW_CONFIG_DIR: configDir }, { stdin: `${KEY}\n` });
    expect(login.code).toBe(0);
    const file = path.join(configDir, 'config.json');
    const before = fs.readFileSync(file, 'utf8');
    expect(JSON.parse(before)['api-key']).toBe(KEY);

    const sandboxed = await runCli(['login', '--sandbox'], { RUNFLOW_CONFIG_DIR: configDir }, { stdin: 'whatever-i-typed\n' });
    expect(sandboxed.code).toBe(0);
    expect(sandboxed.stderr).toMatch(/nothing was stored/);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);

    const logout = await runCli(['logout', '--sandbox'], { RUNFLOW_CONFIG_DIR: configDir });
    expect(logout.code).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
  });

  it('a --sandbox gate writes nothing into the real config folder, and says that --sandbox wins over --base-url', async () => {
    const configDir = tempDir('rfe-real-config-');
    const image = path.join(tempDir(), 'shot.png');
    await png(image);
    const r = await runCli(['gate', image, '--sandbox', '--upload', '--task-type', 't', '--base-url', 'https://api.example.com'], { RUNFLOW_CONFIG_DIR: configDir });
    expect(r.code).toBeLessThan(2);
    expect(r.stderr).toMatch(/--sandbox wins over --base-url/);
    expect(fs.readdirSync(configDir)).toEqual([]);
  });
});

describe('progress in logs (item 6)', () => {
  const url = (name: string) => `https://img.example.com/${name}.png`;

  it('prints plain progress lines without a TTY (sleeps 20× shorter here), and none with --quiet', async () => {
    const { fastClock } = await import('../helpers/run-cli.js');
    api.setOutcome((body: { generated_image_url: string }) => ({ durationMs: body.generated_image_url.includes('long') ? 2500 : 300 }));
    const inputs = [url('p1'), url('p2'), url('long')];
    const out = tempDir('rfe-progress-');
    const r = await runCli(['gate', ...inputs, '--task-type', 't', '--json-file', path.join(out, 'r.json'), '--junit', path.join(out, 'j.xml')], { ...env, CI: 'true' }, { clock: fastClock(20) });
    expect(r.code).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('gate: '));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) expect(line).toMatch(/^gate: \d\/3 done, \d passed, \d in flight, \d+s elapsed$/);
    expect(lines[0]).toMatch(/^gate: 0\/3 done, 0 passed, 0 in flight, 0s elapsed$/);
    // Each report file written is named.
    expect(r.stderr).toContain(`wrote ${path.join(out, 'r.json')}`);
    expect(r.stderr).toContain(`wrote ${path.join(out, 'j.xml')}`);

    const quiet = await runCli(['gate', ...inputs, '--task-type', 't', '--quiet'], { ...env, CI: 'true' }, { clock: fastClock(20) });
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).not.toMatch(/^gate: \d/m);
  });

  it('prints a line every 10 s, with the latest state and the elapsed time', async () => {
    const { startProgressLines } = await import('../../src/progress.js');
    let now = 0;
    const sleeps: Array<() => void> = [];
    const clock = {
      now: () => now,
      sleep: (ms: number, signal?: AbortSignal) =>
        new Promise<void>((resolve, reject) => {
          signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
          sleeps.push(() => {
            now += ms;
            resolve();
          });
        }),
    };
    const lines: string[] = [];
    const p = startProgressLines('gate: 0/2 done', { clock, write: (l) => lines.push(l) });
    const tick = async () => {
      await new Promise((r) => setImmediate(r));
      sleeps.shift()?.();
      await new Promise((r) => setImmediate(r));
    };
    p.update('gate: 1/2 done');
    p.update('gate: 1/2 done, again');
    await tick();
    for (let i = 0; i < 6; i++) await tick();
    p.stop();
    await tick();
    expect(lines).toHaveLength(8);
    expect(lines[0]).toBe('gate: 0/2 done, 0s elapsed');
    expect(lines[1]).toBe('gate: 1/2 done, again, 10s elapsed');
    expect(lines[7]).toBe('gate: 1/2 done, again, 1m10s elapsed');
  });
});

describe('an unreachable service (item 7)', () => {
  it('stops after the first input\'s retries, exits 5 with one message', async () => {
    const { fastClock } = await import('../helpers/run-cli.js');
    const net = await import('node:net');
    const port = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const inputs = Array.from({ length: 20 }, (_, i) => `https://img.example.com/u-${i}.png`);
    const r = await runCli(['gate', ...inputs, '--task-type', 't', '--verbose'], { ...env, RUNFLOW_BASE_URL: `http://127.0.0.1:${port}` }, { clock: fastClock(50) });
    expect(r.code).toBe(5);
    expect(r.stderr.match(/^error: /gm)).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: the service cannot be reached: could not connect to 127\.0\.0\.1:\d+: ECONNREFUSED \(after 5 attempts\); stopped without trying the other 19 inputs$/m);
    // Only the first input was tried, five times.
    expect(r.stderr.match(/request POST/g)).toHaveLength(5);
    expect(r.stdout).toBe('');

    const json = await runCli(['gate', ...inputs, '--task-type', 't', '--json'], { ...env, RUNFLOW_BASE_URL: `http://127.0.0.1:${port}` }, { clock: fastClock(50) });
    expect(json.code).toBe(5);
    expect(JSON.parse(json.stdout).error).toMatchObject({ code: 'CONNECTION_ERROR', exit_code: 5 });
  });
});

describe('the table of a big gate (item 8)', () => {
  it('lists only the images that did not pass beyond 50 images, and every row with --all', async () => {
    api.setOutcome((body: { generated_image_url: string }) => (body.generated_image_url.includes('bad') ? { overall_passed: false, weighted_pass_rate: 0.3, durationMs: 20 } : { durationMs: 20 }));
    const inputs = Array.from({ length: 52 }, (_, i) => `https://img.example.com/${i === 3 ? 'bad' : 'ok'}-${i}.png`);
    const r = await runCli(['gate', ...inputs, '--task-type', 't', '--quiet'], env);
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toContain('bad-3.png');
    expect(lines[2]).toBe('51 passed and not listed (--all lists every row)');
    const all = await runCli(['gate', ...inputs, '--task-type', 't', '--quiet', '--all'], env);
    expect(all.stdout.trimEnd().split('\n')).toHaveLength(54);
  });
});

describe('rough edges that misled a new user (item 9)', () => {
  it('`gate mrege s1.json` suggests `gate merge`', async () => {
    const r = await runCli(['gate', 'mrege', 's1.json'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('did you mean `gate merge`?');
    expect(r.stderr).not.toContain('--task-type');
  });

  it('a bare-number --timeout is refused, naming the units', async () => {
    for (const argv of [['gate', 'https://img.example.com/a.png', '--task-type', 't', '--timeout', '10'], ['wait', '3c90c3cc-0d44-4b50-8888-8dd25736052a', '--timeout', '10']]) {
      const r = await runCli(argv, env);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--timeout 10 has no unit: write 10s for seconds, 10m for minutes or 10ms for milliseconds');
    }
    expect(api.requests).toHaveLength(0);
  });

  it('--threshold 80 suggests 0.8', async () => {
    const r = await runCli(['gate', 'https://img.example.com/a.png', '--task-type', 't', '--threshold', '80'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('did you mean --threshold 0.8?');
  });

  it('an unknown id under --sandbox explains that each --sandbox command has its own sandbox', async () => {
    const id = '3c90c3cc-0d44-4b50-8888-8dd25736052a';
    const r = await runCli(['get', id, '--sandbox'], {});
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/each --sandbox command starts its own empty sandbox/);
    expect(r.stderr).toMatch(/runflow-eval sandbox.*RUNFLOW_BASE_URL/);
    const gate = await runCli(['gate', '--id', id, '--sandbox', '--quiet'], {});
    expect(gate.code).toBe(5);
    expect(gate.stderr).toMatch(/each --sandbox command starts its own empty sandbox/);
  });
});

describe('consistency (item 10)', () => {
  const url = (name: string) => `https://img.example.com/${name}.png`;

  it('--json documents are indented alike, whether built here or passed through from the API', async () => {
    const gate = await runCli(['gate', url('a'), '--task-type', 't', '--json', '--quiet'], env);
    const submit = await runCli(['submit', url('b'), '--task-type', 't', '--json'], env);
    const price = await runCli(['price', '--json'], env);
    for (const r of [gate, submit, price]) {
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^[{[]\n {2}"/);
      JSON.parse(r.stdout);
    }
    // Passed through: the same keys in the same order as the API sent them.
    const id = JSON.parse(submit.stdout).id;
    const get = await runCli(['get', id, '--json', '--embed', 'none'], env);
    expect(Object.keys(JSON.parse(get.stdout))).toEqual(Object.keys(api.evaluation(id)!).filter((k) => !['judges', 'gate_failures', 'action'].includes(k)));
  });

  it('error.code has one style (the API\'s UPPER_SNAKE_CASE) whatever raised it', async () => {
    const unknownOption = await runCli(['price', '--json', '--bogus'], env);
    const usage = await runCli(['gate', '--json', '--task-type', 't'], env);
    const unauthorized = await runCli(['price', '--json'], { ...env, RUNFLOW_API_KEY: 'wrong' });
    const missing = await runCli(['price', '--json'], { ...env, RUNFLOW_API_KEY: undefined });
    const codes = [unknownOption, usage, unauthorized, missing].map((r) => JSON.parse(r.stdout).error.code);
    expect(codes).toEqual(['UNKNOWN_OPTION', 'USAGE', 'UNAUTHORIZED', 'MISSING_API_KEY']);
  });

  it('a rejected key from the environment is not sent to `login` to fix', async () => {
    const fromEnv = await runCli(['price'], { ...env, RUNFLOW_API_KEY: 'wrong' });
    expect(fromEnv.code).toBe(4);
    expect(fromEnv.stderr).toMatch(/hint: the key in RUNFLOW_API_KEY is invalid/);
    expect(fromEnv.stderr).not.toMatch(/run `runflow-eval login`/);
    const configDir = tempDir();
    fs.writeFileSync(path.join(configDir, 'config.json'), JSON.stringify({ 'api-key': 'wrong' }), { mode: 0o600 });
    const fromConfig = await runCli(['price'], { ...env, RUNFLOW_API_KEY: undefined, RUNFLOW_CONFIG_DIR: configDir });
    expect(fromConfig.code).toBe(4);
    expect(fromConfig.stderr).toMatch(/runflow-eval login/);
  });

  it('`completion bash --json` prints one JSON document', async () => {
    const r = await runCli(['completion', 'bash', '--json'], env);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.shell).toBe('bash');
    expect(doc.script).toContain('complete');
  });

  it('FORCE_COLOR colours the table in a pipe; FORCE_COLOR=0 and --no-color do not', async () => {
    const forced = await runCli(['gate', url('a'), '--task-type', 't', '--quiet'], { ...env, FORCE_COLOR: '1' });
    expect(forced.stdout).toContain('\u001b[');
    const off = await runCli(['gate', url('a'), '--task-type', 't', '--quiet'], { ...env, FORCE_COLOR: '0' });
    expect(off.stdout).not.toContain('\u001b[');
    const flag = await runCli(['gate', url('a'), '--task-type', 't', '--quiet', '--no-color'], { ...env, FORCE_COLOR: '1' });
    expect(flag.stdout).not.toContain('\u001b[');
  });

  it('--report out.pdf is refused before anything is sent', async () => {
    const r = await runCli(['gate', url('a'), '--task-type', 't', '--report', path.join(tempDir(), 'out.pdf')], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--report');
    expect(r.stderr).toContain('.html');
    expect(api.requests).toHaveLength(0);
  });

  it('annotation file= paths are relative to GITHUB_WORKSPACE', async () => {
    const { annotationFile } = await import('../../src/report/github.js');
    const workspace = '/home/runner/work/repo/repo';
    expect(annotationFile('renders/a.png', undefined, { workspace, cwd: `${workspace}/app` })).toBe('app/renders/a.png');
    expect(annotationFile('x.png', `${workspace}/app/x.png`, { workspace, cwd: '/elsewhere' })).toBe('app/x.png');
    expect(annotationFile('/tmp/x.png', undefined, { workspace, cwd: workspace })).toBeUndefined();
    expect(annotationFile('https://cdn/x.png', undefined, { workspace, cwd: workspace })).toBeUndefined();

    // Through the CLI: the gate ran in a subfolder of the workspace.
    const ws = tempDir('rfe-ws-');
    fs.mkdirSync(path.join(ws, 'app', 'renders'), { recursive: true });
    api.setOutcome(() => ({ overall_passed: false, weighted_pass_rate: 0.2, durationMs: 20 }));
    await png(path.join(ws, 'app', 'renders', 'shoe.png'));
    const r = await runCli(['gate', path.join(ws, 'app', 'renders'), '--task-type', 't', '--quiet'], { ...env, GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: ws });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^::error file=app\/renders\/shoe\.png,/m);
  });
});

describe('help (item 11)', () => {
  const commands = ['gate', 'submit', 'wait', 'get', 'price', 'upload', 'feedback', 'login', 'config', 'doctor', 'sandbox', 'completion', 'verify-signature'];

  it('lists a command\'s own flags first, the global flags after them under their own heading', async () => {
    // (price, login… take only the global flags: those are simply their options.)
    for (const name of ['gate', 'submit', 'wait', 'get', 'feedback', 'sandbox', 'verify-signature']) {
      const r = await runCli([name, '--help'], env);
      expect(r.code).toBe(0);
      const globalsAt = r.stdout.indexOf('Global options:');
      expect(globalsAt, name).toBeGreaterThan(r.stdout.indexOf('Options:'));
      expect(r.stdout.search(/^ {2}--json /m), name).toBeGreaterThan(globalsAt);
      expect(r.stdout.search(/^ {2}--verbose /m), name).toBeGreaterThan(globalsAt);
    }
  });

  it('shows defaults one way', async () => {
    for (const name of commands) {
      const r = await runCli([name, '--help'], env);
      expect(r.stdout, name).not.toMatch(/\(default: /);
    }
    const gate = await runCli(['gate', '--help'], env);
    expect(gate.stdout).toMatch(/--timeout <duration> +deadline for the whole gate\s+\(default\s+10m\)/);
  });

  it('ends with examples for gate, submit and wait', async () => {
    for (const name of ['gate', 'submit', 'wait']) {
      const r = await runCli([name, '--help'], env);
      const tail = r.stdout.slice(r.stdout.lastIndexOf('Examples:'));
      expect(tail, name).toMatch(/^Examples:\n( {2}\$ .*runflow-eval .+\n?)+$/);
      expect(r.stdout.lastIndexOf('Examples:'), name).toBeGreaterThan(r.stdout.lastIndexOf('--no-color'));
    }
  });
});
