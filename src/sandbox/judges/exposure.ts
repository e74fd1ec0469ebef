import { CHANNEL_CLIP, HIGHLIGHT_CLIP, SHADOW_CLIP } from '../measures/tones.js';
import type { PixelStats } from '../pixels.js';
import { confidenceFromMargin, percent, round, type IssueDraft, type JudgeResult, type SubPoint } from './types.js';

/*
 * Calibrated on the eight calibration photographs (see sharpness.ts) and the demo fixtures. Clean
 * photos: mean luma 71–210, brightest 1% of pixels (their brightest channel) 196–255, colour
 * blown in 0–26% of pixels. Under-exposed ×0.3: brightest ≤ 77. Over-exposed ×2.5: colour blown
 * in 31–100% of pixels, or mean luma above 225, or most pixels white.
 */
/** Mean luma limits (0–255): darker is underexposed, brighter is overexposed. */
export const MIN_MEAN_LUMA = 50;
export const MAX_MEAN_LUMA = 225;
/** Nothing in the picture is brighter than this (99th percentile of the brightest channel): dim. */
export const MIN_BRIGHTEST = 110;
/** Largest share of pixels crushed to black, or blown to white. */
export const MAX_SHADOW_CLIPPED = 0.35;
/** Looser than shadows: products on pure white backgrounds are common and fine. */
export const MAX_HIGHLIGHT_CLIPPED = 0.5;
/** Largest share of pixels with a colour channel blown (not pure white). */
export const MAX_COLOUR_CLIPPED = 0.28;

/** Major check: neither too dark nor too bright, with little of the image clipped. */
export function judgeExposure(stats: PixelStats): JudgeResult {
  const { mean, shadowClipped, highlightClipped } = stats.luma;
  const { brightest, colourClipped } = stats.tones;
  const subPoints: Record<string, SubPoint> = {
    mean_luma: { passed: mean >= MIN_MEAN_LUMA && mean <= MAX_MEAN_LUMA, value: round(mean, 1), limit: `${MIN_MEAN_LUMA}–${MAX_MEAN_LUMA}` },
    brightest: { passed: brightest >= MIN_BRIGHTEST, value: brightest, limit: `>= ${MIN_BRIGHTEST}` },
    shadows_clipped: { passed: shadowClipped <= MAX_SHADOW_CLIPPED, value: round(shadowClipped, 4), limit: `<= ${MAX_SHADOW_CLIPPED}` },
    highlights_clipped: { passed: highlightClipped <= MAX_HIGHLIGHT_CLIPPED, value: round(highlightClipped, 4), limit: `<= ${MAX_HIGHLIGHT_CLIPPED}` },
    colour_clipped: { passed: colourClipped <= MAX_COLOUR_CLIPPED, value: round(colourClipped, 4), limit: `<= ${MAX_COLOUR_CLIPPED}` },
  };
  const under = mean < MIN_MEAN_LUMA || shadowClipped > MAX_SHADOW_CLIPPED || brightest < MIN_BRIGHTEST;
  const over = !under && (mean > MAX_MEAN_LUMA || highlightClipped > MAX_HIGHLIGHT_CLIPPED || colourClipped > MAX_COLOUR_CLIPPED);
  const measured = `mean luma ${round(mean, 1)}/255, brightest 1% at ${brightest}, ${percent(shadowClipped)} of pixels crushed to black (<= ${SHADOW_CLIP}), ${percent(highlightClipped)} blown to white (>= ${HIGHLIGHT_CLIP}), ${percent(colourClipped)} with a colour channel blown (>= ${CHANNEL_CLIP})`;
  const issues: IssueDraft[] = [];
  if (under) issues.push({ category: 'technical', subcategory: 'underexposed', detail: `Too dark: ${measured}.` });
  if (over) issues.push({ category: 'technical', subcategory: 'overexposed', detail: `Too bright: ${measured}.` });
  const passed = !under && !over;
  const confidence = under
    ? confidenceFromMargin(Math.max(mean, 1), MIN_MEAN_LUMA)
    : over
      ? Math.max(confidenceFromMargin(255 - Math.min(mean, 254), 255 - MAX_MEAN_LUMA), confidenceFromMargin(Math.max(colourClipped, 0.001), MAX_COLOUR_CLIPPED))
      : Math.min(confidenceFromMargin(mean, MIN_MEAN_LUMA), confidenceFromMargin(255 - mean, 255 - MAX_MEAN_LUMA));
  const blown = Math.max(highlightClipped, colourClipped);
  return {
    name: 'exposure',
    description: `Major check: mean luma within ${MIN_MEAN_LUMA}–${MAX_MEAN_LUMA}, highlights reaching ${MIN_BRIGHTEST}, at most ${percent(MAX_SHADOW_CLIPPED)} crushed shadows, ${percent(MAX_HIGHLIGHT_CLIPPED)} blown highlights and ${percent(MAX_COLOUR_CLIPPED)} blown colour.`,
    category: 'technical',
    passed,
    confidence,
    weight: 2,
    severity: 'major',
    reasoning: passed ? `Well exposed: ${measured}.` : `${under ? 'Underexposed' : 'Overexposed'}: ${measured}.`,
    evidence: [
      `mean_luma=${round(mean, 1)}`,
      `brightest=${brightest}`,
      `shadows_clipped=${round(shadowClipped, 4)}`,
      `highlights_clipped=${round(highlightClipped, 4)}`,
      `colour_clipped=${round(colourClipped, 4)}`,
      `p5=${stats.luma.p5}`,
      `p95=${stats.luma.p95}`,
    ],
    subPoints,
    issues,
    issueLabel: under
      ? `Underexposed: mean luma ${Math.round(mean)}/255, ${percent(shadowClipped)} of pixels crushed to black`
      : `Overexposed: mean luma ${Math.round(mean)}/255, ${percent(blown)} of pixels blown out`,
    promptFix: under
      ? 'bright, well-exposed lighting with visible shadow detail'
      : 'balanced exposure, no blown-out highlights',
  };
}
