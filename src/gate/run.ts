/**
 * The gate's scheduler: submits every input, polls every evaluation and decides each result,
 * under one request budget (budget.ts), an adaptive in-flight limit (limiter.ts), one prober
 * until the service answers (first-contact.ts) and the --max-failures window
 * (failure-window.ts); when to poll is pacing.ts.
 */
import { setMaxListeners } from 'node:events';
import { postEvaluation } from '../api/evaluations.js';
import type { Evaluation } from '../api/types.js';
import { TRANSIENT_FAILURES } from '../api/types.js';
import { CliError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { isTerminal } from '../evaluations/poll.js';
import { buildRequest } from '../evaluations/request.js';
import { noteSubmitted, readRecorded, type ReuseOptions } from '../evaluations/reuse.js';
import { RequestBudget } from './budget.js';
import { decideResult } from './decide.js';
import { CompletionModel } from './durations.js';
import { entryTally, FailureWindow } from './failure-window.js';
import { FirstContact, isUnreachable, unreachableError } from './first-contact.js';
import { AdaptiveLimiter } from './limiter.js';
import { Pacing } from './pacing.js';
import type { GateRunOptions, GateRunOutcome, PlannedInput } from './run-types.js';
import type { GateResult, GateResultExtra } from './types.js';

/** The promise's value, or the signal's reason once it aborts first. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

class DeadlineReached extends Error {
  constructor() {
    super('deadline reached');
    this.name = 'DeadlineReached';
  }
}

/**
 * Submits every input, polls every evaluation, and decides each result. Every request shares one
 * adaptive request budget (budget.ts); submissions keep the service's queue fed up to an adaptive
 * in-flight limit (limiter.ts); polls go where completions are due (pacing.ts, durations.ts). Results stay
 * in input order whatever order evaluations finish in.
 */
export async function runGate(planned: PlannedInput[], opts: GateRunOptions): Promise<GateRunOutcome> {
  const { clock } = opts;
  const deadlineCtl = new AbortController();
  const deadlineTimer = setTimeout(() => deadlineCtl.abort(new DeadlineReached()), Math.max(0, opts.deadline - clock.now()));
  // Aborted when the service proves unreachable: the probe's retries said it all.
  const unreachableCtl = new AbortController();
  const runSignal = AbortSignal.any([opts.signal, deadlineCtl.signal, unreachableCtl.signal]);
  // Every in-flight request and sleep listens on it: thousands of listeners are expected.
  setMaxListeners(0, runSignal, deadlineCtl.signal, opts.signal, unreachableCtl.signal);
  const contact = new FirstContact();
  // Any answer counts, an upload step's included, not only the POST's.
  void opts.client.whenResponded?.().then(() => contact.markReached());
  let unreachable = false;
  /** Nothing ever answered and this error says nothing can connect: stop everything, one message. */
  const checkUnreachable = (err: unknown): boolean => {
    if (contact.reached || stopError || !isUnreachable(err)) return false;
    unreachable = true;
    stopError = unreachableError(err as CliError, planned.length);
    unreachableCtl.abort(stopError);
    return true;
  };
  const limiter = new AdaptiveLimiter({ initial: Math.min(opts.concurrencyCap, 8), cap: opts.concurrencyCap, clock });
  const model = new CompletionModel({ now: () => clock.now(), fixedIntervalMs: opts.intervalMs });
  // The command's own requests before the gate (price, balance) may already have used it.
  const budget = opts.budget ?? new RequestBudget({ clock, debug: opts.debug });
  opts.client.setPacer(budget);
  const results: GateResult[] = new Array(planned.length);
  const exitCodes: number[] = new Array(planned.length);
  const extras: GateResultExtra[] = planned.map((p) => ({
    localPath: p.prepared?.image.kind === 'file' ? p.prepared.image.absPath : undefined,
  }));
  const submittedIds: string[] = [];
  let accepted = 0;
  /** Submissions sent and not answered yet: the service may be holding them already. */
  let posting = 0;
  let done = 0;
  let passedCount = 0;
  /** Set by a 401/402/403: nothing more is submitted. */
  let stopError: CliError | undefined;
  /** Images that failed or errored so far, for --max-failures. */
  const failures = opts.failures ?? entryTally();

  const failureWindow = opts.maxFailures === undefined ? undefined : new FailureWindow(opts.maxFailures, failures, () => passedCount);

  const progress = () =>
    opts.onProgress?.({ done, total: planned.length, inFlight: accepted, passed: passedCount, limit: limiter.limit });

  const pacing = new Pacing({
    client: opts.client,
    clock,
    signal: runSignal,
    model,
    limiter,
    embed: opts.embed,
    debug: opts.debug,
    // Rate limits and their headers are the budget's business (client pacer); this notes contact.
    onResponse: () => contact.markReached(),
    unreachable: (err) => checkUnreachable(err),
  });

  const settle = (index: number, decided: { result: GateResult; exitCode: number }, evaluation?: Evaluation) => {
    results[index] = decided.result;
    exitCodes[index] = decided.exitCode;
    failures.settled(index, decided.result, decided.exitCode);
    if (evaluation) extras[index]!.evaluation = evaluation;
    done++;
    if (decided.result.passed) passedCount++;
    failureWindow?.leave(index);
    progress();
  };

  const runExisting = async (index: number, p: PlannedInput & { input: { kind: 'id' } }) => {
    const latest: { record?: Evaluation } = {};
    submittedIds.push(p.input.id);
    try {
      const record = await pacing.pollUntilTerminal(p.input.id, model.track(), true, latest);
      settle(index, decideResult({ image: p.input.display, threshold: p.threshold, evaluation: record, state: 'terminal' }), record);
    } catch (err) {
      settle(index, failureOutcome(p, err, latest.record, undefined), latest.record);
    }
  };

  const failureOutcome = (p: PlannedInput, err: unknown, record: Evaluation | undefined, previousIds: string[] | undefined) => {
    if (runSignal.aborted) {
      // Ctrl-C/SIGTERM rather than the deadline: the results say so, not "timed out".
      const interrupted = opts.signal.aborted;
      const state = record ? (interrupted ? 'interrupted' : 'pending') : 'not_submitted';
      return decideResult({ image: p.input.display, threshold: p.threshold, evaluation: record, state, previousIds, interrupted });
    }
    const cli = err instanceof CliError ? err : undefined;
    const error = {
      code: cli?.code ?? 'error',
      message: err instanceof Error ? err.message : String(err),
      exit_code: cli?.exitCode ?? ExitCode.Api,
    };
    return decideResult({ image: p.input.display, threshold: p.threshold, evaluation: record, state: 'error', error, previousIds });
  };

  /** Inputs whose first submission has not been answered yet: when none is left, the run drains. */
  let unsent = planned.filter((p) => p.input.kind !== 'id').length;
  if (unsent === 0) model.drain();

  const runSubmission = async (index: number, p: PlannedInput) => {
    let sent = false;
    const markSent = () => {
      if (sent) return;
      sent = true;
      if (--unsent === 0) model.drain();
    };
    const previousIds: string[] = [];
    let lastRecord: Evaluation | undefined;
    let reused = false;
    for (let attempt = 0; ; attempt++) {
      let holding = false;
      let counted = false;
      let probe = false;
      const latest: { record?: Evaluation } = {};
      try {
        if (attempt === 0 && p.when && !(await untilAborted(p.when, runSignal))) {
          markSent();
          settle(index, decideResult({ image: p.input.display, threshold: p.threshold, state: 'not_submitted' }));
          return;
        }
        if (attempt === 0 && failureWindow) await failureWindow.enter(index, runSignal);
        probe = await contact.turn(runSignal);
        await limiter.acquire(runSignal);
        holding = true;
        if (stopError) throw stopError;
        if (opts.maxFailures !== undefined && failures.count >= opts.maxFailures) {
          // --max-failures: a run this broken stops spending. A transient failure's resubmission
          // is not made either; its last attempt stands.
          opts.debug?.(`${p.input.display}: not submitted, --max-failures ${opts.maxFailures} reached`);
          // The reason travels as the result's error, exit code 1: the failures that stopped the
          // gate decide its exit code, here and in `gate merge`, not the images never sent.
          const error = { code: 'MAX_FAILURES', message: `not submitted: ${failures.count} images had failed or errored (--max-failures ${opts.maxFailures})`, exit_code: ExitCode.GateFailed };
          const decided = lastRecord
            ? decideResult({ image: p.input.display, threshold: p.threshold, evaluation: lastRecord, state: 'terminal', previousIds: previousIds.slice(0, -1) })
            : decideResult({ image: p.input.display, threshold: p.threshold, state: 'stopped', error });
          settle(index, decided, lastRecord);
          return;
        }
        const built = await buildRequest(p.prepared!, {
          client: opts.client,
          cache: opts.cache,
          baseUrl: opts.baseUrl,
          orgId: opts.orgId,
          forceUpload: opts.forceUpload,
          // Under --resubmit every attempt gets a fresh key: a key derived from the content would
          // hand back the resubmission an earlier --resubmit run made, not a new attempt.
          resubmit: opts.resubmit,
          ...opts.keys,
          // A resubmission gets its own key, derived so that rerunning the gate resumes it too.
          keySuffix: `${p.keySuffix ?? ''}${attempt > 0 ? `-retry${attempt}` : ''}` || undefined,
          signal: runSignal,
        });
        const reuse: ReuseOptions = {
          record: opts.record,
          bypass: opts.resubmit,
          read: (recorded) => pacing.fetch(recorded),
          debug: opts.debug,
          // A rate-limited or failing read is retried like a poll, until the gate's deadline.
          patience: { clock, deadline: opts.deadline, signal: runSignal },
        };
        // A recorded evaluation is read back instead of posted (and paid) again.
        let submitted: { record: Evaluation } | undefined = await readRecorded(built, reuse);
        reused = submitted !== undefined;
        while (!submitted) {
          let deferMs: number | undefined;
          posting++;
          try {
            submitted = await postEvaluation(opts.client, built, {
              deadline: opts.deadline,
              signal: runSignal,
              // A request-rate 429 is the budget's business (retried here, paced). An in-flight
              // refusal lowers the in-flight limit and gives the slot back: the submission is sent
              // again (same key) once one of ours finishes, or after the Retry-After.
              onRateLimited: (info) => {
                if (!budget.lastSubmit429WasInflight) return;
                // The service held ours that it had accepted, and may hold those still being
                // answered (sent just before this one): counting only the accepted would set
                // the limit one or two below the service's whenever a replacement was on its
                // way, and lose those slots for the seconds until the limit probes up again.
                limiter.onRateLimited(accepted + posting - 1);
                deferMs = info.retryAfterMs ?? 1000;
                return 'return';
              },
              onResponse: () => contact.markReached(),
            });
            posting--;
            noteSubmitted(built, submitted.record, reuse);
            break;
          } catch (err) {
            posting--;
            if (deferMs === undefined || !(err instanceof CliError) || err.status !== 429) throw err;
            if (clock.now() + deferMs >= opts.deadline) throw err;
            limiter.release();
            holding = false;
            const finishedBefore = model.finished;
            const until = clock.now() + deferMs;
            await pacing.sleepUntil(() => (model.finished > finishedBefore ? 0 : until));
            await limiter.acquire(runSignal);
            holding = true;
          }
        }
        contact.markReached();
        const id = submitted.record.id as string;
        accepted++;
        counted = true;
        limiter.onSuccess();
        submittedIds.push(id);
        markSent();
        latest.record = submitted.record;
        progress();
        const tracked = model.track(submitted.record);
        if (isTerminal(submitted.record)) model.untrack(tracked);
        const record = isTerminal(submitted.record) ? await pacing.withDetail(submitted.record) : await pacing.pollUntilTerminal(id, tracked, false, latest);
        lastRecord = record;
        const transient = record.status_code === 'failed' && TRANSIENT_FAILURES.includes(String(record.failure_code));
        if (transient && attempt < opts.retryFailed) {
          opts.debug?.(`${p.input.display}: ${id} failed with ${record.failure_code}; resubmitting`);
          previousIds.push(id);
          continue;
        }
        settle(index, decideResult({ image: p.input.display, threshold: p.threshold, evaluation: record, state: 'terminal', previousIds, reused }), record);
        return;
      } catch (err) {
        if (err instanceof CliError && err.status !== undefined) contact.markReached();
        checkUnreachable(err);
        if (err instanceof CliError && err.exitCode === ExitCode.Auth && !stopError) {
          // 401/402/403: every further submission would fail the same way (and a 402 means no credit).
          stopError = err;
        }
        markSent();
        settle(index, failureOutcome(p, err, latest.record ?? lastRecord, previousIds), latest.record ?? lastRecord);
        return;
      } finally {
        if (probe) contact.handOff();
        if (counted) accepted--;
        if (holding) limiter.release();
      }
    }
  };

  try {
    await Promise.all(
      planned.map((p, index) =>
        p.input.kind === 'id' ? runExisting(index, p as PlannedInput & { input: { kind: 'id' } }) : runSubmission(index, p),
      ),
    );
  } finally {
    clearTimeout(deadlineTimer);
    opts.client.setPacer(undefined);
    const { sent, rateLimited } = budget.stats;
    opts.debug?.(`gate: ${sent} requests, ${rateLimited} answered 429; request rate ${budget.rate.toFixed(1)}/s; ${model.workers} workers estimated`);
  }
  const interrupted = opts.signal.aborted;
  const fatal = stopError && (submittedIds.length === 0 || unreachable) ? stopError : undefined;
  return { results, exitCodes, extras, submittedIds, interrupted, fatal };
}
