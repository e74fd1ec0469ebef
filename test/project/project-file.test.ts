import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeApi } from '../helpers/fake-api.js';
import { runCli, tempDir } from '../helpers/run-cli.js';

/**
 * The project file (SPEC §2 "Project file"): found from the working folder up to the repository
 * root, typed and checked like a manifest, under flags and environment, over the user config.
 */

const KEY = 'proj-test-api-key-0001';
let api: FakeApi;
let png: Buffer;

beforeAll(async () => {
  api = await FakeApi.start({ apiKeys: [KEY] });
  png = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#336699' } }).png().toBuffer();
});
afterAll(async () => {
  await api.close();
});
beforeEach(() => {
  api.reset();
});
// Every test ends with no request to an unknown route and no queued fault left unmatched.
afterEach(() => api.verify());

/** A repository (a folder holding .git) with these files; values that are objects are written as JSON. */
function repo(files: Record<string, string | Buffer | object>, opts: { git?: boolean } = {}): string {
  const root = tempDir('rfe-project-');
  if (opts.git !== false) fs.mkdirSync(path.join(root, '.git'));
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(root, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, Buffer.isBuffer(content) || typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  }
  return root;
}

const env = (extra: Record<string, string> = {}) => ({ RUNFLOW_BASE_URL: api.url, RUNFLOW_API_KEY: KEY, RUNFLOW_CONFIG_DIR: tempDir(), ...extra });
const bodies = () => api.find('POST', '/v1/evaluations').map((r) => JSON.parse(r.body));

async function configList(cwd: string, extraArgs: string[] = [], environment: Record<string, string> = env()) {
  const r = await runCli(['config', 'list', '--json', ...extraArgs], environment, { cwd });
  return { ...r, doc: r.code === 0 ? JSON.parse(r.stdout) : undefined };
}

const setting = (doc: { settings: Array<{ key: string }> }, key: string) => doc.settings.find((s) => s.key === key) as { key: string; value: unknown; source: string; origin: string | null } | undefined;

