import type { PixelStats } from '../pixels.js';
import { confidenceFromMargin, round, type JudgeResult } from './types.js';

/** Lowest passing RMS contrast (standard deviation of luma, 0–255): about 5% of the range. */
export const MIN_LUMA_STD = 12;

/**
 * Minor check: tones are spread enough to separate subject from background. Minor because a flat
 * look can be a style (fog, pastel minimalism): it lowers the score but not the verdict.
 */
export function judgeContrast(stats: PixelStats): JudgeResult {
  const { std, p5, p95 } = stats.luma;
  const passed = std >= MIN_LUMA_STD;
  const measured = `luma standard deviation ${round(std, 1)}, 5th–95th percentile ${p5}–${p95}`;
  return {
    name: 'contrast',
    description: `Minor check: RMS contrast (std of luma) at least ${MIN_LUMA_STD}.`,
    category: 'technical',
    passed,
    confidence: confidenceFromMargin(Math.max(std, 0.1), MIN_LUMA_STD),
    weight: 1,
    severity: 'minor',
    reasoning: passed ? `Good tonal separation: ${measured}.` : `Low contrast: ${measured} (needs a std of ${MIN_LUMA_STD}).`,
    evidence: [`luma_std=${round(std, 2)}`, `p5=${p5}`, `p95=${p95}`],
    subPoints: { luma_std: { passed, value: round(std, 2), limit: `>= ${MIN_LUMA_STD}` } },
    issues: passed ? [] : [{ category: 'technical', subcategory: 'low_contrast', detail: `Flat tones: ${measured}.` }],
    issueLabel: `Low contrast: luma std ${round(std, 1)} (min ${MIN_LUMA_STD})`,
    promptFix: 'strong contrast, clear tonal separation',
  };
}
