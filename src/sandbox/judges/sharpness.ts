import type { PixelStats } from '../pixels.js';
import { confidenceFromMargin, round, type JudgeResult } from './types.js';

/**
 * Lowest passing detail ratio (75th percentile over tiles, see measure.ts). Calibrated on drawn
 * scenes and photographs: crisp images score 1.1–1.7, a Gaussian blur of 1 px 0.2–0.5, of 1.5 px
 * 0.09–0.2, of 2 px or more under 0.13.
 */
export const MIN_DETAIL_RATIO = 0.15;

/** Major check: fine detail is present, i.e. the image is not blurred or out of focus. */
export function judgeSharpness(stats: PixelStats): JudgeResult {
  const d = stats.detail;
  const score = round(d.detailRatioP75, 4);
  const evidence = [
    `detail_ratio_p75=${score}`,
    `detail_ratio_median=${round(d.detailRatioMedian, 4)}`,
    `laplacian_variance=${round(d.laplacianVariance, 1)}`,
    `tiles_measured=${d.tilesMeasured}/${d.tilesTotal}`,
    `analysed_at=${stats.analysedWidth}x${stats.analysedHeight}`,
  ];
  const base = {
    name: 'sharpness',
    description:
      'Major check: fine detail relative to contrast (variance of the Laplacian over variance of luma, per 32 px tile, at up to 1024 px).',
    category: 'technical',
    weight: 2,
    severity: 'major' as const,
    evidence,
    promptFix: 'sharp focus, crisp fine details',
  };
  if (d.tilesMeasured === 0) {
    return {
      ...base,
      passed: false,
      confidence: 0.9,
      reasoning: 'No region of the image has enough structure to judge focus: it is nearly uniform.',
      subPoints: { detail_ratio_p75: { passed: false, value: 0, limit: `>= ${MIN_DETAIL_RATIO}` } },
      issues: [{ category: 'technical', subcategory: 'no_detail', detail: 'The image is nearly uniform; there is no detail in focus.' }],
      issueLabel: 'No visible detail: the image is nearly uniform',
    };
  }
  const passed = d.detailRatioP75 >= MIN_DETAIL_RATIO;
  return {
    ...base,
    passed,
    confidence: confidenceFromMargin(d.detailRatioP75, MIN_DETAIL_RATIO),
    reasoning: passed
      ? `Detail ratio ${score} (needs ${MIN_DETAIL_RATIO}): edges and fine texture are crisp.`
      : `Detail ratio ${score} is below ${MIN_DETAIL_RATIO}: edges are soft and fine detail is missing, as in a blurred or out-of-focus image (Laplacian variance ${round(d.laplacianVariance, 1)}).`,
    subPoints: { detail_ratio_p75: { passed, value: score, limit: `>= ${MIN_DETAIL_RATIO}` } },
    issues: passed
      ? []
      : [{ category: 'technical', subcategory: 'blur', detail: `Soft focus: detail ratio ${score}, minimum ${MIN_DETAIL_RATIO}.` }],
    issueLabel: 'Image is blurry',
  };
}
