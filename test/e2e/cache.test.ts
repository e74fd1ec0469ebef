/**
 * The submission record across processes: two gate processes (two CI jobs on one runner) writing
 * one cache folder at the same time lose no entry, and the cache never holds the key.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { image, useFakeApi } from './fake-api-setup.js';
import { SECRET_KEY, parseJsonDocument, run, tempDir } from './spawn.js';

const setup = useFakeApi();

describe('the cache folder across processes', () => {
  it('two concurrent gate processes record every evaluation; a rerun after the service forgot its keys posts nothing', async () => {
    const cache = tempDir('rfe-cache-');
    const env = { ...setup.env, RUNFLOW_CACHE_DIR: cache };
    const left = Array.from({ length: 30 }, (_, i) => image(`left-${i}`));
    const right = Array.from({ length: 30 }, (_, i) => image(`right-${i}`));
    const [a, b] = await Promise.all([
      run(['gate', ...left, '--task-type', 't', '--json'], { env }),
      run(['gate', ...right, '--task-type', 't', '--json'], { env }),
    ]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const posts = () => setup.api.find('POST', '/v1/evaluations').length;
    expect(posts()).toBe(60);

    setup.api.forgetIdempotencyKeys();
    const again = await run(['gate', ...left, ...right, '--task-type', 't', '--json'], { env });
    expect(again.code).toBe(0);
    expect(parseJsonDocument(again.stdout).counts).toMatchObject({ total: 60, passed: 60, reused: 60 });
    expect(posts()).toBe(60);

    for (const entry of fs.readdirSync(cache, { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) expect(fs.readFileSync(path.join(entry.parentPath, entry.name), 'latin1')).not.toContain(SECRET_KEY);
    }
  });
});
