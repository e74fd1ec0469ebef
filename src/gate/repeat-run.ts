import { aggregateRuns, earnsMoreRuns, runKeySuffix, type RepeatOptions } from './repeats.js';
import { countsAsFailure, type FailureTally, type GateRunOptions, type GateRunOutcome, type PlannedInput } from './run.js';
import type { GateResult, GateResultExtra } from './types.js';

type RunGate = (planned: PlannedInput[], opts: GateRunOptions) => Promise<GateRunOutcome>;

/**
 * Runs the gate with `--runs N` (SPEC §3 gate "Repeats"): each submitted input becomes N
 * evaluations for the scheduler (run k keyed `<key>-run<k>`, so a rerun resumes every run), and
 * each input's runs are folded back into one result, in input order. Inputs that are not
 * submitted (`--id`) are gated once.
 *
 * With --runs-within the first runs go alone; only inputs whose first score lands within the
 * margin of their threshold get the further runs, in a second pass.
 */
export async function runRepeated(planned: PlannedInput[], opts: GateRunOptions, repeat: RepeatOptions, runGate: RunGate): Promise<GateRunOutcome> {
  if (repeat.runs <= 1) return runGate(planned, opts);
  const repeats = (p: PlannedInput) => p.input.kind === 'submit';
  /** For each input, where its runs sit in the outcomes, in run order: [pass, index]. */
  const slots: Array<Array<[pass: number, index: number]>> = planned.map(() => []);
  const passes: GateRunOutcome[] = [];
  /** The input each entry of the pass being run belongs to. */
  let owners: number[] = [];

  const expand = (runsFor: (p: PlannedInput, i: number) => number[]) => {
    const list: PlannedInput[] = [];
    owners = [];
    planned.forEach((p, i) => {
      for (const k of runsFor(p, i)) {
        slots[i]!.push([passes.length, list.length]);
        owners.push(i);
        list.push(k > 1 ? { ...p, keySuffix: runKeySuffix(k) } : p);
      }
    });
    return list;
  };

  // --max-failures counts images, not runs: an image counts once all the runs it will get have
  // settled and they fold into a failure (a run below the bar may still be outvoted by the others).
  const settledRuns: Array<Array<{ result: GateResult; exitCode: number }>> = planned.map(() => []);
  let failedImages = 0;
  // Progress counts images, as the gate's first line did, not evaluations (and runs on across
  // the two passes of --runs-within instead of starting again); in flight stays evaluations.
  let doneImages = 0;
  let passedImages = 0;
  const failures: FailureTally & { perImage: number } = {
    perImage: repeat.runs,
    settled(index, result, exitCode) {
      const i = owners[index]!;
      const runs = settledRuns[i]!;
      runs.push({ result, exitCode });
      const p = planned[i]!;
      // Under --runs-within an image far from its threshold gets its first run only.
      const total = !repeats(p) || (repeat.within !== undefined && runs.length === 1 && !earnsMoreRuns(result, repeat.within)) ? 1 : repeat.runs;
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
  opts = {
    ...opts,
    failures,
    onProgress: onProgress && ((s) => onProgress({ ...s, done: doneImages, total: planned.length, passed: passedImages })),
  };
  const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, j) => from + j);

  if (repeat.within === undefined) {
    passes.push(await runGate(expand((p) => range(1, repeats(p) ? repeat.runs : 1)), opts));
  } else {
    failures.perImage = 1;
    passes.push(await runGate(expand(() => [1]), opts));
    const first = passes[0]!;
    if (!first.interrupted && !first.fatal) {
      const more = expand((p, i) => (repeats(p) && earnsMoreRuns(first.results[i]!, repeat.within) ? range(2, repeat.runs) : []));
      if (more.length) {
        opts.debug?.(`--runs-within ${repeat.within}: ${more.length} further evaluations for images near their threshold`);
        failures.perImage = repeat.runs - 1;
        passes.push(await runGate(more, opts));
      }
    }
  }

  const results: GateResult[] = [];
  const exitCodes: number[] = [];
  const extras: GateResultExtra[] = [];
  planned.forEach((p, i) => {
    const runs = slots[i]!.map(([pass, index]) => ({
      result: passes[pass]!.results[index]!,
      exitCode: passes[pass]!.exitCodes[index]!,
      extra: passes[pass]!.extras[index]!,
    }));
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
  return {
    ...passes[0]!,
    results,
    exitCodes,
    extras,
    submittedIds: passes.flatMap((o) => o.submittedIds),
    interrupted: passes.some((o) => o.interrupted),
    fatal: passes[0]!.fatal,
  };
}