describe('discovery', () => {
  it('is found from a subfolder and drives the gate: images, task type and threshold from the file', async () => {
    const root = repo({
      'runflow-eval.config.json': { 'task-type': 'product_photo', threshold: 0.5, images: ['renders'], prompt: 'a blue square' },
      'renders/a.png': png,
      'renders/b.png': png,
      'src/deep/keep.txt': '',
    });
    const r = await runCli(['gate', '--json'], env(), { cwd: path.join(root, 'src', 'deep') });
    expect(r.stderr).not.toMatch(/error|warning/);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.threshold).toBe(0.5);
    // Named as the file has them (relative to its folder), wherever the gate runs from.
    expect(doc.results.map((x: { image: string }) => x.image)).toEqual([path.join('renders', 'a.png'), path.join('renders', 'b.png')]);
    expect(bodies().map((b) => [b.task_type, b.generation_prompt])).toEqual([
      ['product_photo', 'a blue square'],
      ['product_photo', 'a blue square'],
    ]);
  });

  const forms: Array<[string, string]> = [
    ['runflow-eval.config.json', '{"task-type": "from-json"}'],
    ['runflow-eval.config.yaml', '# the gate\ntask-type: from-json\n'],
    ['runflow-eval.config.yml', 'task-type: from-json\n'],
    ['.runflow-evalrc.json', '{"task-type": "from-json"}'],
    ['.runflow-evalrc.yaml', 'task-type: from-json\n'],
    ['.runflow-evalrc.yml', 'task-type: from-json\n'],
    ['package.json', '{"name": "app", "runflow-eval": {"task-type": "from-json"}}'],
  ];
  it.each(forms)('reads %s', async (name, content) => {
    const root = repo({ [name]: content, 'sub/.keep': '' });
    const { code, doc, stderr } = await configList(path.join(root, 'sub'));
    expect(stderr).not.toMatch(/error|warning/);
    expect(code).toBe(0);
    expect(doc.project_file).toBe(path.join(root, name));
    expect(setting(doc, 'task-type')).toEqual({ key: 'task-type', value: 'from-json', source: 'project', origin: path.join(root, name) });
  });

  it('takes the first form in SPEC order within a folder, and the nearest folder first', async () => {
    const root = repo({
      'runflow-eval.config.yaml': 'task-type: root-yaml\n',
      '.runflow-evalrc.json': '{"task-type": "root-rc"}',
      'pkg/package.json': '{"runflow-eval": {"task-type": "nearest"}}',
      'pkg/sub/.keep': '',
    });
    expect(setting((await configList(root)).doc, 'task-type')?.value).toBe('root-yaml');
    expect(setting((await configList(path.join(root, 'pkg', 'sub'))).doc, 'task-type')?.value).toBe('nearest');
  });

  it('passes over a package.json without a "runflow-eval" key', async () => {
    const root = repo({ '.runflow-evalrc.yml': 'task-type: rc\n', 'app/package.json': '{"name": "app"}' });
    const { doc } = await configList(path.join(root, 'app'));
    expect(doc.project_file).toBe(path.join(root, '.runflow-evalrc.yml'));
  });

  it('stops at the repository root: a file above the folder holding .git does not apply', async () => {
    const outer = repo({ 'runflow-eval.config.json': { 'task-type': 'outside' } }, { git: false });
    fs.mkdirSync(path.join(outer, 'project', '.git'), { recursive: true });
    fs.mkdirSync(path.join(outer, 'project', 'sub'));
    const { doc } = await configList(path.join(outer, 'project', 'sub'));
    expect(doc.project_file).toBeNull();
    expect(setting(doc, 'task-type')).toBeUndefined();
    // A worktree's .git is a file; it marks the root just the same.
    fs.rmSync(path.join(outer, 'project', '.git'), { recursive: true });
    fs.writeFileSync(path.join(outer, 'project', '.git'), 'gitdir: /elsewhere\n');
    expect((await configList(path.join(outer, 'project', 'sub'))).doc.project_file).toBeNull();
  });

  it('--config FILE names one (any name, YAML or JSON, or package.json); --no-config ignores them', async () => {
    const root = repo({ 'runflow-eval.config.json': { 'task-type': 'found' }, 'ci/gate.yaml': 'task-type: named\n', 'ci/package.json': '{"runflow-eval": {"task-type": "pkg"}}' });
    expect(setting((await configList(root, ['--config', 'ci/gate.yaml'])).doc, 'task-type')?.value).toBe('named');
    expect(setting((await configList(root, ['--config', 'ci/package.json'])).doc, 'task-type')?.value).toBe('pkg');
    const none = await configList(root, ['--no-config']);
    expect(none.doc.project_file).toBeNull();
    expect(setting(none.doc, 'task-type')).toBeUndefined();
    const missing = await configList(root, ['--config', 'nope.json']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--config nope.json: no such file');
  });

  it('an empty file is the project file and sets nothing', async () => {
    const root = repo({ 'runflow-eval.config.yaml': '', 'sub/.runflow-evalrc.json': '\n' });
    const { code, doc } = await configList(path.join(root, 'sub'));
    expect(code).toBe(0);
    expect(doc.project_file).toBe(path.join(root, 'sub', '.runflow-evalrc.json'));
  });

  it('a file that does not parse exits 2 naming it', async () => {
    const yaml = await configList(repo({ 'runflow-eval.config.yaml': 'task-type: [unclosed\n' }));
    expect(yaml.code).toBe(2);
    expect(yaml.stderr).toMatch(/runflow-eval\.config\.yaml: invalid YAML/);
    const json = await configList(repo({ 'runflow-eval.config.json': '{"task-type": }' }));
    expect(json.code).toBe(2);
    expect(json.stderr).toMatch(/runflow-eval\.config\.json: invalid JSON/);
    const list = await configList(repo({ 'runflow-eval.config.yaml': '- a\n- b\n' }));
    expect(list.code).toBe(2);
    expect(list.stderr).toMatch(/runflow-eval\.config\.yaml: a project file holds an object of settings/);
  });
});

