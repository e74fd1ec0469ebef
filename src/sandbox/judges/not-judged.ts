import type { JudgeResult } from './types.js';

export const NOT_JUDGED = ['prompt_adherence', 'semantic_content', 'identity'] as const;
export const OFFLINE_NOTE =
  'The sandbox judges technical quality from pixels only; prompt adherence and semantic judging are not done offline.';

/**
 * Says in the judges list itself, where people read, that the prompt was not checked. It has no
 * verdict (`passed: null`) and weight 0, so it never moves the score: faking one would be worse.
 */
export function judgePromptAdherenceNotDone(prompt: string | null): JudgeResult {
  return {
    name: 'prompt_adherence',
    description: 'Not judged offline: whether the image shows what the prompt and task ask for.',
    category: 'not_judged',
    passed: null,
    confidence: 0,
    weight: 0,
    severity: 'info',
    reasoning: `${OFFLINE_NOTE} ${prompt ? 'The generation prompt was recorded but not compared with the image.' : 'No generation prompt was sent.'} Run against the Runflow service for prompt adherence, content and identity judging.`,
    evidence: [],
    subPoints: {},
    issues: [],
  };
}
