import fs from 'node:fs/promises';
import { UsageError } from '../errors.js';
import { parseBaselineDocument, type BaselineRun } from './baseline.js';

/** The three flags `gate` and `gate merge` share (SPEC §3 gate "Baseline"). */
export interface BaselineFlags {
  baseline?: string;
  maxDrop?: string;
  maxMeanDrop?: string;
}

/**
 * Reads and checks `--baseline FILE` and its bounds before anything is sent: a missing, unreadable
 * or foreign file exits 2 naming it. Undefined when no baseline was asked for.
 */
export async function loadBaseline(flags: BaselineFlags): Promise<BaselineRun | undefined> {
  const maxDrop = fraction(flags.maxDrop, '--max-drop');
  const maxMeanDrop = fraction(flags.maxMeanDrop, '--max-mean-drop');
  if (flags.baseline === undefined) {
    const bound = flags.maxDrop !== undefined ? '--max-drop' : flags.maxMeanDrop !== undefined ? '--max-mean-drop' : undefined;
    if (bound) throw new UsageError(`${bound} needs --baseline FILE (the earlier gate's --json document to compare with)`);
    return undefined;
  }
  const file = flags.baseline;
  if (file.trim() === '') throw new UsageError('--baseline needs a file name');
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, not a file' : `cannot be read (${code ?? 'error'})`;
    throw new UsageError(`--baseline ${file}: ${why}`, { hint: 'give the file written by `gate --json`, `--json-file` or `gate merge --json`' });
  }
  return { document: parseBaselineDocument(file, text), options: { maxDrop, maxMeanDrop } };
}

function fraction(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) {
    throw new UsageError(`${flag} must be a number from 0.0 to 1.0 (got ${JSON.stringify(value)})`);
  }
  return n;
}