describe('precedence: flag > environment > project file > user config > default', () => {
  it('base URL and organization: env beats the file, the file beats the user config, config list names the file', async () => {
    const root = repo({ 'runflow-eval.config.yaml': 'base-url: https://project.example\norg: org-from-file\n' });
    const environment = { RUNFLOW_CONFIG_DIR: tempDir() };
    await runCli(['config', 'set', 'base-url', 'https://user.example'], environment);
    await runCli(['config', 'set', 'org-id', 'org-from-user'], environment);

    const fromFile = (await configList(root, [], environment)).doc;
    expect(setting(fromFile, 'base-url')).toMatchObject({ value: 'https://project.example', source: 'project', origin: path.join(root, 'runflow-eval.config.yaml') });
    expect(setting(fromFile, 'org-id')).toMatchObject({ value: 'org-from-file', source: 'project' });

    const fromEnv = (await configList(root, [], { ...environment, RUNFLOW_BASE_URL: 'https://env.example' })).doc;
    expect(setting(fromEnv, 'base-url')).toMatchObject({ value: 'https://env.example', source: 'env' });
    expect(setting(fromEnv, 'org-id')).toMatchObject({ value: 'org-from-file', source: 'project' });

    const fromFlag = (await configList(root, ['--base-url', 'https://flag.example'], environment)).doc;
    expect(setting(fromFlag, 'base-url')).toMatchObject({ value: 'https://flag.example', source: 'flag' });

    const userOnly = (await configList(root, ['--no-config'], environment)).doc;
    expect(setting(userOnly, 'base-url')).toMatchObject({ value: 'https://user.example', source: 'config' });

    const human = await runCli(['config', 'list'], environment, { cwd: root });
    expect(human.stdout).toMatch(new RegExp(`base-url\\s+https://project\\.example\\s+project file \\(${path.join(root, 'runflow-eval.config.yaml').replace(/[.]/g, '\\.')}\\)`));
  });

  it('the gate talks to the base URL and organization the file names, unless the environment says otherwise', async () => {
    const root = repo({ 'runflow-eval.config.json': { 'base-url': api.url, org: 'org-in-file', 'task-type': 't' }, 'a.png': png });
    const environment = { RUNFLOW_API_KEY: KEY, RUNFLOW_CONFIG_DIR: tempDir() };
    const r = await runCli(['gate', 'a.png'], environment, { cwd: root });
    expect(r.code).toBe(0);
    expect(api.find('POST', '/v1/evaluations')[0].headers['x-organization-id']).toBe('org-in-file');
    api.reset();
    await runCli(['gate', 'a.png'], { ...environment, RUNFLOW_ORG_ID: 'org-in-env' }, { cwd: root });
    expect(api.find('POST', '/v1/evaluations')[0].headers['x-organization-id']).toBe('org-in-env');
  });

  it('a flag on the command line beats the file, whole; the file beats the defaults', async () => {
    const root = repo({
      'runflow-eval.config.yaml': ['task-type: from-file', 'threshold: 0.95', 'attr:', '  style: photo', '  min_side: 16', 'timeout: 2m', 'images: [a.png]'].join('\n'),
      'a.png': png,
      'b.png': png,
    });
    const fileOnly = await runCli(['gate', '--json'], env(), { cwd: root });
    expect(JSON.parse(fileOnly.stdout).threshold).toBe(0.95);
    expect(bodies()[0]).toMatchObject({ task_type: 'from-file', input_attributes: { style: 'photo', min_side: 16 } });
    api.reset();

    const flags = await runCli(['gate', 'b.png', '--task-type', 'from-flag', '--threshold', '0.1', '--attr', 'style=sketch', '--json'], env(), { cwd: root });
    expect(flags.code).toBe(0);
    const doc = JSON.parse(flags.stdout);
    expect(doc.threshold).toBe(0.1);
    // Image arguments replace the file's images; --attr replaces its attributes.
    expect(doc.results.map((x: { image: string }) => x.image)).toEqual(['b.png']);
    expect(bodies()).toHaveLength(1);
    expect(bodies()[0]).toMatchObject({ task_type: 'from-flag', input_attributes: { style: 'sketch' } });
  });

  it('--dry-run and gate merge read it too', async () => {
    const root = repo({ 'runflow-eval.config.json': { 'task-type': 'planned', images: ['a.png'], 'json-file': 'out/merged.json', junit: 'out/junit.xml' }, 'a.png': png });
    const dry = await runCli(['gate', '--dry-run', '--json'], env(), { cwd: root });
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dry_run: true, evaluations: 1, inputs: [{ image: 'a.png', task_type: 'planned' }] });
    expect(bodies()).toHaveLength(0);

    const shard = path.join(root, 'shard.json');
    const gate = await runCli(['gate', '--no-config', path.join(root, 'a.png'), '--task-type', 't', '--json-file', shard], env(), { cwd: root });
    expect(gate.code).toBe(0);
    const merged = await runCli(['gate', 'merge', shard], env(), { cwd: path.join(root) });
    expect(merged.code).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(root, 'out', 'merged.json'), 'utf8')).counts.total).toBe(1);
    expect(fs.readFileSync(path.join(root, 'out', 'junit.xml'), 'utf8')).toContain('<testcase');

    // --config / --no-config before `merge` (on gate) count as after it.
    const elsewhere = repo({ 'ci/gate.json': { 'json-file': '../out/named.json' } });
    const named = await runCli(['gate', '--config', path.join(elsewhere, 'ci', 'gate.json'), 'merge', shard], env(), { cwd: root });
    expect(named.code, named.stderr).toBe(0);
    expect(fs.existsSync(path.join(elsewhere, 'out', 'named.json'))).toBe(true);
    fs.rmSync(path.join(root, 'out'), { recursive: true });
    const ignored = await runCli(['gate', '--no-config', 'merge', shard], env(), { cwd: root });
    expect(ignored.code, ignored.stderr).toBe(0);
    expect(fs.existsSync(path.join(root, 'out'))).toBe(false);
    // Other gate flags before merge are still refused.
    expect((await runCli(['gate', '--threshold', '0.5', 'merge', shard], env(), { cwd: root })).code).toBe(2);
  });
});

