import type { PixelStats } from '../pixels.js';
import { CRISP_EDGE_WIDTH, lacksFineDetail, MIN_FINE_RATIO } from './sharpness.js';
import { round, type JudgeResult } from './types.js';

/**
 * Edges this wide (px) carry no pixel-scale detail whatever the bands say: JPEG noise can refill
 * the finest octave of an image enlarged 10×. Clean calibration photographs read at most 1.02 px,
 * images enlarged 4× or more from 256 px 1.1–2.4 px.
 */
export const MAX_DETAIL_EDGE_WIDTH = 1.5;
/**
 * Period-2 trace of a 2× enlargement (measures/resample.ts `resampleStats.parity`) at or above which the
 * image is taken as enlarged. A 2× enlargement keeps edges and fine detail inside the clean range
 * (both rules above miss it), but every other pixel is interpolated. Calibrated on the eight
 * calibration photographs of sharpness.ts, 300–2560 px (and native size), PNG and JPEG q40–q95:
 * clean read 0–0.017 (the most: Aqua at 300 px as JPEG q90; FreshFlower at its native 1600 px as
 * q40, 0.016), enlarged 2× from 256 px read 0.069–0.41 (the least: Blinds at 512 px as JPEG q90);
 * the limit is near their geometric mean (0.034), a factor of 2 from each. Held-out four: clean
 * ≤ 0.019 (Garden at 300 px), 2× 0.065–0.29. Larger enlargements leave less of the trace (4×
 * 0.007–0.051, 6× and more ≤ 0.038) and are left to the detail rules; blur and motion read ≤ 0.009.
 */
export const MAX_RESAMPLE_PARITY = 0.035;

/**
 * Major check: the pixels carry detail, i.e. the image was not enlarged from a smaller one. An
 * enlargement (or a blur) leaves the finest octave almost empty (measures/bands.ts `bandStats`): a
 * photograph at its own resolution keeps 0.25–1.1 of the next octave's energy there; enlarged
 * 2× from 256 px, 0.17–0.37, and 4× or more, 0.11–0.27 (the calibration photographs of
 * sharpness.ts). Images whose edges are crisp (≤ CRISP_EDGE_WIDTH px) have their detail.
 */
export function judgeEffectiveResolution(stats: PixelStats): JudgeResult {
  const fine = round(stats.bands.fineRatio, 3);
  const width = round(stats.edges.width, 3);
  const parity = round(stats.resample.parity, 3);
  const wide = stats.edges.width > MAX_DETAIL_EDGE_WIDTH;
  const resampled = stats.resample.parity >= MAX_RESAMPLE_PARITY;
  const empty = lacksFineDetail(stats);
  const failed = empty || wide || resampled;
  const size = `${stats.width}×${stats.height}`;
  const why = wide
    ? `the sharpest edges are ${Number.isFinite(width) ? `${width} px` : 'nowhere'} wide (limit ${MAX_DETAIL_EDGE_WIDTH} px)`
    : empty
      ? `the finest octave holds ${fine} of the next one's energy (needs ${MIN_FINE_RATIO}) and edges are ${width} px wide`
      : `every other pixel is interpolated (period-2 trace ${parity}, limit ${MAX_RESAMPLE_PARITY}), as after a 2× enlargement`;
  return {
    name: 'effective_resolution',
    description: `Major check: detail at the pixel scale (finest octave at least ${MIN_FINE_RATIO} of the next unless edges are crisp; edges at most ${MAX_DETAIL_EDGE_WIDTH} px wide; no period-2 interpolation trace), so an enlarged small image is caught.`,
    category: 'technical',
    passed: !failed,
    confidence: failed ? 0.8 : 0.9,
    weight: 1,
    severity: 'major',
    reasoning: failed
      ? `${size} pixels without matching detail: ${why}, as in an image enlarged from a smaller one${resampled && !wide && !empty ? '' : ' (or blurred)'}.`
      : `${size} with detail at the pixel scale: fine detail ratio ${fine}, edges ${Number.isFinite(width) ? `${width} px` : 'none'}, period-2 trace ${parity}.`,
    evidence: [
      `fine_detail_ratio=${fine}`,
      `edge_width_px=${Number.isFinite(width) ? width : 'none'}`,
      `crisp_edge_width_px=${CRISP_EDGE_WIDTH}`,
      `resample_parity=${parity} (x ${round(stats.resample.parityX, 3)}, y ${round(stats.resample.parityY, 3)})`,
    ],
    subPoints: {
      fine_detail: { passed: !empty, value: fine, limit: `>= ${MIN_FINE_RATIO} unless edges <= ${CRISP_EDGE_WIDTH} px` },
      edge_width: { passed: !wide, value: Number.isFinite(width) ? width : 'no edges', limit: `<= ${MAX_DETAIL_EDGE_WIDTH} px` },
      resampling_trace: { passed: !resampled, value: parity, limit: `< ${MAX_RESAMPLE_PARITY}` },
    },
    issues: failed
      ? [{ category: 'technical', subcategory: 'upscaled', detail: `Pixels without detail: ${size} looks enlarged from a smaller image (${why}).` }]
      : [],
    issueLabel: `Low effective resolution: ${size} looks enlarged (${resampled && !wide && !empty ? `period-2 trace ${parity}` : `fine detail ratio ${fine}`})`,
    // The same words as sharpness: a prompt cannot ask for resolution, only for the detail it shows.
    promptFix: 'sharp focus, crisp fine details',
  };
}
