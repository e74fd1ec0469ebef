import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssetCache } from '../../src/images/asset-cache.js';
import { makeTempDir } from './helpers.js';

const REF_A = 'runflow://assets/3f2b8c1e-9a4d-4e6f-8b2a-1c3d5e7f9a0b';
const REF_B = 'runflow://assets/11111111-2222-4333-8444-555555555555';
const HASH = 'ab'.repeat(32);

let root: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir: root, cleanup } = await makeTempDir());
});
afterAll(() => cleanup());

let n = 0;
const freshDir = () => path.join(root, `cfg-${++n}`, 'nested');

describe('AssetCache', () => {
  it('round-trips a reference and survives a new instance (a rerun)', async () => {
    const dir = freshDir();
    const cache = new AssetCache(dir);
    expect(await cache.get({ baseUrl: 'https://api.test', sha256: HASH })).toBeUndefined();
    expect(await cache.set({ baseUrl: 'https://api.test', sha256: HASH }, REF_A)).toBe(true);
    expect(await new AssetCache(dir).get({ baseUrl: 'https://api.test/', sha256: HASH })).toBe(REF_A);
  });

  it('keeps base URLs and organizations apart', async () => {
    const cache = new AssetCache(freshDir());
    await cache.set({ baseUrl: 'https://api.test', orgId: 'org-1', sha256: HASH }, REF_A);
    expect(await cache.get({ baseUrl: 'https://api.test', orgId: 'org-2', sha256: HASH })).toBeUndefined();
    expect(await cache.get({ baseUrl: 'https://api.test', sha256: HASH })).toBeUndefined();
    expect(await cache.get({ baseUrl: 'https://other.test', orgId: 'org-1', sha256: HASH })).toBeUndefined();
    expect(await cache.get({ baseUrl: 'https://api.test', orgId: 'org-1', sha256: HASH })).toBe(REF_A);
  });

  it('writes the file 0600 in a 0700 folder, and leaves no temp files', async () => {
    const dir = freshDir();
    await new AssetCache(dir).set({ baseUrl: 'https://api.test', sha256: HASH }, REF_A);
    expect((await stat(path.join(dir, 'assets.json'))).mode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect(await readdir(dir)).toEqual(['assets.json']);
  });

  it('does not lose entries written concurrently', async () => {
    const cache = new AssetCache(freshDir());
    const hashes = Array.from({ length: 20 }, (_, i) => i.toString(16).padStart(64, '0'));
    await Promise.all(hashes.map((sha256) => cache.set({ baseUrl: 'https://api.test', sha256 }, REF_B)));
    for (const sha256 of hashes) expect(await cache.get({ baseUrl: 'https://api.test', sha256 })).toBe(REF_B);
  });

  it('forgets an entry on delete', async () => {
    const cache = new AssetCache(freshDir());
    await cache.set({ baseUrl: 'https://api.test', sha256: HASH }, REF_A);
    await cache.delete({ baseUrl: 'https://api.test', sha256: HASH });
    expect(await cache.get({ baseUrl: 'https://api.test', sha256: HASH })).toBeUndefined();
  });

  it.each([['not json {'], ['[]'], ['{"version":1,"entries":{"x":{"ref":"https://evil.test","at":1}}}'], ['null']])(
    'ignores a corrupt file (%s) and replaces it on the next write',
    async (content) => {
      const dir = freshDir();
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, 'assets.json'), content);
      const cache = new AssetCache(dir);
      expect(await cache.get({ baseUrl: 'https://api.test', sha256: HASH })).toBeUndefined();
      expect(await cache.set({ baseUrl: 'https://api.test', sha256: HASH }, REF_A)).toBe(true);
      expect(await cache.get({ baseUrl: 'https://api.test', sha256: HASH })).toBe(REF_A);
      expect(JSON.parse(await readFile(path.join(dir, 'assets.json'), 'utf8')).version).toBe(1);
    },
  );

  it('reads the file once per instance, not once per lookup; a write still keeps what another process added', async () => {
    const dir = freshDir();
    await new AssetCache(dir).set({ baseUrl: 'https://api.test', sha256: HASH }, REF_A);
    const cache = new AssetCache(dir);
    expect(await cache.get({ baseUrl: 'https://api.test', sha256: HASH })).toBe(REF_A);
    // Lookups answer from what was read: the file is not parsed again for each.
    const file = path.join(dir, 'assets.json');
    const saved = await readFile(file, 'utf8');
    await writeFile(file, 'not json {');
    expect(await cache.get({ baseUrl: 'https://api.test', sha256: HASH })).toBe(REF_A);
    // Another process adds an entry; this one's next write merges it in, and sees it from then on.
    await writeFile(file, saved);
    await new AssetCache(dir).set({ baseUrl: 'https://api.test', sha256: 'cd'.repeat(32) }, REF_B);
    await cache.set({ baseUrl: 'https://api.test', sha256: 'ef'.repeat(32) }, REF_B);
    expect(await cache.get({ baseUrl: 'https://api.test', sha256: 'cd'.repeat(32) })).toBe(REF_B);
    expect(Object.keys(JSON.parse(await readFile(file, 'utf8')).entries)).toHaveLength(3);
  });

  it('reports a failed write without throwing', async () => {
    // A folder that cannot be created (its parent is a file) fails for root too.
    const blocker = path.join(root, `blocker-${++n}`);
    await writeFile(blocker, 'a file where a folder should be');
    const cache = new AssetCache(path.join(blocker, 'cfg'));
    expect(await cache.set({ baseUrl: 'https://api.test', sha256: HASH }, REF_A)).toBe(false);
    expect(await cache.get({ baseUrl: 'https://api.test', sha256: HASH })).toBeUndefined();
    // A failure does not wedge the write chain: later calls still answer.
    expect(await cache.set({ baseUrl: 'https://api.test', sha256: HASH }, REF_A)).toBe(false);
  });
});