describe('paths in the file are relative to its folder', () => {
  it('images, manifest, refs and report paths, from a subfolder', async () => {
    const root = repo({
      'ci/runflow-eval.config.yaml': ['task-type: t', 'manifest: ../data/items.jsonl', 'refs: [../data/ref.png]', 'report: ../reports/gate.html', 'json-file: ../reports/gate.json'].join('\n'),
      'data/items.jsonl': JSON.stringify({ image: 'shot.png' }) + '\n',
      'data/shot.png': png,
      'data/ref.png': png,
      'ci/work/.keep': '',
    });
    const r = await runCli(['gate'], env(), { cwd: path.join(root, 'ci', 'work') });
    expect(r.stderr).not.toMatch(/error|warning/);
    expect(r.code).toBe(0);
    expect(fs.existsSync(path.join(root, 'reports', 'gate.html'))).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(root, 'reports', 'gate.json'), 'utf8')).results[0].image).toBe('shot.png');
    expect(bodies()[0].reference_images).toHaveLength(1);
    expect(bodies()[0].reference_images[0].url).toMatch(/^data:image\/png/);
  });
});

describe('bad files exit 2 naming the file, the key and the closest known key; nothing is sent', () => {
  const cases: Array<[string, Record<string, unknown>, RegExp[]]> = [
    ['a misspelt key', { promt: 'x' }, [/unknown key "promt" \(did you mean "prompt"\?\)/]],
    ['a key in another spelling', { task_type: 'x' }, [/unknown key "task_type" \(did you mean "task-type"\?\)/]],
    ['a threshold that is a string', { threshold: 'high' }, [/"threshold" must be a number from 0 to 1/]],
    ['a threshold out of range', { threshold: 1.5 }, [/"threshold" must be a number from 0 to 1/]],
    ['a prompt that is a number', { prompt: 3 }, [/"prompt" must be a string \(got the number 3\)/]],
    ['attributes that are not an object', { attr: 'style=photo' }, [/"attr" must be an object/]],
    ['a fractional concurrency', { concurrency: 2.5 }, [/"concurrency" must be a whole number/]],
    ['a concurrency out of range', { concurrency: 0 }, [/runflow-eval\.config\.json "concurrency" must be a whole number from 1 to 1000/]],
    ['a duration as a number', { timeout: 600 }, [/"timeout" must be a duration string like "10m"/, /write "600s" for seconds or "600ms" for milliseconds/]],
    ['a boolean as a string', { upload: 'yes' }, [/"upload" must be true or false/]],
    ['images that are not strings', { images: [1] }, [/"images"\[0\] must be a non-empty string/]],
    ['a flag that belongs to one run', { 'dry-run': true }, [/"dry-run" cannot be set in a project file/]],
  ];
  it.each(cases)('%s', async (_name, settings, patterns) => {
    const root = repo({ 'runflow-eval.config.json': { 'task-type': 't', images: ['a.png'], ...settings }, 'a.png': png });
    const r = await runCli(['gate'], env(), { cwd: root });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('runflow-eval.config.json');
    for (const p of patterns) expect(r.stderr).toMatch(p);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(api.requests).toHaveLength(0);
  });

  it('under --json the error is a JSON document too', async () => {
    const root = repo({ 'runflow-eval.config.json': { threshhold: 0.5 } });
    const r = await runCli(['gate', '--json'], env(), { cwd: root });
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'USAGE', exit_code: 2 });
    expect(JSON.parse(r.stdout).error.message).toContain('did you mean "threshold"?');
  });
});

