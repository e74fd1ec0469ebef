import path from 'node:path';

/**
 * Glob patterns among the gate's image arguments (and a project file's "images"), SPEC §3:
 * `'renders/**\/*.png'`, quoted so the shell leaves it alone. tinyglobby does the matching (Node
 * 20's fs.glob is experimental); this module only says what is a pattern and puts the matches in
 * the order the gate reports them. Which matches are images is the folder rule's business.
 */

// Characters that make an argument a pattern; checked before loading the glob library.
const MAGIC = /[*?[\]{}]/;

/** True when the argument is a pattern rather than a path, URL or data: URI. */
export async function isGlobPattern(argument: string): Promise<boolean> {
  if (!MAGIC.test(argument) || /^(?:https?|data|runflow):/i.test(argument)) return false;
  const { isDynamicPattern } = await import('tinyglobby');
  return isDynamicPattern(argument);
}

/**
 * The files a pattern matches, as the user would type them from `cwd` (relative for a relative
 * pattern, absolute for an absolute one), in byte-wise order of those paths: the same order on
 * every machine and locale, and a folder's files together. Hidden files and folders are not
 * matched (as in a shell) unless the pattern names them.
 */
export async function expandGlob(pattern: string, cwd: string): Promise<string[]> {
  const { glob } = await import('tinyglobby');
  const matches = await glob(pattern, {
    cwd,
    onlyFiles: true,
    absolute: path.isAbsolute(pattern),
    expandDirectories: false,
    followSymbolicLinks: true,
  });
  return matches.map((m) => path.normalize(m)).sort(compareBytes);
}

export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
