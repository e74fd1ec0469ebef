import { aggregateRuns, earnsMoreRuns, runKeySuffix, type RepeatOptions } from './repeats.js';
import { countsAsFailure } from './failure-window.js';
import type { FailureTally, GateRunOptions, GateRunOutcome, PlannedInput } from './run-types.js';
import type { GateResult, GateResultExtra } from './types.js';

type RunGate = (planned: PlannedInput[], opts: GateRunOptions) => Promise<GateRunOutcome>;

/**
 * Runs the gate with `--runs N` (SPEC §3 gate "Repeats"): each submitted input becomes N
 * evaluations for the scheduler (run k keyed `<key>-run<k>`, so a rerun resumes every run), and
 * each input's runs are folded back into one result, in input order. Inputs that are not
 * submitted (`--id`) are gated once.
 *
 * With --runs-within an input's further runs wait for its first run: they are sent as soon as its
 * score lands within the margin of its threshold, and left out when it does not (one pass, so an
 * image near the bar does not wait for the slowest first run of the others).
 */
export async function runRepeated(planned: PlannedInput[], opts: GateRunOptions, repeat: RepeatOptions, runGate: RunGate): Promise<GateRunOutcome> {
  if (repeat.runs <= 1) return runGate(planned, opts);
  const repeats = (p: PlannedInput) => p.input.kind === 'submit';
  /** Runs each input gets at most. */
  const runsOf = (p: PlannedInput) => (repeats(p) ? repeat.runs : 1);
  /** --runs-within: whether an input's further runs are wanted, known once its first run settles. */
  const wanted = planned.map(() => {
    let decide!: (go: boolean) => void;
    const promise = new Promise<boolean>((resolve) => (decide = resolve));
    // Every first run settles (runGate settles every entry), so each promise is decided.
    return { promise, decide, go: undefined as boolean | undefined };
  });
  /** For each input, where its runs sit in the scheduler's list, in run order. */
  const slots: number[][] = planned.map(() => []);
  const owners: number[] = [];
  const runNumbers: number[] = [];
  const list: PlannedInput[] = [];
  planned.forEach((p, i) => {
    for (let k = 1; k <= runsOf(p); k++) {
      slots[i]!.push(list.length);
      owners.push(i);
      runNumbers.push(k);
      if (k === 1) list.push(p);
      else list.push({ ...p, keySuffix: runKeySuffix(k), ...(repeat.within !== undefined ? { when: wanted[i]!.promise } : {}) });
    }
  });
  /** A further run --runs-within left out: not sent, and not one of the image's runs. */
  const skipped = (index: number) => runNumbers[index]! > 1 && wanted[owners[index]!]!.go === false;

  // --max-failures counts images, not runs: an image counts once all the runs it will get have
  // settled and they fold into a failure (a run below the bar may still be outvoted by the others).
  const settledRuns: Array<Array<{ result: GateResult; exitCode: number }>> = planned.map(() => []);
  let failedImages = 0;
  // Progress counts images, as the gate's first line did, not evaluations; in flight stays
  // evaluations.
  let doneImages = 0;
  let passedImages = 0;
  const failures: FailureTally = {
    perImage: repeat.runs,
    settled(index, result, exitCode) {
      const i = owners[index]!;
      const p = planned[i]!;
      if (runNumbers[index] === 1 && repeats(p) && repeat.within !== undefined) {
        // Under --runs-within an image far from its threshold gets its first run only.
        const w = wanted[i]!;
        w.go = earnsMoreRuns(result, repeat.within);
        w.decide(w.go);
      }
      if (skipped(index)) return;
      const runs = settledRuns[i]!;
      runs.push({ result, exitCode });
      const total = !repeats(p) || wanted[i]!.go === false ? 1 : repeat.runs;
      if (runs.length < total) return;
      const folded = repeats(p) ? aggregateRuns(runs, repeat.aggregate) : runs[0]!;
      if (countsAsFailure(folded.result, folded.exitCode)) failedImages++;
      doneImages++;
      if (folded.result.passed === true) passedImages++;
    },
    get count() {
      return failedImages;
    },
  };
  const onProgress = opts.onProgress;
  if (repeat.within !== undefined) {
    opts.debug?.(`--runs-within ${repeat.within}: further runs only for images whose first score is near their threshold`);
  }
  const outcome = await runGate(list, {
    ...opts,
    failures,
    onProgress: onProgress && ((s) => onProgress({ ...s, done: doneImages, total: planned.length, passed: passedImages })),
  });

  const results: GateResult[] = [];
  const exitCodes: number[] = [];
  const extras: GateResultExtra[] = [];
  planned.forEach((p, i) => {
    const runs = slots[i]!
      .filter((index) => !skipped(index))
      .map((index) => ({ result: outcome.results[index]!, exitCode: outcome.exitCodes[index]!, extra: outcome.extras[index]! }));
    if (!repeats(p)) {
      results.push(runs[0]!.result);
      exitCodes.push(runs[0]!.exitCode);
      extras.push(runs[0]!.extra);
      return;
    }
    const folded = aggregateRuns(runs, repeat.aggregate);
    results.push(folded.result);
    exitCodes.push(folded.exitCode);
    extras.push(runs[folded.representative]!.extra);
  });
  return { ...outcome, results, exitCodes, extras };
}
