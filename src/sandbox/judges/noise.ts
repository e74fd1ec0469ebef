import type { PixelStats } from '../pixels.js';
import { confidenceFromMargin, round, type JudgeResult } from './types.js';

/**
 * Highest passing noise sigma (grey levels; measures/bands.ts `bandStats.noiseSigma`, read in the
 * smoothest fifth of the image). Calibrated on the eight calibration photographs (see
 * sharpness.ts) at 512–2560 px, PNG and JPEG: clean photos read 0–1.4 (dense grass and leaf
 * texture included), the same with Gaussian noise of σ25 added 11.5–20.6. 5 sits between, where
 * grain starts to show on flat areas.
 */
export const MAX_NOISE_SIGMA = 5;

/** Major check: flat areas are not covered in sensor-like noise or grain. */
export function judgeNoise(stats: PixelStats): JudgeResult {
  const sigma = stats.bands.noiseSigma;
  const value = round(sigma, 2);
  const passed = sigma <= MAX_NOISE_SIGMA;
  return {
    name: 'noise',
    description: `Major check: noise in the smoothest areas at most ${MAX_NOISE_SIGMA} grey levels (robust MAD estimate on the finest wavelet band).`,
    category: 'technical',
    passed,
    confidence: confidenceFromMargin(Math.max(sigma, 0.1), MAX_NOISE_SIGMA),
    weight: 1,
    severity: 'major',
    reasoning: passed
      ? `Clean: noise of about ${value} grey levels in the smoothest areas (limit ${MAX_NOISE_SIGMA}).`
      : `Noisy: about ${value} grey levels of noise even in the smoothest areas (limit ${MAX_NOISE_SIGMA}), like sensor noise at high ISO.`,
    evidence: [`noise_sigma=${value}`, `tiles_measured=${stats.bands.tilesMeasured}`],
    subPoints: { noise_sigma: { passed, value, limit: `<= ${MAX_NOISE_SIGMA}` } },
    issues: passed ? [] : [{ category: 'technical', subcategory: 'noise', detail: `Visible noise: sigma ${value} grey levels in flat areas.` }],
    issueLabel: `Noisy image: noise sigma ${value} (max ${MAX_NOISE_SIGMA})`,
    promptFix: 'clean, noise-free image',
  };
}
