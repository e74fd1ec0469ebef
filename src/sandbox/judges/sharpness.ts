import type { PixelStats } from '../pixels.js';
import { confidenceFromMargin, round, type JudgeResult } from './types.js';

/**
 * Widest passing edge width (px, the blur sigma of the sharpest tenth of edges in the second
 * widest direction; measures/edges.ts `edgeStats`). Calibrated on eight nature photographs of Debian's
 * mate-backgrounds (Aqua, Blinds, Dune, FreshFlower, GreenMeadow, RainDrops, Storm, YellowFlower)
 * at 512–2560 px, PNG and JPEG q90: clean photos read 0.3–1.02 px (the softest: FreshFlower at
 * its native 1600 px), a Gaussian blur of σ2 reads 0.95–2.3 px.
 */
export const MAX_EDGE_WIDTH = 1.05;
/**
 * Blur also empties the finest octave of detail (measures/bands.ts `bandStats.fineRatio`): clean photos
 * keep 0.25–1.1 of the next octave's energy there when their edges are wider than
 * `CRISP_EDGE_WIDTH`, blurred ones 0.10–0.24. Storm, a photo of smooth sky with crisp edges,
 * keeps only 0.13 but its edges read 0.3–0.56 px: crisp edges clear an image of this check.
 */
export const MIN_FINE_RATIO = 0.22;
export const CRISP_EDGE_WIDTH = 0.6;

/**
 * A comb of spectral zeros deeper than this (measures/motion.ts `motionStats.score`, natural-log power)
 * is a straight smear: camera shake during the exposure. Calibrated on the eight calibration
 * photographs at 512–2560 px, PNG and JPEG q90 (plus, for clean ones, 300–2048 px as PNG and
 * JPEG q75/q95, 512–2560 px as JPEG q40–q75, and the demo fixtures): clean photos read −0.55 to
 * 0 (the deepest: Blinds at 400–640 px, whose slats repeat evenly, −0.55 to −0.38; every other
 * photo ≥ −0.37, the fixtures ≥ −0.38; the held-out four ≥ −0.04), a Gaussian blur
 * of σ2 ≥ −0.27 (−0.24 saved as JPEG q75); a 9 px diagonal streak −2.25 to 0, below this limit in
 * 42 of 64, while 17 of the other 22 (large JPEGs, where rounding fills the zeros) fail the edge
 * or fine-detail rule.
 */
export const MAX_MOTION_COMB = -0.65;

/** The spectrum along one direction shows a straight smear's zeros. */
export function showsMotionStreak(stats: PixelStats): boolean {
  return stats.motion.score < MAX_MOTION_COMB;
}

/** Fine detail is missing although the edges are not crisp: the image is soft at the pixel scale. */
export function lacksFineDetail(stats: PixelStats): boolean {
  return stats.bands.fineRatio < MIN_FINE_RATIO && stats.edges.width > CRISP_EDGE_WIDTH;
}

/** Major check: edges are crisp at the image's own size, i.e. it is not blurred or out of focus. */
export function judgeSharpness(stats: PixelStats): JudgeResult {
  const { edges, bands } = stats;
  const width = round(edges.width, 3);
  const fine = round(bands.fineRatio, 3);
  const evidence = [
    `edge_width_px=${Number.isFinite(width) ? width : 'none'}`,
    `edge_width_by_direction=${edges.byDirection.map((w) => (w === null ? '-' : round(w, 2))).join('/')}`,
    `fine_detail_ratio=${fine}`,
    `motion_comb=${round(stats.motion.score, 2)}${stats.motion.direction === null ? '' : ` at ${stats.motion.direction}° over ${round(stats.motion.length ?? 0, 1)} px`}`,
    `strong_edges=${edges.edges}`,
    `tiles_measured=${edges.tilesMeasured}`,
    `analysed_at=${stats.analysedWidth}x${stats.analysedHeight}`,
  ];
  const base = {
    name: 'sharpness',
    description: `Major check: the sharpest edges are at most ${MAX_EDGE_WIDTH} px wide (blur sigma by re-blurring, at full size, in four directions), the finest detail is not missing, and no straight motion streak shows in the spectrum.`,
    category: 'technical',
    weight: 2,
    severity: 'major' as const,
    evidence,
    promptFix: 'sharp focus, crisp fine details',
  };
  if (!Number.isFinite(edges.width)) {
    return {
      ...base,
      passed: false,
      confidence: 0.9,
      reasoning: 'No region of the image has enough edges to judge focus: it is nearly uniform.',
      subPoints: { edge_width: { passed: false, value: 'no edges', limit: `<= ${MAX_EDGE_WIDTH} px` } },
      issues: [{ category: 'technical', subcategory: 'no_detail', detail: 'The image is nearly uniform; there is no detail in focus.' }],
      issueLabel: 'No visible detail: the image is nearly uniform',
    };
  }
  const edgesOk = edges.width <= MAX_EDGE_WIDTH;
  const fineOk = !lacksFineDetail(stats);
  const motionOk = !showsMotionStreak(stats);
  const { motion } = stats;
  const comb = round(motion.score, 2);
  const passed = edgesOk && fineOk && motionOk;
  const confidence = !edgesOk
    ? confidenceFromMargin(edges.width, MAX_EDGE_WIDTH)
    : !fineOk
      ? confidenceFromMargin(Math.max(bands.fineRatio, 0.001), MIN_FINE_RATIO)
      : !motionOk
        ? confidenceFromMargin(-motion.score, -MAX_MOTION_COMB)
        : confidenceFromMargin(MAX_EDGE_WIDTH, Math.max(edges.width, 0.01));
  const why = !edgesOk
    ? `the sharpest edges are ${width} px wide (limit ${MAX_EDGE_WIDTH} px)`
    : !fineOk
      ? `the finest detail is missing (fine detail ratio ${fine}, needs ${MIN_FINE_RATIO} when edges are wider than ${CRISP_EDGE_WIDTH} px; edges ${width} px)`
      : `a straight motion streak of about ${round(motion.length ?? 0, 1)} px at ${motion.direction}° shows in the spectrum (comb depth ${comb}, limit ${MAX_MOTION_COMB})`;
  return {
    ...base,
    passed,
    confidence,
    reasoning: passed
      ? `Edges are crisp: the sharpest are ${width} px wide (limit ${MAX_EDGE_WIDTH} px), fine detail ratio ${fine}.`
      : `Soft at the pixel scale: ${why}, as in a blurred, shaken or out-of-focus image.`,
    subPoints: {
      edge_width: { passed: edgesOk, value: width, limit: `<= ${MAX_EDGE_WIDTH} px` },
      fine_detail: { passed: fineOk, value: fine, limit: `>= ${MIN_FINE_RATIO} unless edges <= ${CRISP_EDGE_WIDTH} px` },
      motion_streak: { passed: motionOk, value: comb, limit: `>= ${MAX_MOTION_COMB}` },
    },
    issues: passed ? [] : [{ category: 'technical', subcategory: 'blur', detail: `Soft focus: ${why}.` }],
    issueLabel: 'Image is blurry',
  };
}
