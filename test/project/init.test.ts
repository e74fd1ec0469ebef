import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/run-cli.js';

/** `runflow-eval init`: a starter project file that the gate reads as it is, and the CI step. */

describe('init', () => {
  it('writes a commented starter file the gate reads, and prints the CI step on stdout', async () => {
    const root = tempDir('rfe-init-');
    fs.mkdirSync(path.join(root, '.git'));
    const r = await runCli(['init'], {}, { cwd: root });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Wrote runflow-eval.config.yaml');
    // The step is one line of YAML that parses as a GitHub Actions step running the gate.
    const step = parse(r.stdout.trim())[0];
    expect(step.run).toBe('npx --yes runflow-eval gate');
    expect(step.env.RUNFLOW_API_KEY).toBe('${{ secrets.RUNFLOW_API_KEY }}');

    const text = fs.readFileSync(path.join(root, 'runflow-eval.config.yaml'), 'utf8');
    expect(text).toMatch(/^# /);
    expect(text).not.toMatch(/api-key:/);

    // As written, it is a valid project file: the gate plans from it (a dry run needs no key).
    fs.mkdirSync(path.join(root, 'renders', 'shoes'), { recursive: true });
    fs.writeFileSync(path.join(root, 'renders', 'shoes', 'a.png'), await sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } }).png().toBuffer());
    const list = await runCli(['config', 'list', '--json'], {}, { cwd: root });
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).settings.find((s: { key: string }) => s.key === 'task-type')).toMatchObject({ value: 'product_photo', source: 'project' });
    const dry = await runCli(['gate', '--dry-run', '--json', '--base-url', 'http://127.0.0.1:9'], {}, { cwd: root });
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout).inputs).toEqual([{ image: path.join('renders', 'shoes', 'a.png'), task_type: 'product_photo' }]);
  });

  it('refuses to write beside an existing project file, naming it', async () => {
    const root = tempDir('rfe-init-');
    fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'x', 'runflow-eval': { threshold: 0.5 } }));
    const r = await runCli(['init', '--json'], {}, { cwd: root });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('already has a project file: package.json ("runflow-eval" key)');
    expect(fs.existsSync(path.join(root, 'runflow-eval.config.yaml'))).toBe(false);
    fs.writeFileSync(path.join(root, 'package.json'), '{"name": "x"}');
    expect((await runCli(['init', '--json'], {}, { cwd: root })).code).toBe(0);
    const again = await runCli(['init'], {}, { cwd: root });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already has a project file: runflow-eval.config.yaml');
  });
});
