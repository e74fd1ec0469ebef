import fs from 'node:fs';

/**
 * The package version, read once from our package.json: the nearest one above this file, which
 * is one level up from src/ and dist/, and further up from the bundle's chunks.
 */
export const VERSION: string = (() => {
  for (let dir = new URL('.', import.meta.url); ; dir = new URL('..', dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(new URL('package.json', dir), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'runflow-eval') return pkg.version ?? '0.0.0';
    } catch {
      // not here: keep looking
    }
    if (dir.pathname === '/' || dir.pathname === new URL('..', dir).pathname) return '0.0.0';
  }
})();

export const USER_AGENT = `runflow-eval/${VERSION} node/${process.versions.node}`;
