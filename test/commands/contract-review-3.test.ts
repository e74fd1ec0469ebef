/**
 * Session 3 of the black-box review against SPEC: findings left open by the last review and the
 * audit of the revised sections, one `describe` each, against the fake API.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeApi } from '../helpers/fake-api.js';
import { fastClock, runCli, tempDir } from '../helpers/run-cli.js';

const KEY = 'test-key';
let api: FakeApi;
let env: Record<string, string>;

beforeAll(async () => {
  api = await FakeApi.start();
});
afterAll(async () => {
  await api.close();
});
beforeEach(() => {
  api.reset();
  api.setOutcome(undefined);
  env = { RUNFLOW_BASE_URL: api.url, RUNFLOW_API_KEY: KEY, RUNFLOW_CONFIG_DIR: tempDir(), RUNFLOW_CACHE_DIR: tempDir() };
});

const posts = () => api.find('POST', '/v1/evaluations');

describe('a requested report that cannot be written at the end fails the run (not only a warning)', () => {
  // The pre-check passes (the path is free); then, while the gate runs, something takes the path
  // (here a folder), as a full disk or a vanished mount would: the write fails at the end.
  function blockDuringRun(file: string): void {
    api.setOutcome(() => {
      fs.mkdirSync(file, { recursive: true });
      return {};
    });
  }

  it('a passing gate exits 5 naming the flag and the file; the results are still printed and the other reports written', async () => {
    const dir = tempDir();
    const junit = path.join(dir, 'junit.xml');
    const html = path.join(dir, 'report.html');
    blockDuringRun(junit);
    const r = await runCli(['gate', 'https://example.com/a.png', '--task-type', 't', '--junit', junit, '--report', html], env, { clock: fastClock() });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(new RegExp(`error: could not write a requested report: --junit ${junit.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    expect(r.stderr).toMatch(/the gate itself passed/);
    expect(r.stdout).toContain('https://example.com/a.png');
    expect(fs.existsSync(html)).toBe(true);
    expect(posts()).toHaveLength(1);
  });

  it('under --json the one document on stdout and the --json-file (written last) carry exit_code 5; passed stays the verdict', async () => {
    const dir = tempDir();
    const junit = path.join(dir, 'junit.xml');
    const jsonFile = path.join(dir, 'gate.json');
    blockDuringRun(junit);
    const r = await runCli(['gate', 'https://example.com/a.png', '--task-type', 't', '--junit', junit, '--json-file', jsonFile, '--json'], env, { clock: fastClock() });
    expect(r.code).toBe(5);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ passed: true, exit_code: 5 });
    expect(doc.error).toBeUndefined();
    expect(JSON.parse(fs.readFileSync(jsonFile, 'utf8'))).toMatchObject({ passed: true, exit_code: 5 });
  });

  it('a quality failure (1) becomes 5 too, the hint saying what the gate itself decided', async () => {
    const dir = tempDir();
    const jsonFile = path.join(dir, 'gate.json');
    api.setOutcome(() => {
      fs.mkdirSync(jsonFile, { recursive: true });
      return { overall_passed: false };
    });
    const r = await runCli(['gate', 'https://example.com/a.png', '--task-type', 't', '--json-file', jsonFile], env, { clock: fastClock() });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/the gate itself ended with exit 1/);
  });
});