describe('the API key is refused in a project file, and never echoed', () => {
  const secret = 'rf_live_0123456789abcdef';
  const cases: Array<[string, Record<string, unknown>]> = [
    ['api-key', { 'api-key': secret }],
    ['apiKey', { apiKey: 'anything-at-all' }],
    ['token', { token: 'anything-at-all' }],
    ['a value shaped like a Runflow key', { prompt: `use ${secret}` }],
    ['a key nested in attributes', { attr: { api_key: 'anything-at-all' } }],
    ['the very key this run uses', { 'client-ref': KEY }],
  ];
  it.each(cases)('%s', async (_name, settings) => {
    const root = repo({ 'runflow-eval.config.yaml': JSON.stringify({ 'task-type': 't', images: ['a.png'], ...settings }), 'a.png': png });
    const r = await runCli(['gate', '--json'], env(), { cwd: root });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('runflow-eval.config.yaml');
    expect(r.stderr).toMatch(/must never hold the API key/);
    for (const text of [r.stdout, r.stderr]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(KEY);
      expect(text).not.toContain('anything-at-all');
    }
    expect(api.requests).toHaveLength(0);
  });
});

describe('flags added by other features are keys too', () => {
  it('baseline (relative to the file), max-drop and max-mean-drop', async () => {
    const root = repo({ 'a.png': png, 'ci/.keep': '' });
    api.setOutcome(() => ({ overall_passed: true, weighted_pass_rate: 0.9, durationMs: 50 }));
    const before = await runCli(['gate', 'a.png', '--task-type', 't', '--json-file', path.join(root, 'base', 'main.json')], env(), { cwd: root });
    expect(before.code).toBe(0);
    fs.writeFileSync(path.join(root, 'runflow-eval.config.json'), JSON.stringify({ 'task-type': 't', images: ['a.png'], baseline: 'base/main.json', 'max-drop': 0.1, 'max-mean-drop': 0.5 }));

    api.setOutcome(() => ({ overall_passed: true, weighted_pass_rate: 0.6, durationMs: 50 }));
    const after = await runCli(['gate', '--json', '--resubmit'], env(), { cwd: path.join(root, 'ci') });
    expect(after.code).toBe(1);
    const doc = JSON.parse(after.stdout);
    expect(doc.results[0]).toMatchObject({ regressed: true });
    expect(doc.baseline).toMatchObject({ matched: 1, regressed: 1 });

    for (const [value, pattern] of [
      ['lots', /runflow-eval\.config\.json: "max-drop" must be a number \(got a string\)/],
      [2, /runflow-eval\.config\.json "max-drop"/],
    ] as const) {
      fs.writeFileSync(path.join(root, 'runflow-eval.config.json'), JSON.stringify({ 'task-type': 't', images: ['a.png'], baseline: 'base/main.json', 'max-drop': value }));
      const bad = await runCli(['gate'], env(), { cwd: root });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(pattern);
    }
    api.setOutcome(undefined);
  });
});

describe('the spend limits of the gate are keys too', () => {
  it('no-balance-check: true skips the balance read; max-failures is a whole number', async () => {
    const root = repo({ 'runflow-eval.config.json': { 'task-type': 't', images: ['a.png'], 'no-balance-check': true, 'max-failures': 3 }, 'a.png': png });
    const r = await runCli(['gate', '--json', '--resubmit'], env(), { cwd: root });
    expect(r.code).toBe(0);
    expect(api.find('GET', '/v1/billing/balance')).toHaveLength(0);
    const list = await configList(root);
    expect(setting(list.doc, 'max-failures')).toMatchObject({ value: '3', source: 'project' });

    api.reset();
    const checked = repo({ 'runflow-eval.config.json': { 'task-type': 't', images: ['a.png'], 'no-balance-check': false }, 'a.png': png });
    expect((await runCli(['gate', '--resubmit'], env(), { cwd: checked })).code).toBe(0);
    expect(api.find('GET', '/v1/billing/balance').length).toBeGreaterThan(0);

    // The file's max-failures is applied: one image below the bar stops the rest (one at a time).
    api.reset();
    api.setOutcome(() => ({ overall_passed: false, weighted_pass_rate: 0.1, durationMs: 20 }));
    const stops = repo({ 'runflow-eval.config.json': { 'task-type': 't', images: ['a.png', 'b.png', 'c.png'], 'max-failures': 1, concurrency: 1 }, 'a.png': png, 'b.png': png, 'c.png': png });
    const stopped = await runCli(['gate', '--json', '--resubmit'], env(), { cwd: stops });
    expect(stopped.code).toBe(1);
    expect(api.find('POST', '/v1/evaluations')).toHaveLength(1);
    expect(JSON.parse(stopped.stdout).results.map((x: { status_code: string }) => x.status_code)).toEqual(['completed', 'not_submitted', 'not_submitted']);
    api.setOutcome(undefined);

    const bad = repo({ 'runflow-eval.config.json': { 'task-type': 't', images: ['a.png'], 'max-failures': 'two' }, 'a.png': png });
    const r2 = await runCli(['gate'], env(), { cwd: bad });
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/runflow-eval\.config\.json: "max-failures" must be a number \(got a string\)/);
  });
});

