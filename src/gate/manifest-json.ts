/** Reading a manifest's two formats, JSON Lines and a JSON array, with the line of each item and of a syntax error. */
import { UsageError } from '../errors.js';

export interface RawItem {
  value: unknown;
  /** `manifest.jsonl:7`, or `manifest.json:12 (item 3)` for an array. */
  origin: string;
}

export function parseJsonLines(text: string, name: string): RawItem[] {
  const items: RawItem[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const origin = `${name}:${i + 1}`;
    try {
      items.push({ value: JSON.parse(line), origin });
    } catch (err) {
      const column = positionOf(err);
      throw new UsageError(`${origin}${column === undefined ? '' : `:${column + 1}`}: invalid JSON (${jsonProblem(err)})`, {
        hint:
          i === 0 && /^\s*\{\s*$/.test(line)
            ? 'JSON Lines takes one item per line; for items spread over several lines, write a JSON array [ {...}, {...} ]'
            : 'a manifest is a JSON array, or JSON Lines with one {"image": ...} object per line',
      });
    }
  }
  return items;
}

export function parseArray(text: string, name: string): RawItem[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    const line = arrayErrorLine(text, err);
    throw new UsageError(`${name}${line === undefined ? '' : `:${line}`}: invalid JSON (${jsonProblem(err)})`);
  }
  if (!Array.isArray(parsed)) throw new UsageError(`${name}: expected a JSON array of items`);
  const starts = elementStarts(text);
  // The scan is only for line numbers; if it ever disagrees with JSON.parse, items are named by index alone.
  const lineOf = starts.length === parsed.length ? (i: number) => lineAt(text, starts[i]!) : undefined;
  return parsed.map((value, i) => ({
    value,
    origin: lineOf ? `${name}:${lineOf(i)} (item ${i + 1})` : `${name} item ${i + 1}`,
  }));
}

/** Offsets where each top-level element of a JSON array starts (string-aware bracket scan). */
function elementStarts(text: string): number[] {
  const starts: number[] = [];
  let depth = 0;
  let inString = false;
  let escaped = false;
  let expectValue = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (depth === 1 && expectValue && c !== ']' && !/\s/.test(c)) {
      starts.push(i);
      expectValue = false;
    }
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') {
      depth++;
      if (depth === 1) expectValue = true;
    } else if (c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 1) expectValue = true;
  }
  return starts;
}

/**
 * Where a JSON array went wrong. V8 gives a position for some errors only, so otherwise each
 * element is parsed alone and the first that fails is named.
 */
function arrayErrorLine(text: string, err: unknown): number | undefined {
  const position = positionOf(err);
  // An error at the very end (a missing `]`) is named on the last line that has text.
  if (position !== undefined) return lineAt(text, Math.min(position, text.trimEnd().length));
  if (/end of JSON input/.test(err instanceof Error ? err.message : '')) return lineAt(text, text.trimEnd().length);
  const starts = elementStarts(text);
  for (let i = 0; i < starts.length; i++) {
    const start = starts[i]!;
    const next = starts[i + 1];
    const end = next !== undefined ? text.lastIndexOf(',', next) : text.lastIndexOf(']');
    const slice = text.slice(start, end > start ? end : undefined);
    try {
      JSON.parse(slice);
    } catch (inner) {
      const within = positionOf(inner);
      return lineAt(text, start + (within ?? 0));
    }
  }
  return undefined;
}

function positionOf(err: unknown): number | undefined {
  const m = /at position (\d+)/.exec(err instanceof Error ? err.message : '');
  return m ? Number(m[1]) : undefined;
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text[i] === '\n') line++;
  return line;
}

/** V8's message without its echo of the input (which may be a whole data: URI). */
function jsonProblem(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message
    .replace(/, ".*" is not valid JSON$/s, '')
    .replace(/ in JSON at position \d+.*$/s, '')
    .trim();
}
