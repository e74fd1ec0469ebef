/**
 * `noUncheckedIndexedAccess`, raised one file at a time: tsconfig.json turns it on for all of src/
 * once every file passes. Until then this test type-checks src/ with the flag on and holds every
 * file to zero errors except those listed below; a listed file that comes to pass must leave the
 * list (the test says so), so the list only shrinks.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SRC = path.join(ROOT, 'src');

/**
 * Still to fix: none (every file passes; tsconfig.json can turn the flag on).
 */
const PENDING: string[] = [];

function errorsByFile(): Map<string, string[]> {
  const configFile = ts.readConfigFile(path.join(ROOT, 'tsconfig.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(configFile.config, ts.sys, ROOT);
  const program = ts.createProgram(parsed.fileNames, { ...parsed.options, noEmit: true, noUncheckedIndexedAccess: true });
  const found = new Map<string, string[]>();
  for (const d of ts.getPreEmitDiagnostics(program)) {
    if (!d.file) continue;
    const rel = path.relative(SRC, d.file.fileName).split(path.sep).join('/');
    const { line } = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
    const list = found.get(rel) ?? [];
    list.push(`${rel}:${line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
    found.set(rel, list);
  }
  return found;
}

describe('noUncheckedIndexedAccess, file by file', () => {
  it('holds every file but the listed ones to zero errors, and lists only files that still fail', () => {
    const errors = errorsByFile();
    expect([...errors].filter(([file]) => !PENDING.includes(file)).flatMap(([, list]) => list)).toEqual([]);
    const nowClean = PENDING.filter((f) => !errors.has(f));
    expect(nowClean, 'these files pass now: take them off PENDING').toEqual([]);
  });
});
