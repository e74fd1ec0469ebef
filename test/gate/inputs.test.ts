import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { collectGateInputs, type CollectOptions } from '../../src/gate/inputs.js';
import type { SkippedFile } from '../../src/gate/inputs-types.js';

let dir: string;

async function png(file: string): Promise<void> {
  const bytes = await sharp({ create: { width: 4, height: 3, channels: 3, background: '#336699' } }).png().toBuffer();
  await writeFile(file, bytes);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'rfe-gate-inputs-'));
  const shots = path.join(dir, 'shots');
  await mkdir(shots);
  for (const name of ['a.png', 'B.png', '_c.png', 'é.png', '10.png', '9.png', 'renamed.txt']) await png(path.join(shots, name));
  await png(path.join(shots, '.hidden.png'));
  await writeFile(path.join(shots, 'fake.png'), 'not an image at all\n');
  await writeFile(path.join(shots, 'empty.png'), '');
  await mkdir(path.join(shots, 'nested'));
  await png(path.join(shots, 'nested', 'deep.png'));
  await symlink(path.join(shots, 'a.png'), path.join(shots, 'link.png'));
  await mkdir(path.join(dir, 'docs'));
  await writeFile(path.join(dir, 'docs', 'readme.md'), '# hi\n');
  await png(path.join(dir, 'docs', '.only-hidden.png'));
  await mkdir(path.join(dir, 'void'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function options(overrides: Partial<CollectOptions>): CollectOptions {
  return { images: [], ids: [], flags: { taskType: 'headshot' }, cwd: dir, thresholdFlag: 0.5, ...overrides };
}

async function usageMessage(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as UsageError).message;
  }
  throw new Error('expected a UsageError');
}

describe('collectGateInputs: folders', () => {
  it('expands a folder to the files named as images directly inside it, in byte-wise name order', async () => {
    const skipped: SkippedFile[] = [];
    const all = await collectGateInputs(options({ images: ['shots'], skipped }));
    expect(all.map((i) => [i.display, i.kind])).toEqual([
      ['shots/10.png', 'submit'],
      ['shots/9.png', 'submit'],
      ['shots/B.png', 'submit'],
      ['shots/_c.png', 'submit'],
      ['shots/a.png', 'submit'],
      ['shots/empty.png', 'invalid'],
      ['shots/fake.png', 'invalid'],
      ['shots/link.png', 'submit'],
      ['shots/é.png', 'submit'],
    ]);
    // A PNG named .txt is not meant as an image; hidden files are not either. Subfolders are not entered.
    expect(skipped).toEqual([
      { path: 'shots/.hidden.png', reason: 'hidden file' },
      { path: 'shots/renamed.txt', reason: 'not an image file extension' },
    ]);
    const inputs = all.filter((i) => i.kind === 'submit');
    for (const input of inputs) {
      expect(input.kind).toBe('submit');
      expect(input.shardKey).toBe(input.display);
      expect(input.origin).toBe('argument 1');
      expect(input.threshold).toBe(0.5);
      if (input.kind === 'submit') {
        expect(input.spec.image).toBe(input.display);
        expect(input.spec.baseDir).toBe(dir);
        expect(input.spec.taskType).toBe('headshot');
      }
    }
  });

  it('joins entries to the folder as the user typed it (relative, absolute, trailing slash)', async () => {
    const relative = await collectGateInputs(options({ images: ['./shots/'] }));
    expect(relative[0].display).toBe(path.join('./shots/', '10.png'));
    const absolute = await collectGateInputs(options({ images: [path.join(dir, 'shots')], cwd: os.tmpdir() }));
    expect(absolute[0].display).toBe(path.join(dir, 'shots', '10.png'));
  });

  it('refuses a folder with no images, naming it', async () => {
    expect(await usageMessage(collectGateInputs(options({ images: ['void'] })))).toBe('void: the folder holds no image files');
    // Only a hidden image and a text file: still nothing to gate.
    expect(await usageMessage(collectGateInputs(options({ images: ['docs'] })))).toBe('docs: the folder holds no image files');
  });

  it('keeps other arguments as given, for the image check to judge later', async () => {
    const given = ['missing.png', 'https://cdn.test/x.png', 'shots/fake.png', `data:image/png;base64,${'A'.repeat(10_000)}`];
    const inputs = await collectGateInputs(options({ images: given }));
    expect(inputs.map((i) => i.display)).toEqual(given);
    expect(inputs.map((i) => i.origin)).toEqual(['argument 1', 'argument 2', 'argument 3', 'argument 4']);
  });
});

