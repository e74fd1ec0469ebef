/**
 * The `gate --json` report of one bench run. The gate prints it whatever the exit code, and 1
 * (some image below the bar) is fine here: the bench measures the run, not the verdicts.
 */
export function parseGate(run, sandbox) {
  if (run.code !== 0 && run.code !== 1) {
    throw new Error(`gate exited ${run.code}: ${run.stderr.slice(0, 500)}; ${sandbox.describe()}`);
  }
  return JSON.parse(run.stdout);
}

/** Every image got a verdict: no errors, nothing still pending at the deadline. */
export function assertAllEvaluated(report, expected) {
  const { counts } = report;
  if (counts.total !== expected || counts.errored || counts.timed_out) {
    throw new Error(`gate did not evaluate every image: ${JSON.stringify(counts)}`);
  }
}
