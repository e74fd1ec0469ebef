import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expandGlob, isGlobPattern } from '../../src/gate/globs.js';
import type { FakeApi } from '../helpers/fake-api.js';
import { runCli, tempDir } from '../helpers/run-cli.js';
import { useFakeApi } from '../helpers/use-fake-api.js';

/** Glob patterns among the gate's images (SPEC §3): expanded in name order under the folder rule. */

let api: FakeApi;
let root: string;
let env: Record<string, string>;

function write(rel: string, content: string | Buffer): void {
  const file = path.join(root, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
}

const fake = useFakeApi();
beforeEach(() => ({ api, env } = fake));

beforeAll(async () => {
  root = tempDir('rfe-glob-');
  fs.mkdirSync(path.join(root, '.git'));
  const png = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#884422' } }).png().toBuffer();
  for (const rel of ['renders/b.png', 'renders/a.png', 'renders/shoes/z.png', 'renders/shoes/deep/m.PNG', 'renders/.hidden/x.png', 'other/c.png', 'shot[1].png']) write(rel, png);
  write('renders/notes.txt', 'not an image');
  write('renders/shoes/broken.png', 'CUDA out of memory');
});

const images = (stdout: string) => JSON.parse(stdout).results.map((r: { image: string }) => r.image);

describe('glob expansion', () => {
  it('tells patterns from paths', async () => {
    expect(await isGlobPattern('renders/**/*.png')).toBe(true);
    expect(await isGlobPattern('renders/{a,b}.png')).toBe(true);
    expect(await isGlobPattern('renders/a.png')).toBe(false);
    expect(await isGlobPattern('https://example.com/*.png')).toBe(false);
  });

  it('matches files in byte-wise order of their paths, skipping hidden folders', async () => {
    expect(await expandGlob('renders/**/*.png', root)).toEqual(['renders/a.png', 'renders/b.png', 'renders/shoes/broken.png', 'renders/shoes/z.png'].map(path.normalize));
    expect(await expandGlob('renders/**/*', root)).toContain(path.normalize('renders/shoes/deep/m.PNG'));
    expect(await expandGlob(path.join(root, 'other', '*.png'), root)).toEqual([path.join(root, 'other', 'c.png')]);
  });
});

describe('gate with glob patterns', () => {
  it("'renders/**/*' gates every image below, in name order: broken ones fail, other files are skipped and reported", async () => {
    const r = await runCli(['gate', 'renders/**/*', '--task-type', 't', '--json'], env, { cwd: root });
    expect(r.code).toBe(3); // the broken .png fails as invalid_media
    const doc = JSON.parse(r.stdout);
    expect(images(r.stdout)).toEqual(['renders/a.png', 'renders/b.png', 'renders/shoes/broken.png', 'renders/shoes/deep/m.PNG', 'renders/shoes/z.png'].map(path.normalize));
    expect(doc.results[2]).toMatchObject({ status_code: 'failed', failure_code: 'invalid_media', passed: false });
    expect(doc.skipped).toEqual([path.normalize('renders/notes.txt')]);
    expect(api.find('POST', '/v1/evaluations')).toHaveLength(4); // the broken one is never sent
  });

  it('patterns mix with plain paths, each expanded where it stands', async () => {
    const r = await runCli(['gate', 'other/c.png', 'renders/*.png', '--task-type', 't', '--json'], env, { cwd: root });
    expect(r.code).toBe(0);
    expect(images(r.stdout)).toEqual(['other/c.png', 'renders/a.png', 'renders/b.png'].map(path.normalize));
  });

  it("a project file's images may be patterns, relative to the file's folder", async () => {
    write('runflow-eval.config.yaml', "task-type: t\nimages:\n  - 'renders/shoes/**/*.png'\n  - other/*.png\n");
    try {
      const r = await runCli(['gate', '--json'], env, { cwd: path.join(root, 'renders') });
      expect(r.code).toBe(3);
      expect(images(r.stdout)).toEqual(['renders/shoes/broken.png', 'renders/shoes/z.png', 'other/c.png'].map(path.normalize));
    } finally {
      fs.rmSync(path.join(root, 'runflow-eval.config.yaml'));
    }
  });

  it('a file whose name looks like a pattern is that file', async () => {
    const r = await runCli(['gate', 'shot[1].png', '--task-type', 't', '--json'], env, { cwd: root });
    expect(r.code).toBe(0);
    expect(images(r.stdout)).toEqual(['shot[1].png']);
  });

  it('a pattern that matches nothing exits 2 naming it, before anything is sent', async () => {
    const r = await runCli(['gate', 'renders/a.png', 'rendres/**/*.png', '--task-type', 't'], env, { cwd: root });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('rendres/**/*.png: the pattern matches no image files');
    expect(api.requests).toHaveLength(0);
  });

  it('a pattern that matches only files that are not images exits 2 too', async () => {
    const r = await runCli(['gate', 'renders/*.txt', '--task-type', 't', '--json'], env, { cwd: root });
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error.message).toBe('renders/*.txt: the pattern matches no image files (only 1 other file)');
    expect(api.requests).toHaveLength(0);
  });
});

describe('a pattern in a project file that matches nothing', () => {
  it('exits 2 naming the file, the entry and the pattern', async () => {
    write('sub/runflow-eval.config.json', JSON.stringify({ 'task-type': 't', images: ['../renders/*.png', '../rendres/**/*.png'] }));
    const r = await runCli(['gate'], env, { cwd: path.join(root, 'sub') });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('runflow-eval.config.json images[1]: ../rendres/**/*.png: the pattern matches no image files');
    expect(api.requests).toHaveLength(0);
  });
});
