import type { PixelStats } from '../pixels.js';
import { confidenceFromMargin, round, type JudgeResult } from './types.js';

/**
 * Highest passing blockiness (steps across the 8 px grid over steps elsewhere; measures/blockiness.ts
 * `blockiness`). Calibrated on the eight calibration photographs (see sharpness.ts) at
 * 512–2560 px: PNG and JPEG q75–q90 read 0.97–2.5 (dark or blurred JPEGs highest), JPEG
 * quality 3 reads 7.9–61.
 */
export const MAX_BLOCKINESS = 4;

/** Major check: no heavy compression artefacts (JPEG's 8×8 blocks showing). */
export function judgeCompression(stats: PixelStats): JudgeResult {
  const b = stats.blockiness;
  const value = round(b, 2);
  const passed = b <= MAX_BLOCKINESS;
  return {
    name: 'compression_artifacts',
    description: `Major check: blockiness (steps on the 8 px JPEG grid over steps elsewhere) at most ${MAX_BLOCKINESS}.`,
    category: 'technical',
    passed,
    confidence: confidenceFromMargin(Math.max(b, 0.1), MAX_BLOCKINESS),
    weight: 1,
    severity: 'major',
    reasoning: passed
      ? `No visible compression blocks: blockiness ${value} (limit ${MAX_BLOCKINESS}).`
      : `Heavy compression: the 8×8 block grid shows, blockiness ${value} (limit ${MAX_BLOCKINESS}).`,
    evidence: [`blockiness=${value}`, `format=${stats.format}`],
    subPoints: { blockiness: { passed, value, limit: `<= ${MAX_BLOCKINESS}` } },
    issues: passed
      ? []
      : [{ category: 'technical', subcategory: 'compression_artifacts', detail: `JPEG blocks visible: blockiness ${value}.` }],
    issueLabel: `Compression artefacts: blockiness ${value} (max ${MAX_BLOCKINESS})`,
    promptFix: 'high quality, no compression artifacts',
  };
}
