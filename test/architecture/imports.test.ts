/**
 * The layering of src/ as a test over its import graph, so the shape the README describes stays
 * true: no import cycles, commands never import commands, only api/ knows URLs, and a module never
 * imports a layer above its own. Exceptions are listed below by file, each with its reason.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/**
 * Lower number = lower layer. A folder's files share its layer; files at the root of src/ are
 * placed one by one. Same-layer imports are allowed (the cycle check still applies to them).
 */
const LAYERS: Array<[layer: number, members: string[]]> = [
  // Leaves: no knowledge of the API, the commands or the run.
  [0, ['errors.ts', 'exit-codes.ts', 'clock.ts', 'io.ts', 'version.ts', 'commander.ts', 'validate.ts', 'util/']],
  // The only code that knows URLs.
  [1, ['api/']],
  // What commands share: settings, the cache folder, images, evaluation requests and polling, the run's context,
  // and the drawing of API records (render/ only draws records; evaluations/wait prints them).
  [2, ['config/', 'cache/', 'images/', 'evaluations/', 'render/', 'context.ts', 'progress.ts']],
  // Bigger features built on those.
  [3, ['gate/', 'report/', 'sandbox/', 'project/', 'doctor/', 'completion/']],
  [4, ['commands/']],
  // The spine's top: argv in, exit code out.
  [5, ['program.ts', 'main.ts', 'cli.ts']],
];

/** Imports allowed to point up a layer: `from → to`, each with its reason. Keep this short. */
const UPWARD_EXCEPTIONS: Record<string, string> = {};

/** Commands that other command modules may import: how commands are declared and listed. */
const SHARED_COMMAND_MODULES = new Set(['commands/define.ts', 'commands/catalog.ts']);

interface Edge {
  from: string;
  to: string;
}

function sourceFiles(dir = SRC): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(full));
    else if (entry.name.endsWith('.ts')) out.push(path.relative(SRC, full).split(path.sep).join('/'));
  }
  return out.sort();
}

/** Drops comments, so a path or a module named in prose is not taken for code. */
function stripComments(text: string): string {
  return text.replace(/^\s*\/\*[\s\S]*?\*\//gm, '').replace(/(^|\s)\/\/(\s.*)?$/gm, '$1');
}

/** Static `import … from`, `export … from`, side-effect `import '…'` and dynamic `import('…')`. */
const IMPORT = /\b(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file: string): string[] {
  const text = stripComments(readFileSync(path.join(SRC, file), 'utf8'));
  const found: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2];
    if (!spec.startsWith('.')) continue;
    found.push(path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)).replace(/\.js$/, '.ts'));
  }
  return found;
}

function graph(): { files: string[]; edges: Edge[] } {
  const files = sourceFiles();
  const edges = files.flatMap((from) => importsOf(from).map((to) => ({ from, to })));
  return { files, edges };
}

function layerOf(file: string): number | undefined {
  for (const [layer, members] of LAYERS) {
    if (members.some((m) => (m.endsWith('/') ? file.startsWith(m) : file === m))) return layer;
  }
  return undefined;
}

/** Strongly connected components with more than one file (or a file importing itself): Tarjan. */
function cycles(files: string[], edges: Edge[]): string[][] {
  const next = new Map<string, string[]>(files.map((f) => [f, []]));
  for (const e of edges) next.get(e.from)?.push(e.to);
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || next.get(v)!.includes(v)) found.push(scc.sort());
    }
  };
  for (const f of files) if (!idx.has(f)) visit(f);
  return found;
}

describe('the import graph of src/', () => {
  const { files, edges } = graph();

  it('is read: it finds the files and their imports', () => {
    // Guards the checks below against passing on an empty graph.
    expect(files.length).toBeGreaterThan(50);
    expect(edges).toContainEqual({ from: 'main.ts', to: 'program.ts' });
    expect(edges).toContainEqual({ from: 'commands/submit.ts', to: 'evaluations/request.ts' }); // a dynamic import
    expect(edges.every((e) => files.includes(e.to))).toBe(true);
  });

  it('has no import cycles', () => {
    expect(cycles(files, edges)).toEqual([]);
  });

  it('has no command importing another command', () => {
    const bad = edges.filter((e) => e.from.startsWith('commands/') && e.to.startsWith('commands/') && !SHARED_COMMAND_MODULES.has(e.to) && !SHARED_COMMAND_MODULES.has(e.from));
    expect(bad.map((e) => `${e.from} -> ${e.to}`)).toEqual([]);
  });

  it('places every file in a layer', () => {
    expect(files.filter((f) => layerOf(f) === undefined)).toEqual([]);
  });

  it('never imports a layer above', () => {
    const up = edges.filter((e) => layerOf(e.to)! > layerOf(e.from)!).map((e) => `${e.from} -> ${e.to}`);
    expect(up.filter((e) => !(e in UPWARD_EXCEPTIONS))).toEqual([]);
    // An exception that no longer happens is removed from the list, so the list stays true.
    expect(Object.keys(UPWARD_EXCEPTIONS).filter((e) => !up.includes(e))).toEqual([]);
  });

  it('keeps API paths in api/', () => {
    // A string or template starting an API path: '/v1/…', `${base}/v1/…`. Prose in help text is not code.
    const urlPath = /['"`}]\/v1\//;
    const outside = files.filter((f) => !f.startsWith('api/') && !f.startsWith('sandbox/') && urlPath.test(stripComments(readFileSync(path.join(SRC, f), 'utf8'))));
    expect(outside).toEqual([]);
  });
});

describe('the checks themselves', () => {
  it('find a cycle and ignore an acyclic chain', () => {
    expect(cycles(['a', 'b', 'c'], [{ from: 'a', to: 'b' }, { from: 'b', to: 'c' }, { from: 'c', to: 'a' }])).toEqual([['a', 'b', 'c']]);
    expect(cycles(['a', 'b', 'c'], [{ from: 'a', to: 'b' }, { from: 'b', to: 'c' }])).toEqual([]);
  });

  it('read static, type-only, re-exported and dynamic imports, not ones in comments', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from '../b.js';",
      "export { c } from './c.js';",
      "const d = await import('./d.js');",
      "// import { e } from './e.js';",
      "import {\n  f,\n  g,\n} from './fg.js';",
    ].join('\n');
    const specs = [...stripComments(text).matchAll(IMPORT)].map((m) => m[1] ?? m[2]);
    expect(specs).toEqual(['./a.js', '../b.js', './c.js', './d.js', './fg.js']);
  });
});
