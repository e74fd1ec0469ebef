/**
 * What a sandbox judge produces before it is stamped with ids and timestamps for the wire
 * (see ../record.ts). Judges are pure functions of pixel statistics and the request.
 */

/**
 * How much a failure counts:
 * - `gate`: a hard check; failing it lists a gate failure and fails the verdict.
 * - `major`: failing it fails the verdict.
 * - `minor`: failing it only lowers `weighted_pass_rate`.
 * - `info`: weight 0; reported, never counted.
 */
export type Severity = 'gate' | 'major' | 'minor' | 'info';

export interface IssueDraft {
  category: string;
  subcategory: string;
  detail: string;
}

/** One measured sub-point: the value, the limit it was held to, and whether it met it. */
export interface SubPoint {
  passed: boolean;
  value: number | string;
  limit: string;
}

export interface JudgeResult {
  name: string;
  description: string;
  category: string;
  /** null only for a judge that reports what was not judged. */
  passed: boolean | null;
  confidence: number;
  weight: number;
  severity: Severity;
  reasoning: string;
  evidence: string[];
  subPoints: Record<string, SubPoint>;
  issues: IssueDraft[];
  /** Short label for `top_issues` when the judge failed. */
  issueLabel?: string;
  /** Words that an improved prompt should add to fix this failure. */
  promptFix?: string;
}

/**
 * Confidence from how far a measured value sits from its limit, on a log scale: 0.5 right at
 * the limit, approaching 0.99 an order of magnitude away.
 */
export function confidenceFromMargin(value: number, limit: number): number {
  if (!(value > 0) || !(limit > 0)) return 0.99;
  const distance = Math.abs(Math.log10(value / limit));
  return round(Math.min(0.99, 0.5 + distance), 2);
}

export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function percent(fraction: number): string {
  return `${round(fraction * 100, 1)}%`;
}
