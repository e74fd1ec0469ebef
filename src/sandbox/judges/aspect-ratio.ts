import type { PixelStats } from '../pixels.js';
import { round, type JudgeResult } from './types.js';

/**
 * Relative tolerance: generators round sizes to multiples of 64 (1344×768 for 16:9 is 1.6% off,
 * 1216×832 for 3:2 is 2.6% off), which must still count as the requested ratio.
 */
export const ASPECT_TOLERANCE = 0.03;

/** `input_attributes.aspect_ratio`: 1.777, "1.777", "16:9", "16/9", "16x9" or "square". */
export function parseAspectRatio(raw: unknown): { ratio: number; label: string } | null {
  if (typeof raw === 'number') return raw > 0 && Number.isFinite(raw) ? { ratio: raw, label: String(raw) } : null;
  if (typeof raw !== 'string') return null;
  const text = raw.trim().toLowerCase();
  if (text === 'square') return { ratio: 1, label: '1:1' };
  const pair = /^(\d+(?:\.\d+)?)\s*[:/x×]\s*(\d+(?:\.\d+)?)$/.exec(text);
  if (pair) {
    const w = Number(pair[1]);
    const h = Number(pair[2]);
    return w > 0 && h > 0 ? { ratio: w / h, label: `${pair[1]}:${pair[2]}` } : null;
  }
  const n = Number(text);
  return text !== '' && n > 0 && Number.isFinite(n) ? { ratio: n, label: text } : null;
}

/** "4:3 (1.333)" when the size reduces to small numbers, else "1.778". */
export function describeRatio(width: number, height: number): string {
  const g = gcd(width, height);
  const w = width / g;
  const h = height / g;
  const decimal = round(width / height, 3).toFixed(3);
  return w <= 32 && h <= 32 ? `${w}:${h} (${decimal})` : decimal;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * Major check when `input_attributes.aspect_ratio` asks for a shape; otherwise an informational
 * judge with weight 0 that reports the measured ratio and counts for nothing.
 */
export function judgeAspectRatio(stats: PixelStats, attributes: Record<string, unknown>): JudgeResult {
  const raw = attributes.aspect_ratio;
  const measured = stats.width / stats.height;
  const measuredText = describeRatio(stats.width, stats.height);
  const evidence = [`size=${stats.width}x${stats.height}`, `measured_ratio=${round(measured, 4)}`];
  const requested = raw === undefined || raw === null ? null : parseAspectRatio(raw);
  if (!requested) {
    const note =
      raw === undefined || raw === null
        ? 'No aspect ratio was requested (input_attributes.aspect_ratio), so none was enforced.'
        : `input_attributes.aspect_ratio ${JSON.stringify(raw)} is not a ratio such as "16:9" or 1.778, so none was enforced.`;
    return {
      name: 'aspect_ratio',
      description: 'Informational: the measured aspect ratio (set input_attributes.aspect_ratio to enforce one).',
      category: 'composition',
      passed: true,
      confidence: 1,
      weight: 0,
      severity: 'info',
      reasoning: `${note} Measured ${measuredText}.`,
      evidence,
      subPoints: {},
      issues: [],
    };
  }
  const deviation = Math.abs(measured / requested.ratio - 1);
  const passed = deviation <= ASPECT_TOLERANCE;
  evidence.push(`requested_ratio=${round(requested.ratio, 4)}`, `deviation=${round(deviation, 4)}`);
  const orientation = requested.ratio > 1.05 ? 'landscape' : requested.ratio < 0.95 ? 'portrait' : 'square';
  return {
    name: 'aspect_ratio',
    description: `Major check: the aspect ratio is ${requested.label} within ${ASPECT_TOLERANCE * 100}% (input_attributes.aspect_ratio).`,
    category: 'composition',
    passed,
    confidence: passed ? 1 : 0.99,
    weight: 1,
    severity: 'major',
    reasoning: passed
      ? `Measured ${measuredText}, within ${ASPECT_TOLERANCE * 100}% of the requested ${requested.label}.`
      : `Measured ${measuredText}, ${round(deviation * 100, 1)}% away from the requested ${requested.label}.`,
    evidence,
    subPoints: { aspect_ratio: { passed, value: round(measured, 4), limit: `${requested.label} ±${ASPECT_TOLERANCE * 100}%` } },
    issues: passed
      ? []
      : [{ category: 'composition', subcategory: 'aspect_ratio', detail: `Aspect ratio ${measuredText} instead of ${requested.label}.` }],
    issueLabel: `Wrong aspect ratio: ${measuredText} instead of ${requested.label}`,
    promptFix: `${requested.label} aspect ratio, ${orientation} composition`,
  };
}
