import type { PixelStats } from '../pixels.js';
import { judgeAspectRatio } from './aspect-ratio.js';
import { judgeCompression } from './compression.js';
import { judgeContrast } from './contrast.js';
import { judgeDecode } from './decode.js';
import { judgeEffectiveResolution } from './effective-resolution.js';
import { judgeExposure } from './exposure.js';
import { judgeNoise } from './noise.js';
import { judgePromptAdherenceNotDone } from './not-judged.js';
import { judgeReference, type ReferenceInfo } from './reference.js';
import { judgeResolution } from './resolution.js';
import { judgeSharpness } from './sharpness.js';
import type { JudgeResult } from './types.js';

export type { JudgeResult, Severity, IssueDraft, SubPoint } from './types.js';

export interface JudgeInput {
  image: PixelStats;
  /** MIME type the request declared (from a data: URI or an upload), if any. */
  declaredMime: string | null;
  references: Array<{ stats: PixelStats } & ReferenceInfo>;
  attributes: Record<string, unknown>;
  prompt: string | null;
}

/** Every sandbox judge, in the order they are reported. Deterministic for the same input. */
export function runJudges(input: JudgeInput): JudgeResult[] {
  return [
    judgeDecode(input.image, input.declaredMime),
    judgeResolution(input.image, input.attributes),
    judgeEffectiveResolution(input.image),
    judgeSharpness(input.image),
    judgeExposure(input.image),
    judgeContrast(input.image),
    judgeCompression(input.image),
    judgeNoise(input.image),
    judgeAspectRatio(input.image, input.attributes),
    ...input.references.map((ref) => judgeReference(input.image, ref.stats, ref)),
    judgePromptAdherenceNotDone(input.prompt),
  ];
}
