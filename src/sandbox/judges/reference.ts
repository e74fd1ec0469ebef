import { correlation, histogramIntersection } from '../measures/summaries.js';
import type { PixelStats } from '../pixels.js';
import { confidenceFromMargin, round, type JudgeResult } from './types.js';

/** Lowest passing similarity (0–1): the same picture scores about 1, unrelated ones under 0.4. */
export const MIN_REFERENCE_SIMILARITY = 0.6;

export interface ReferenceInfo {
  index: number;
  kind: string | null;
  description: string | null;
}

export interface Similarity {
  colour: number;
  structure: number;
  score: number;
}

/**
 * Half colour (RGB histogram intersection), half layout (correlation of 32×32 grey thumbnails,
 * negative correlation counted as none). Both ignore size, so a reference at another resolution
 * compares fairly.
 */
export function similarity(a: PixelStats, b: PixelStats): Similarity {
  const colour = histogramIntersection(a.colourHistogram, b.colourHistogram);
  const structure = Math.max(0, correlation(a.thumbnail, b.thumbnail));
  return { colour, structure, score: 0.5 * colour + 0.5 * structure };
}

/** Major check: the image resembles reference image N in colours and layout. */
export function judgeReference(image: PixelStats, reference: PixelStats, info: ReferenceInfo): JudgeResult {
  const s = similarity(image, reference);
  const score = round(s.score, 4);
  const passed = s.score >= MIN_REFERENCE_SIMILARITY;
  const n = info.index + 1;
  const what = [info.kind, info.description].filter(Boolean).join(': ');
  const label = `reference ${n}${what ? ` (${what})` : ''}`;
  return {
    name: `reference_similarity_${n}`,
    description: `Major check: pixel similarity to ${label}, at least ${MIN_REFERENCE_SIMILARITY}. Compares colours and layout only; it does not recognise identity, garments or objects.`,
    category: 'reference',
    passed,
    confidence: confidenceFromMargin(Math.max(s.score, 0.01), MIN_REFERENCE_SIMILARITY),
    weight: 1,
    severity: 'major',
    reasoning: `Similarity to ${label} is ${score} (colour histogram overlap ${round(s.colour, 3)}, layout correlation ${round(s.structure, 3)}); ${passed ? 'it' : 'it does not'} meet${passed ? 's' : ''} the ${MIN_REFERENCE_SIMILARITY} minimum. Identity and garment matching are not judged offline.`,
    evidence: [
      `similarity=${score}`,
      `colour_overlap=${round(s.colour, 4)}`,
      `layout_correlation=${round(s.structure, 4)}`,
      `reference_size=${reference.width}x${reference.height}`,
    ],
    subPoints: {
      colour_overlap: { passed: s.colour >= MIN_REFERENCE_SIMILARITY, value: round(s.colour, 4), limit: 'part of the score' },
      layout_correlation: { passed: s.structure >= MIN_REFERENCE_SIMILARITY, value: round(s.structure, 4), limit: 'part of the score' },
    },
    issues: passed
      ? []
      : [{ category: 'reference', subcategory: 'dissimilar', detail: `Low similarity to ${label}: ${score} (minimum ${MIN_REFERENCE_SIMILARITY}).` }],
    issueLabel: `Does not resemble ${label}: similarity ${score}`,
    promptFix: `matching the colours and composition of ${label}`,
  };
}
