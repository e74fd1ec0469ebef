/** What each `failure_code` means and what to do (seeds: troubleshooting table and enum). */
export const FAILURE_CODE_HELP: Record<string, string> = {
  invalid_media: 'the image (or a reference) could not be fetched or decoded; check the URL is public https, or upload the file',
  dispatch_failed: 'the evaluation could not be dispatched to the judges (transient); resubmit with --resubmit',
  processing_failed: 'the judges failed while processing the image (billed); resubmit, and contact support if it persists',
  timed_out: 'the evaluation took too long on the server (transient); resubmit with --resubmit',
};

export function explainFailure(code: unknown): string {
  if (typeof code !== 'string' || !code) return 'no failure_code was given';
  return FAILURE_CODE_HELP[code] ?? 'unknown failure code';
}
