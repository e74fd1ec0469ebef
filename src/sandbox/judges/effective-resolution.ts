import type { PixelStats } from '../pixels.js';
import { CRISP_EDGE_WIDTH, lacksFineDetail, MIN_FINE_RATIO } from './sharpness.js';

/**
 * Edges this wide (px) carry no pixel-scale detail whatever the bands say: JPEG noise can refill
 * the finest octave of an image enlarged 10×. Clean calibration photographs read at most 1.02 px,
 * images enlarged 4× or more from 256 px 1.1–2.4 px.
 */
export const MAX_DETAIL_EDGE_WIDTH = 1.5;
import { round, type JudgeResult } from './types.js';

/**
 * Major check: the pixels carry detail, i.e. the image was not enlarged from a smaller one. An
 * enlargement (or a blur) leaves the finest octave almost empty (measure.ts `bandStats`): a
 * photograph at its own resolution keeps 0.25–1.1 of the next octave's energy there; enlarged
 * 2× from 256 px, 0.17–0.37, and 4× or more, 0.11–0.27 (the calibration photographs of
 * sharpness.ts). Images whose edges are crisp (≤ CRISP_EDGE_WIDTH px) have their detail.
 */
export function judgeEffectiveResolution(stats: PixelStats): JudgeResult {
  const fine = round(stats.bands.fineRatio, 3);
  const width = round(stats.edges.width, 3);
  const wide = stats.edges.width > MAX_DETAIL_EDGE_WIDTH;
  const failed = lacksFineDetail(stats) || wide;
  const size = `${stats.width}×${stats.height}`;
  return {
    name: 'effective_resolution',
    description: `Major check: detail at the pixel scale (finest octave at least ${MIN_FINE_RATIO} of the next unless edges are crisp; edges at most ${MAX_DETAIL_EDGE_WIDTH} px wide), so an enlarged small image is caught.`,
    category: 'technical',
    passed: !failed,
    confidence: failed ? 0.8 : 0.9,
    weight: 1,
    severity: 'major',
    reasoning: failed
      ? `${size} pixels without matching detail: ${wide ? `the sharpest edges are ${Number.isFinite(width) ? `${width} px` : 'nowhere'} wide (limit ${MAX_DETAIL_EDGE_WIDTH} px)` : `the finest octave holds ${fine} of the next one's energy (needs ${MIN_FINE_RATIO}) and edges are ${width} px wide`}, as in an image enlarged from a smaller one (or blurred).`
      : `${size} with detail at the pixel scale: fine detail ratio ${fine}, edges ${Number.isFinite(width) ? `${width} px` : 'none'}.`,
    evidence: [`fine_detail_ratio=${fine}`, `edge_width_px=${Number.isFinite(width) ? width : 'none'}`, `crisp_edge_width_px=${CRISP_EDGE_WIDTH}`],
    subPoints: {
      fine_detail: { passed: !lacksFineDetail(stats), value: fine, limit: `>= ${MIN_FINE_RATIO} unless edges <= ${CRISP_EDGE_WIDTH} px` },
      edge_width: { passed: !wide, value: Number.isFinite(width) ? width : 'no edges', limit: `<= ${MAX_DETAIL_EDGE_WIDTH} px` },
    },
    issues: failed
      ? [{ category: 'technical', subcategory: 'upscaled', detail: `Pixels without detail: ${size} looks enlarged from a smaller image (fine detail ratio ${fine}).` }]
      : [],
    issueLabel: `Low effective resolution: ${size} looks enlarged (fine detail ratio ${fine})`,
    // The same words as sharpness: a prompt cannot ask for resolution, only for the detail it shows.
    promptFix: 'sharp focus, crisp fine details',
  };
}