describe('config get and doctor read the project file too', () => {
  it('config get resolves base-url and org-id as the gate does, and prints the gate keys the file sets', async () => {
    const other = 'http://127.0.0.1:9/';
    const root = repo({ 'runflow-eval.config.yaml': ['task-type: shoes', 'threshold: 0.85', `base-url: ${other}`, 'org: org-from-file', 'images: [renders]'].join('\n') });
    const noUrl = { RUNFLOW_API_KEY: KEY, RUNFLOW_CONFIG_DIR: tempDir() };
    const get = (args: string[], environment: Record<string, string> = noUrl) => runCli(['config', 'get', ...args], environment, { cwd: path.join(root) });

    expect((await get(['base-url'])).stdout.trim()).toBe(other);
    const org = await get(['org-id', '--json']);
    expect(JSON.parse(org.stdout)).toMatchObject({ key: 'org-id', value: 'org-from-file', source: 'project', origin: path.join(root, 'runflow-eval.config.yaml') });
    // The environment still wins over the file, as for the gate.
    expect((await get(['base-url'], { ...noUrl, RUNFLOW_BASE_URL: api.url })).stdout.trim()).toBe(api.url);
    expect((await get(['base-url', '--no-config'])).stdout.trim()).toBe('https://api.runflow.io');

    expect((await get(['threshold'])).stdout.trim()).toBe('0.85');
    expect((await get(['task-type'])).stdout.trim()).toBe('shoes');
    expect(JSON.parse((await get(['images', '--json'])).stdout)).toMatchObject({ key: 'images', value: '["renders"]', source: 'project' });
    // A gate key the file does not set: nothing, exit 1 (as for an unset setting).
    const unset = await get(['concurrency']);
    expect([unset.code, unset.stdout]).toEqual([1, '']);
    const typo = await get(['treshold']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/unknown config key "treshold"/);
    expect((await get(['api-key'])).code).toBe(2);
  });

  it('doctor checks the project file, and reaches the base URL the file names', async () => {
    const good = repo({ 'runflow-eval.config.json': { 'task-type': 't', 'base-url': api.url, threshold: 0.8 } });
    const noUrl = { RUNFLOW_API_KEY: KEY, RUNFLOW_CONFIG_DIR: tempDir() };
    const ok = await runCli(['doctor', '--json'], noUrl, { cwd: good });
    const doc = JSON.parse(ok.stdout);
    const byId = Object.fromEntries(doc.checks.map((c: { id: string }) => [c.id, c]));
    expect(byId.project).toMatchObject({ status: 'pass' });
    expect(byId.project.detail).toContain(path.join(good, 'runflow-eval.config.json'));
    expect(byId.project.detail).toContain('sets task-type, base-url, threshold');
    expect(byId.base_url.detail).toContain(api.url);
    expect(byId.base_url.detail).toContain('project file');
    expect(byId.health).toMatchObject({ status: 'pass' });
    expect(api.find('GET', '/v1/auth/me').length).toBeGreaterThan(0);

    const bad = repo({ 'runflow-eval.config.json': { 'task-type': 't', treshold: 0.8 } });
    const broken = await runCli(['doctor', '--json'], env(), { cwd: bad });
    expect(broken.code).toBe(2);
    const check = JSON.parse(broken.stdout).checks.find((c: { id: string }) => c.id === 'project');
    expect(check).toMatchObject({ status: 'fail', exit_code: 2 });
    expect(check.detail).toMatch(/runflow-eval\.config\.json.*"treshold".*threshold/);
    // --no-config: what a gate run with it would do.
    const ignored = await runCli(['doctor', '--json', '--no-config'], env(), { cwd: bad });
    expect(JSON.parse(ignored.stdout).checks.find((c: { id: string }) => c.id === 'project')).toMatchObject({ status: 'pass', detail: 'ignored (--no-config)' });
  });
});
