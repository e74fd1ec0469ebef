import { HIGHLIGHT_CLIP, SHADOW_CLIP } from '../measure.js';
import type { PixelStats } from '../pixels.js';
import { confidenceFromMargin, percent, round, type IssueDraft, type JudgeResult, type SubPoint } from './types.js';

/** Mean luma limits (0–255): darker is underexposed, brighter is overexposed. */
export const MIN_MEAN_LUMA = 50;
export const MAX_MEAN_LUMA = 225;
/** Largest share of pixels crushed to black, or blown to white. */
export const MAX_SHADOW_CLIPPED = 0.35;
/** Looser than shadows: products on pure white backgrounds are common and fine. */
export const MAX_HIGHLIGHT_CLIPPED = 0.5;

/** Major check: neither too dark nor too bright, with little of the image clipped. */
export function judgeExposure(stats: PixelStats): JudgeResult {
  const { mean, shadowClipped, highlightClipped } = stats.luma;
  const subPoints: Record<string, SubPoint> = {
    mean_luma: { passed: mean >= MIN_MEAN_LUMA && mean <= MAX_MEAN_LUMA, value: round(mean, 1), limit: `${MIN_MEAN_LUMA}–${MAX_MEAN_LUMA}` },
    shadows_clipped: { passed: shadowClipped <= MAX_SHADOW_CLIPPED, value: round(shadowClipped, 4), limit: `<= ${MAX_SHADOW_CLIPPED}` },
    highlights_clipped: { passed: highlightClipped <= MAX_HIGHLIGHT_CLIPPED, value: round(highlightClipped, 4), limit: `<= ${MAX_HIGHLIGHT_CLIPPED}` },
  };
  const under = mean < MIN_MEAN_LUMA || shadowClipped > MAX_SHADOW_CLIPPED;
  const over = mean > MAX_MEAN_LUMA || highlightClipped > MAX_HIGHLIGHT_CLIPPED;
  const measured = `mean luma ${round(mean, 1)}/255, ${percent(shadowClipped)} of pixels crushed to black (<= ${SHADOW_CLIP}), ${percent(highlightClipped)} blown to white (>= ${HIGHLIGHT_CLIP})`;
  const issues: IssueDraft[] = [];
  if (under) issues.push({ category: 'technical', subcategory: 'underexposed', detail: `Too dark: ${measured}.` });
  if (over) issues.push({ category: 'technical', subcategory: 'overexposed', detail: `Too bright: ${measured}.` });
  const passed = !under && !over;
  const confidence = under
    ? confidenceFromMargin(Math.max(mean, 1), MIN_MEAN_LUMA)
    : over
      ? confidenceFromMargin(255 - Math.min(mean, 254), 255 - MAX_MEAN_LUMA)
      : Math.min(confidenceFromMargin(mean, MIN_MEAN_LUMA), confidenceFromMargin(255 - mean, 255 - MAX_MEAN_LUMA));
  return {
    name: 'exposure',
    description: `Major check: mean luma within ${MIN_MEAN_LUMA}–${MAX_MEAN_LUMA}, at most ${percent(MAX_SHADOW_CLIPPED)} crushed shadows and ${percent(MAX_HIGHLIGHT_CLIPPED)} blown highlights.`,
    category: 'technical',
    passed,
    confidence,
    weight: 2,
    severity: 'major',
    reasoning: passed ? `Well exposed: ${measured}.` : `${under ? 'Underexposed' : 'Overexposed'}: ${measured}.`,
    evidence: [
      `mean_luma=${round(mean, 1)}`,
      `shadows_clipped=${round(shadowClipped, 4)}`,
      `highlights_clipped=${round(highlightClipped, 4)}`,
      `p5=${stats.luma.p5}`,
      `p95=${stats.luma.p95}`,
    ],
    subPoints,
    issues,
    issueLabel: under
      ? `Underexposed: mean luma ${Math.round(mean)}/255, ${percent(shadowClipped)} of pixels crushed to black`
      : `Overexposed: mean luma ${Math.round(mean)}/255, ${percent(highlightClipped)} of pixels blown to white`,
    promptFix: under
      ? 'bright, well-exposed lighting with visible shadow detail'
      : 'balanced exposure, no blown-out highlights',
  };
}
