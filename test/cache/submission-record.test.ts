import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { entryDigest, SubmissionRecord } from '../../src/cache/submission-record.js';
import { tempDir } from '../helpers/run-cli.js';

const NS = { baseUrl: 'https://api.test', orgId: 'org-1' };
const key = (i: number) => ({ idempotencyKey: `rfe-key-${i}`, contentKey: `rfe-key-${i}` });
const id = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

function shardFile(record: SubmissionRecord, k: { idempotencyKey: string; contentKey: string }): string {
  return path.join(record.dir, `${entryDigest(k).slice(0, 2)}.log`);
}

describe('SubmissionRecord', () => {
  it('records and reads back, per base URL and organization', async () => {
    const dir = tempDir();
    await new SubmissionRecord(dir, NS).set(key(1), id(1));
    expect(await new SubmissionRecord(dir, NS).get(key(1))).toBe(id(1));
    expect(await new SubmissionRecord(dir, { ...NS, baseUrl: 'https://api.test/' }).get(key(1))).toBe(id(1));
    expect(await new SubmissionRecord(dir, { ...NS, orgId: 'org-2' }).get(key(1))).toBeUndefined();
    expect(await new SubmissionRecord(dir, { baseUrl: 'http://127.0.0.1:9' }).get(key(1))).toBeUndefined();
    expect(await new SubmissionRecord(dir, NS).get(key(2))).toBeUndefined();
  });

  it('tells apart two requests sent with the same chosen key (the service would answer 409)', async () => {
    const dir = tempDir();
    await new SubmissionRecord(dir, NS).set({ idempotencyKey: 'mine', contentKey: 'rfe-a' }, id(1));
    expect(await new SubmissionRecord(dir, NS).get({ idempotencyKey: 'mine', contentKey: 'rfe-b' })).toBeUndefined();
  });

  it('the last entry for a key wins (a resubmission after a 404)', async () => {
    const dir = tempDir();
    const record = new SubmissionRecord(dir, NS);
    await record.set(key(1), id(1));
    await record.set(key(1), id(2));
    expect(await new SubmissionRecord(dir, NS).get(key(1))).toBe(id(2));
  });

  it('does not hand a run back what it recorded itself (a duplicate input is posted, as before)', async () => {
    const dir = tempDir();
    const record = new SubmissionRecord(dir, NS);
    await record.set(key(1), id(1));
    expect(await record.get(key(1))).toBeUndefined();
    expect(await new SubmissionRecord(dir, NS).get(key(1))).toBe(id(1));
  });

  it('ignores a torn last line, and reads an entry a later append was glued onto', async () => {
    const dir = tempDir();
    const record = new SubmissionRecord(dir, NS);
    await record.set(key(1), id(1));
    const file = shardFile(record, key(1));
    // A crash mid-write leaves half a line with no newline...
    const half = `${entryDigest(key(2))} ${id(2)}`.slice(0, 50);
    fs.appendFileSync(file, half);
    expect(await new SubmissionRecord(dir, NS).get(key(2))).toBeUndefined();
    // ...and the next append lands right after it.
    const sameShard = Array.from({ length: 5000 }, (_, i) => key(100 + i)).find((k) => entryDigest(k).slice(0, 2) === entryDigest(key(1)).slice(0, 2))!;
    await new SubmissionRecord(dir, NS).set(sameShard, id(3));
    const fresh = new SubmissionRecord(dir, NS);
    expect(await fresh.get(key(1))).toBe(id(1));
    expect(await fresh.get(sameShard)).toBe(id(3));
    expect(await fresh.get(key(2))).toBeUndefined();
  });

  it('garbage in a shard is ignored, not fatal', async () => {
    const dir = tempDir();
    const record = new SubmissionRecord(dir, NS);
    fs.mkdirSync(record.dir, { recursive: true });
    fs.writeFileSync(shardFile(record, key(1)), 'not a record\n\u0000\u0001binary\n');
    expect(await record.get(key(1))).toBeUndefined();
    expect(await record.set(key(1), id(1))).toBe(true);
    expect(await new SubmissionRecord(dir, NS).get(key(1))).toBe(id(1));
  });

  it('refuses an id that does not fit on one line, and never throws when the folder cannot be written', async () => {
    const dir = tempDir();
    expect(await new SubmissionRecord(dir, NS).set(key(1), 'a b\nc')).toBe(false);
    const blocker = path.join(dir, 'file');
    fs.writeFileSync(blocker, 'x');
    const broken = new SubmissionRecord(path.join(blocker, 'cache'), NS);
    expect(await broken.set(key(1), id(1))).toBe(false);
    expect(await broken.get(key(1))).toBeUndefined();
  });

  it('two writers appending at once lose nothing', async () => {
    const dir = tempDir();
    const a = new SubmissionRecord(dir, NS);
    const b = new SubmissionRecord(dir, NS);
    const n = 1500;
    await Promise.all(
      Array.from({ length: n }, (_, i) => [a.record(key(i), id(i)), b.record(key(n + i), id(n + i))]).flat(),
    );
    await Promise.all([a.flush(), b.flush()]);
    const reader = new SubmissionRecord(dir, NS);
    for (let i = 0; i < 2 * n; i++) expect(await reader.get(key(i))).toBe(id(i));
  });

  it('files are private (0600 in 0700 folders) and hold only digests and ids', async () => {
    const dir = tempDir();
    const record = new SubmissionRecord(dir, NS);
    await record.set({ idempotencyKey: 'my-secret-looking-key', contentKey: 'rfe-x' }, id(1));
    if (process.platform !== 'win32') {
      expect(fs.statSync(record.dir).mode & 0o777).toBe(0o700);
      for (const f of fs.readdirSync(record.dir)) expect(fs.statSync(path.join(record.dir, f)).mode & 0o777).toBe(0o600);
    }
    for (const f of fs.readdirSync(record.dir)) expect(fs.readFileSync(path.join(record.dir, f), 'utf8')).not.toContain('my-secret-looking-key');
  });
});
