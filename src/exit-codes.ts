/**
 * The one exit-code table (SPEC §4). Every other module refers to these names; nothing else
 * decides what number a process ends with.
 */
export const ExitCode = {
  Success: 0,
  GateFailed: 1,
  Usage: 2,
  EvaluationFailed: 3,
  Auth: 4,
  Api: 5,
  Timeout: 6,
  Interrupted: 130,
  /** SIGTERM (a CI runner cancelling the job): stops as Ctrl-C does; 128 + 15 as shells report it. */
  Terminated: 143,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODE_TABLE: ReadonlyArray<{ code: ExitCodeValue; meaning: string }> = [
  { code: 0, meaning: 'success; for `gate`, every image passed' },
  { code: 1, meaning: '`gate`: at least one image fell below the bar (verdict false or score under threshold)' },
  { code: 2, meaning: 'usage or bad input; refused before sending anything' },
  { code: 3, meaning: 'an evaluation ended `failed` (its `failure_code` is printed)' },
  { code: 4, meaning: 'credentials, permission or credit: 401, 403, 402, or no key' },
  { code: 5, meaning: 'any other API or network error: other 4xx, 5xx or connection failure after retries, a response that is not the JSON expected' },
  { code: 6, meaning: 'the wait deadline passed while an evaluation was still pending or running (the id is printed)' },
  { code: 130, meaning: 'interrupted (Ctrl-C); the ids submitted so far are printed' },
  { code: 143, meaning: 'terminated (SIGTERM): stops as Ctrl-C does' },
];

/**
 * For a gate over many images: the first of 130, 2, 4, 5, 6, 3, 1, 0 that applies wins (143, a
 * SIGTERM, stands where 130 does).
 */
export const GATE_PRECEDENCE: readonly number[] = [143, 130, 2, 4, 5, 6, 3, 1, 0];

export function worstExitCode(codes: Iterable<number>): number {
  const seen = new Set(codes);
  for (const code of GATE_PRECEDENCE) if (seen.has(code)) return code;
  return ExitCode.Success;
}
