import type { PixelStats } from '../pixels.js';
import { confidenceFromMargin, round, type JudgeResult } from './types.js';

/** Lowest passing RMS contrast (standard deviation of luma, 0–255): about 5% of the range. */
export const MIN_LUMA_STD = 12;
/**
 * Washed out: the tones span less than this (darkest 1% of the darkest channel to brightest 1%
 * of the brightest channel, 0–255), and nothing reaches `WASHED_MAX_BRIGHTEST`. Calibrated on the
 * eight calibration photographs (see sharpness.ts): clean photos span 196–255, except a pale
 * wood texture (Wood, 87, but with highlights at 232: a high-key picture, not a grey veil);
 * washed out to 40% of the range they span 35–104 with highlights at 155–179.
 */
export const MIN_TONAL_SPAN = 115;
export const WASHED_MAX_BRIGHTEST = 200;
/** ... and no shadow goes below this (washed: 74–134; clean photos 0–20, Wood 145): a grey veil, not a dark picture. */
export const WASHED_MIN_DARKEST = 50;

/**
 * Contrast: minor when the tones are merely flat (a flat look can be a style: fog, pastel
 * minimalism; it lowers the score but not the verdict), major when the image is washed out
 * (a grey veil with neither shadows nor highlights), which fails the verdict.
 */
export function judgeContrast(stats: PixelStats): JudgeResult {
  const { std, p5, p95 } = stats.luma;
  const { darkest, brightest } = stats.tones;
  const span = brightest - darkest;
  const washed = span < MIN_TONAL_SPAN && brightest < WASHED_MAX_BRIGHTEST && darkest >= WASHED_MIN_DARKEST;
  const flat = std < MIN_LUMA_STD;
  const passed = !washed && !flat;
  const measured = `luma standard deviation ${round(std, 1)}, 5th–95th percentile ${p5}–${p95}, tones spanning ${darkest}–${brightest}`;
  return {
    name: 'contrast',
    description: `Minor check: RMS contrast (std of luma) at least ${MIN_LUMA_STD}; major when washed out (tones spanning under ${MIN_TONAL_SPAN} of 255, no highlight above ${WASHED_MAX_BRIGHTEST}, no shadow below ${WASHED_MIN_DARKEST}).`,
    category: 'technical',
    passed,
    confidence: washed ? confidenceFromMargin(Math.max(span, 1), MIN_TONAL_SPAN) : confidenceFromMargin(Math.max(std, 0.1), MIN_LUMA_STD),
    weight: 1,
    severity: washed ? 'major' : 'minor',
    reasoning: washed
      ? `Washed out: ${measured} (needs a span of ${MIN_TONAL_SPAN} or a highlight above ${WASHED_MAX_BRIGHTEST}).`
      : passed
        ? `Good tonal separation: ${measured}.`
        : `Low contrast: ${measured} (needs a std of ${MIN_LUMA_STD}).`,
    evidence: [`luma_std=${round(std, 2)}`, `p5=${p5}`, `p95=${p95}`, `darkest=${darkest}`, `brightest=${brightest}`],
    subPoints: {
      luma_std: { passed: !flat, value: round(std, 2), limit: `>= ${MIN_LUMA_STD}` },
      tonal_span: { passed: !washed, value: span, limit: `>= ${MIN_TONAL_SPAN} or brightest >= ${WASHED_MAX_BRIGHTEST}` },
    },
    issues: passed
      ? []
      : [{ category: 'technical', subcategory: washed ? 'washed_out' : 'low_contrast', detail: `${washed ? 'Washed out' : 'Flat tones'}: ${measured}.` }],
    issueLabel: washed ? `Washed out: tones span ${darkest}–${brightest} of 0–255` : `Low contrast: luma std ${round(std, 1)} (min ${MIN_LUMA_STD})`,
    promptFix: washed ? 'deep shadows and bright highlights, full tonal range' : 'strong contrast, clear tonal separation',
  };
}