describe('collectGateInputs: order and sources', () => {
  it('puts arguments first, then manifest items, then ids', async () => {
    const inputs = await collectGateInputs(
      options({
        images: ['one.png', 'shots'],
        manifest: { name: 'set.jsonl', text: '{"image":"m1.png","threshold":0.9}\n{"image":"m2.png"}\n', baseDir: '/elsewhere' },
        ids: ['3C90C3CC-0D44-4B50-8888-8DD25736052A'],
      }),
    );
    expect(inputs.map((i) => i.display)).toEqual([
      'one.png',
      'shots/10.png',
      'shots/9.png',
      'shots/B.png',
      'shots/_c.png',
      'shots/a.png',
      'shots/empty.png',
      'shots/fake.png',
      'shots/link.png',
      'shots/é.png',
      'm1.png',
      'm2.png',
      '3c90c3cc-0d44-4b50-8888-8dd25736052a',
    ]);
    const [m1, m2, id] = inputs.slice(-3);
    expect(m1.threshold).toBe(0.9);
    expect(m2.threshold).toBe(0.5);
    expect(m1.origin).toBe('set.jsonl:1');
    if (m1.kind === 'submit') expect(m1.spec.baseDir).toBe('/elsewhere');
    expect(id).toMatchObject({ kind: 'id', id: '3c90c3cc-0d44-4b50-8888-8dd25736052a', shardKey: '3c90c3cc-0d44-4b50-8888-8dd25736052a', threshold: 0.5 });
  });

  it('refuses an id that is not a UUID, naming --id', async () => {
    const msg = await usageMessage(collectGateInputs(options({ ids: ['3c90c3cc-0d44-4b50-8888-8dd25736052a', 'not-an-id'] })));
    expect(msg).toMatch(/^--id "not-an-id" is not a UUID/);
  });

  it('passes manifest errors through', async () => {
    const msg = await usageMessage(collectGateInputs(options({ manifest: { name: 'set.jsonl', text: '{"image":"a.png","promt":"x"}', baseDir: dir } })));
    expect(msg).toContain('set.jsonl:1: unknown key "promt"');
  });

  it('returns nothing for no input (the command decides that this is exit 2)', async () => {
    expect(await collectGateInputs(options({}))).toEqual([]);
  });
});

describe('classifyGateFile: the rule for files found in a folder (or by a glob)', () => {
  it('gates image extensions with image content, fails broken ones as invalid, skips the rest', async () => {
    const { classifyGateFile } = await import('../../src/gate/file-rule.js');
    const shots = path.join(dir, 'shots');
    expect(await classifyGateFile(path.join(shots, 'a.png'), 'shots/a.png')).toEqual({ kind: 'image' });
    expect(await classifyGateFile(path.join(shots, 'empty.png'), 'shots/empty.png')).toEqual({ kind: 'invalid', reason: 'shots/empty.png is empty' });
    const fake = await classifyGateFile(path.join(shots, 'fake.png'), 'shots/fake.png');
    expect(fake).toMatchObject({ kind: 'invalid' });
    expect((fake as { reason: string }).reason).toMatch(/^shots\/fake\.png is not an image \(content looks like text\)/);
    expect(await classifyGateFile(path.join(shots, 'renamed.txt'), 'shots/renamed.txt')).toMatchObject({ kind: 'skipped' });
    expect(await classifyGateFile(path.join(shots, '.hidden.png'), 'shots/.hidden.png')).toMatchObject({ kind: 'skipped' });
    // Extensions are matched in any case.
    await writeFile(path.join(dir, 'UPPER.JPEG'), '');
    expect(await classifyGateFile(path.join(dir, 'UPPER.JPEG'), 'UPPER.JPEG')).toMatchObject({ kind: 'invalid' });
  });
});
