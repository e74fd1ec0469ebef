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
 * Centred 2× trace (measures/resample.ts `resampleStats.centred`, the smaller of its x and y
 * readings) at or above which the image is taken as enlarged the centred way (PIL, OpenCV: no
 * output pixel is a source pixel, so the period-2 parity above reads 0.000–0.012). Calibrated
 * (issue 17, session 4b, /tmp/s4/cent/sweep2.mjs) on the eight calibration photographs of
 * sharpness.ts: 480 clean variants, 300 px to native, PNG and JPEG q40–q95, read at most 0.113
 * (RainDrops at 768 px as q40; as PNG, q90 or q95 at most 0.062); enlarged 2× by centred bicubic
 * (Keys a = −0.5, PIL's BICUBIC) from half size to 512–2560 px, 58 of 80 reach the limit (up to
 * 0.84; missed: Storm, whose x axis reads 0, and one axis of Green Meadow, Blinds, FreshFlower
 * and RainDrops in some sizes). Held-out four: clean at most 0.147 (Wood at 300 px as q60) below
 * a strong JPEG grid, enlarged 0.25–0.81, all 40 caught. Blurs read up to 0.205 (already failing
 * by their fine detail); the drawn demo scenes 0.
 */
export const MAX_CENTRED_TRACE = 0.2;
/**
 * Heavy JPEG quantisation raises the centred trace of clean photographs too: the held-out Wood at
 * 300–512 px as q40 read 0.17–0.26 (blockiness 1.99–2.11; calibration photographs at or above this
 * grid at most 0.132). Where the grid is this strong (`blockiness`, measures/blockiness.ts) the
 * limit is MAX_CENTRED_TRACE_STRONG_GRID instead. Set after seeing Wood, so not a held-out
 * result: enlargements with so strong a grid read 0–0.42 (caught: Garden at 2560 px as q90 0.35,
 * TwoWings and Wood at 512 px as q40 0.40–0.42).
 */
export const STRONG_JPEG_GRID = 1.9;
export const MAX_CENTRED_TRACE_STRONG_GRID = 0.3;

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
  const centred = round(stats.resample.centred, 3);
  const wide = stats.edges.width > MAX_DETAIL_EDGE_WIDTH;
  const resampled = stats.resample.parity >= MAX_RESAMPLE_PARITY;
  const centredLimit = stats.blockiness >= STRONG_JPEG_GRID ? MAX_CENTRED_TRACE_STRONG_GRID : MAX_CENTRED_TRACE;
  const centredUp = stats.resample.centred >= centredLimit;
  const empty = lacksFineDetail(stats);
  const failed = empty || wide || resampled || centredUp;
  // Only a resampling trace failed: the detail rules passed, so this is an enlargement, not a blur.
  const traceOnly = (resampled || centredUp) && !wide && !empty;
  const size = `${stats.width}×${stats.height}`;
  const why = wide
    ? `the sharpest edges are ${Number.isFinite(width) ? `${width} px` : 'nowhere'} wide (limit ${MAX_DETAIL_EDGE_WIDTH} px)`
    : empty
      ? `the finest octave holds ${fine} of the next one's energy (needs ${MIN_FINE_RATIO}) and edges are ${width} px wide`
      : resampled
        ? `every other pixel is interpolated (period-2 trace ${parity}, limit ${MAX_RESAMPLE_PARITY}), as after a 2× enlargement`
        : `neighbouring pixels alternate in pairs (centred 2× trace ${centred}, limit ${centredLimit}), as after a 2× enlargement between pixel centres`;
  return {
    name: 'effective_resolution',
    description: `Major check: detail at the pixel scale (finest octave at least ${MIN_FINE_RATIO} of the next unless edges are crisp; edges at most ${MAX_DETAIL_EDGE_WIDTH} px wide; no period-2 or centred 2× interpolation trace), so an enlarged small image is caught.`,
    category: 'technical',
    passed: !failed,
    confidence: failed ? 0.8 : 0.9,
    weight: 1,
    severity: 'major',
    reasoning: failed
      ? `${size} pixels without matching detail: ${why}, as in an image enlarged from a smaller one${traceOnly ? '' : ' (or blurred)'}.`
      : `${size} with detail at the pixel scale: fine detail ratio ${fine}, edges ${Number.isFinite(width) ? `${width} px` : 'none'}, period-2 trace ${parity}, centred 2× trace ${centred}.`,
    evidence: [
      `fine_detail_ratio=${fine}`,
      `edge_width_px=${Number.isFinite(width) ? width : 'none'}`,
      `crisp_edge_width_px=${CRISP_EDGE_WIDTH}`,
      `resample_parity=${parity} (x ${round(stats.resample.parityX, 3)}, y ${round(stats.resample.parityY, 3)})`,
      `centred_trace=${centred} (x ${round(stats.resample.centredX, 3)}, y ${round(stats.resample.centredY, 3)})`,
    ],
    subPoints: {
      fine_detail: { passed: !empty, value: fine, limit: `>= ${MIN_FINE_RATIO} unless edges <= ${CRISP_EDGE_WIDTH} px` },
      edge_width: { passed: !wide, value: Number.isFinite(width) ? width : 'no edges', limit: `<= ${MAX_DETAIL_EDGE_WIDTH} px` },
      resampling_trace: { passed: !resampled, value: parity, limit: `< ${MAX_RESAMPLE_PARITY}` },
      centred_resampling_trace: { passed: !centredUp, value: centred, limit: `< ${centredLimit}` },
    },
    issues: failed
      ? [{ category: 'technical', subcategory: 'upscaled', detail: `Pixels without detail: ${size} looks enlarged from a smaller image (${why}).` }]
      : [],
    issueLabel: `Low effective resolution: ${size} looks enlarged (${traceOnly ? (resampled ? `period-2 trace ${parity}` : `centred 2× trace ${centred}`) : `fine detail ratio ${fine}`})`,
    // The same words as sharpness: a prompt cannot ask for resolution, only for the detail it shows.
    promptFix: 'sharp focus, crisp fine details',
  };
}
