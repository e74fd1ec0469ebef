/**
 * Small modules with one job each: no file of src/ runs past about 300 lines. The files listed
 * below are over it, each with its reason; one that shrinks under the limit must leave the list,
 * so the list stays true.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** "About 300": a file may run a little over while it still does one job. */
const MAX_LINES = 320;

const OVER_THE_LIMIT: Record<string, string> = {
};

function lineCounts(dir = SRC): Map<string, number> {
  const counts = new Map<string, number>();
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const full = path.join(entry.parentPath, entry.name);
    const text = readFileSync(full, 'utf8');
    counts.set(path.relative(SRC, full).split(path.sep).join('/'), text.split('\n').length - (text.endsWith('\n') ? 1 : 0));
  }
  return counts;
}

describe('the size of the files of src/', () => {
  const counts = lineCounts();

  it('is read', () => {
    expect(counts.size).toBeGreaterThan(50);
  });

  it(`keeps every file to about 300 lines (${MAX_LINES}) but the listed ones`, () => {
    const over = [...counts].filter(([file, n]) => n > MAX_LINES && !(file in OVER_THE_LIMIT)).map(([file, n]) => `${file}: ${n} lines`);
    expect(over, 'split these (one job per module), or list one with its reason').toEqual([]);
    const fine = Object.keys(OVER_THE_LIMIT).filter((file) => (counts.get(file) ?? 0) <= MAX_LINES);
    expect(fine, 'these are within the limit now: take them off the list').toEqual([]);
  });
});
