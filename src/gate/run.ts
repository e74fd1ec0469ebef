import { setMaxListeners } from 'node:events';
import type { RunflowClient } from '../api/client.js';
import type { Evaluation } from '../api/types.js';
import { TRANSIENT_FAILURES } from '../api/types.js';
import type { Clock } from '../clock.js';
import { CliError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import type { AssetCache } from '../images/asset-cache.js';
import { isTerminal, isTransientPollError } from '../evaluations/poll.js';
import { postEvaluation } from '../api/evaluations.js';
import type { SubmissionRecord } from '../cache/submission-record.js';
import type { KeyOptions } from '../evaluations/keys.js';
import { buildRequest } from '../evaluations/request.js';
import { noteSubmitted, readRecorded, type ReuseOptions } from '../evaluations/reuse.js';
import type { PreparedSubmission } from '../evaluations/spec.js';
import { decideResult, INTERRUPTED, NOT_SUBMITTED } from './decide.js';
import { RequestBudget } from './budget.js';
import { CompletionModel, type Tracked } from './durations.js';
import type { GateInput } from './inputs-types.js';
import { FirstContact, isUnreachable, unreachableError } from './first-contact.js';
import { AdaptiveLimiter } from './limiter.js';
import { WaitQueue } from '../util/wait-queue.js';
import type { GateResult, GateResultExtra } from './types.js';

/** A gate input ready to run: validated, with its own threshold. */
export interface PlannedInput {
  input: GateInput;
  prepared?: PreparedSubmission;
  threshold: number;
  /** Appended to the submission's idempotency key: `-run2` for the second of --runs (none for the first). */
  keySuffix?: string;
  /**
   * Submitted only once this resolves true; false means the entry turned out not to be needed
   * (--runs-within: an image's further runs wait for its first score). A skipped entry sends
   * nothing and is settled `not_submitted`; the caller that made it leaves it out.
   */
  when?: Promise<boolean>;
}

export interface GateRunOptions {
  client: RunflowClient;
  clock: Clock;
  /** Ctrl-C. */
  signal: AbortSignal;
  /** Absolute deadline of the whole gate (clock time). */
  deadline: number;
  baseUrl: string;
  orgId?: string;
  cache?: AssetCache;
  /** --concurrency: the most evaluations submitted and unfinished at once. */
  concurrencyCap: number;
  /** --retry-failed: resubmissions after a transient failure. */
  retryFailed: number;
  /** --interval: a fixed poll interval instead of the adaptive schedule. */
  intervalMs?: number;
  forceUpload?: boolean;
  resubmit?: boolean;
  /** --idempotency-key: the key itself, or a prefix of each image's (commands/gate.ts decides). */
  keys?: KeyOptions;
  /** The submission record: recorded evaluations are read back instead of posted (none under --sandbox). */
  record?: SubmissionRecord;
  /** --max-failures: once this many images failed or errored, nothing more is submitted. */
  maxFailures?: number;
  /**
   * Counts the failed images for --max-failures as entries settle. Default: each entry is an
   * image. With --runs an image is several entries, and repeat-run.ts counts it once, when its
   * runs fold into a failed result.
   */
  failures?: FailureTally;
  /** Ask for judges/action/gate_failures on polls (for reports that show them). */
  embed?: string;
  fetchEvaluation: (
    id: string,
    embed: string | undefined,
    signal: AbortSignal,
    onResponse: (info: { status: number; headers: Record<string, string> }) => void,
  ) => Promise<{ record: Evaluation }>;
  onProgress?: (state: GateProgress) => void;
  debug?: (line: string) => void;
  /** The request budget every request of the command shares; a fresh one when absent. */
  budget?: RequestBudget;
}

export interface GateProgress {
  done: number;
  total: number;
  inFlight: number;
  passed: number;
  limit: number;
}

export interface GateRunOutcome {
  results: GateResult[];
  exitCodes: number[];
  extras: GateResultExtra[];
  /** Every evaluation id this run created or picked up, in submission order. */
  submittedIds: string[];
  interrupted: boolean;
  /** An auth/credit error that stopped the gate before anything was submitted. */
  fatal?: CliError;
}

/** What --max-failures counts (see GateRunOptions.failures). */
export interface FailureTally {
  /** An entry of this run settled (index into the planned list given to runGate). */
  settled(index: number, result: GateResult, exitCode: number): void;
  /** Images failed so far. */
  readonly count: number;
  /** Evaluations one image makes in this run (`--runs`): the --max-failures window scales by it. @default 1 */
  readonly perImage?: number;
}

/**
 * Whether a decided result counts towards --max-failures: a quality fail or an error. Unfinished
 * ones (timed out, interrupted) and those never sent do not: they say nothing about the images.
 */
export function countsAsFailure(result: GateResult, exitCode: number): boolean {
  const unfinished = exitCode === ExitCode.Timeout || exitCode === ExitCode.Interrupted || exitCode === ExitCode.Terminated;
  return exitCode !== ExitCode.Success && !unfinished && result.status_code !== NOT_SUBMITTED && result.status_code !== INTERRUPTED;
}

/** The default tally: every entry is an image. */
function entryTally(): FailureTally {
  let count = 0;
  return {
    settled(_index, result, exitCode) {
      if (countsAsFailure(result, exitCode)) count++;
    },
    get count() {
      return count;
    },
  };
}

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
 * in-flight limit (limiter.ts); polls go where completions are due (durations.ts). Results stay
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

  /**
   * --max-failures also bounds what a broken run spends before its failures come in: the
   * submissions unfinished at once are held to the failures still allowed (times the runs an image
   * makes) plus the evaluations passed so far. A run broken from the start so pays for N images,
   * not for a whole --concurrency's worth sent before the first verdict; a healthy one opens up as
   * its images pass (it doubles each round, up to the in-flight limit).
   */
  const windowed = new Set<number>();
  /** Entries waiting for room (each by its index), first come first served. */
  const windowQueue = new WaitQueue<number>();
  const windowRoom = () => {
    if (opts.maxFailures === undefined || failures.count >= opts.maxFailures) return Infinity;
    return (opts.maxFailures - failures.count) * (failures.perImage ?? 1) + passedCount;
  };
  const admitWaiting = () => {
    for (let next = windowQueue.head; next !== undefined && windowed.size < windowRoom(); next = windowQueue.head) {
      windowed.add(next);
      windowQueue.wakeNext();
    }
  };
  const enterWindow = async (index: number) => {
    if (windowQueue.length === 0 && windowed.size < windowRoom()) {
      windowed.add(index);
      return;
    }
    await windowQueue.wait(runSignal, index);
  };

  const progress = () =>
    opts.onProgress?.({ done, total: planned.length, inFlight: accepted, passed: passedCount, limit: limiter.limit });

  /** Rate limits and their headers are the budget's business (client pacer); this notes contact. */
  const onResponse = () => contact.markReached();

  /** Sleeps until `at()` (recomputed whenever the model's estimates move). */
  const sleepUntil = async (at: () => number) => {
    for (;;) {
      const ms = at() - clock.now();
      if (ms <= 0) return;
      const changed = model.changed;
      const ctl = new AbortController();
      const onAbort = () => ctl.abort(runSignal.reason);
      runSignal.addEventListener('abort', onAbort, { once: true });
      const sleeping = clock.sleep(ms, ctl.signal);
      sleeping.catch(() => undefined);
      try {
        await Promise.race([sleeping, changed]);
      } finally {
        runSignal.removeEventListener('abort', onAbort);
        ctl.abort();
      }
      runSignal.throwIfAborted();
    }
  };

  const settle = (index: number, decided: { result: GateResult; exitCode: number }, evaluation?: Evaluation) => {
    results[index] = decided.result;
    exitCodes[index] = decided.exitCode;
    failures.settled(index, decided.result, decided.exitCode);
    if (evaluation) extras[index].evaluation = evaluation;
    done++;
    if (decided.result.passed) passedCount++;
    if (opts.maxFailures !== undefined) {
      windowed.delete(index);
      admitWaiting();
    }
    progress();
  };

  /** Polls one evaluation until terminal; throws on abort/deadline or a non-transient error. */
  const pollUntilTerminal = async (id: string, tracked: Tracked, immediate: boolean, latest: { record?: Evaluation }) => {
    try {
      for (let poll = 0; ; poll++) {
        if (!(immediate && poll === 0)) await sleepUntil(() => model.nextPollAt(tracked));
        try {
          const { record } = await opts.fetchEvaluation(id, opts.embed, runSignal, onResponse);
          latest.record = record;
          const terminal = isTerminal(record);
          model.observe(tracked, record, terminal);
          const enough = model.enoughInFlight();
          if (enough !== undefined) limiter.setEnough(enough);
          if (terminal) return record;
        } catch (err) {
          if (runSignal.aborted) throw runSignal.reason;
          if (checkUnreachable(err)) throw err;
          if (!isTransientPollError(err)) throw err;
          tracked.lastPollAt = clock.now();
          tracked.polls++;
          opts.debug?.(`poll of ${id} failed, will retry: ${(err as Error).message}`);
        }
      }
    } finally {
      model.untrack(tracked);
    }
  };

  /**
   * A replayed POST (a rerun) can answer with an evaluation that already finished, but a POST
   * never carries the embedded detail; the reports that asked for it (judges, action…) need it.
   */
  const withDetail = async (record: Evaluation): Promise<Evaluation> => {
    const wanted = (opts.embed ?? '').split(',').map((e) => e.trim()).filter((e) => e && e !== 'none');
    if (!wanted.some((name) => record[name] === undefined)) return record;
    try {
      return (await opts.fetchEvaluation(record.id as string, opts.embed, runSignal, onResponse)).record;
    } catch (err) {
      if (runSignal.aborted) throw err;
      opts.debug?.(`could not fetch the detail of ${record.id}: ${(err as Error).message}; reporting without it`);
      return record;
    }
  };

  const runExisting = async (index: number, p: PlannedInput & { input: { kind: 'id' } }) => {
    const latest: { record?: Evaluation } = {};
    submittedIds.push(p.input.id);
    try {
      const record = await pollUntilTerminal(p.input.id, model.track(), true, latest);
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
        if (attempt === 0 && opts.maxFailures !== undefined) await enterWindow(index);
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
          read: (recorded) => opts.fetchEvaluation(recorded, opts.embed, runSignal, onResponse),
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
            await sleepUntil(() => (model.finished > finishedBefore ? 0 : until));
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
        const record = isTerminal(submitted.record) ? await withDetail(submitted.record) : await pollUntilTerminal(id, tracked, false, latest);
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
