import type { PixelStats } from '../pixels.js';
import type { JudgeResult } from './types.js';

export const DEFAULT_MIN_SIDE = 512;

/** `input_attributes.min_side` as a whole number of pixels, or why it could not be used. */
export function readMinSide(attributes: Record<string, unknown>): { value: number; note?: string } {
  const raw = attributes.min_side;
  if (raw === undefined || raw === null) return { value: DEFAULT_MIN_SIDE };
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (Number.isInteger(n) && n >= 1 && n <= 100_000) return { value: n };
  return {
    value: DEFAULT_MIN_SIDE,
    note: `input_attributes.min_side ${JSON.stringify(raw)} is not a whole number of pixels (1–100000); used the default ${DEFAULT_MIN_SIDE}`,
  };
}

/** Gate check: the shorter side is at least `min_side` pixels (default 512). */
export function judgeResolution(stats: PixelStats, attributes: Record<string, unknown>): JudgeResult {
  const { value: minSide, note } = readMinSide(attributes);
  const shorter = Math.min(stats.width, stats.height);
  const passed = shorter >= minSide;
  const size = `${stats.width}×${stats.height}`;
  const evidence = [`size=${stats.width}x${stats.height}`, `shorter_side=${shorter}`, `min_side=${minSide}`];
  if (note) evidence.push(note);
  return {
    name: 'resolution',
    description: `Gate check: the shorter side is at least ${minSide} px (input_attributes.min_side, default ${DEFAULT_MIN_SIDE}).`,
    category: 'technical',
    passed,
    confidence: 1,
    weight: 1,
    severity: 'gate',
    reasoning: passed
      ? `${size}: the shorter side, ${shorter} px, meets the ${minSide} px minimum.`
      : `${size}: the shorter side, ${shorter} px, is below the ${minSide} px minimum.`,
    evidence,
    subPoints: { shorter_side: { passed, value: shorter, limit: `>= ${minSide}` } },
    issues: passed
      ? []
      : [{ category: 'technical', subcategory: 'resolution', detail: `Shorter side ${shorter} px is below ${minSide} px (${size}).` }],
    issueLabel: `Resolution too low: ${size} (shorter side under ${minSide} px)`,
    promptFix: `high resolution, at least ${Math.max(minSide, 1024)}x${Math.max(minSide, 1024)} pixels`,
  };
}
