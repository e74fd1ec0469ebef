import { UsageError } from '../errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses `90s`, `2m`, `1h`, `500ms`, `1m30s` (and `0`). A bare number is refused: `--timeout 10`
 * meant as ten seconds would otherwise silently be ten milliseconds.
 * Names the flag in the error so the user knows which value was wrong.
 */
export function parseDuration(raw: string, flag: string): number {
  const text = raw.trim().toLowerCase();
  if (/^0+$/.test(text)) return 0;
  if (/^\d+(\.\d+)?$/.test(text)) {
    throw new UsageError(`${flag} ${text} has no unit: write ${text}s for seconds, ${text}m for minutes or ${text}ms for milliseconds`);
  }
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    consumed = re.lastIndex;
  }
  if (consumed === 0 || consumed !== text.length) {
    throw new UsageError(`${flag} ${JSON.stringify(raw)} is not a duration; use e.g. 90s, 2m, 1h or 500ms`);
  }
  return Math.round(total);
}

/**
 * A deadline (`--timeout`): a duration above zero. `0s` would end the command before its first
 * answer (every gate input timed out, exit 6), which no one means: refused as bad input instead.
 */
export function parseDeadline(raw: string, flag: string): number {
  const ms = parseDuration(raw, flag);
  if (ms <= 0) throw new UsageError(`${flag} ${raw.trim()}: a deadline must be longer than 0 (e.g. 90s, 10m, 1h)`);
  return ms;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)}s`;
  const m = Math.floor(s / 60);
  const rest = Math.round(s - m * 60);
  return rest ? `${m}m${rest}s` : `${m}m`;
}
