import { setMaxListeners } from 'node:events';
import type { RunflowClient } from '../api/client.js';
import type { Evaluation } from '../api/types.js';
import { TRANSIENT_FAILURES } from '../api/types.js';
import type { Clock } from '../clock.js';
import { CliError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import type { AssetCache } from '../images/asset-cache.js';
import { isTerminal, isTransientPollError } from '../poll.js';
import { postEvaluation } from '../api/evaluations.js';
import { buildRequest, type PreparedSubmission } from '../submission.js';
import { decideResult } from './decide.js';
import { DurationModel, gatePollDelay } from './durations.js';
import type { GateInput } from './inputs-types.js';
import { FirstContact, isUnreachable, unreachableError } from './first-contact.js';
import { AdaptiveLimiter } from './limiter.js';
import type { GateResult, GateResultExtra } from './types.js';

/** A gate input ready to run: validated, with its own threshold. */
export interface PlannedInput {
  input: GateInput;
  prepared?: PreparedSubmission;
  threshold: number;
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
  /** --concurrency: the most evaluations in flight at once. */
  concurrencyCap: number;
  /** --retry-failed: resubmissions after a transient failure. */
  retryFailed: number;
  /** --interval: a fixed poll interval instead of the adaptive schedule. */
  intervalMs?: number;
  forceUpload?: boolean;
  resubmit?: boolean;
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

class DeadlineReached extends Error {
  constructor() {
    super('deadline reached');
    this.name = 'DeadlineReached';
  }
}

/**
 * Submits every input, polls every evaluation, and decides each result. Runs concurrently under
 * an adaptive in-flight limit; results stay in input order whatever order evaluations finish in.
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
  let unreachable = false;
  /** Nothing ever answered and this error says nothing can connect: stop everything, one message. */
  const checkUnreachable = (err: unknown): boolean => {
    if (contact.reached || stopError || !isUnreachable(err)) return false;
    unreachable = true;
    stopError = unreachableError(err as CliError, planned.length);
    unreachableCtl.abort(stopError);
    return true;
  };
  const limiter = new AdaptiveLimiter({ initial: Math.min(opts.concurrencyCap, 8), cap: opts.concurrencyCap });
  const model = new DurationModel();
  const results: GateResult[] = new Array(planned.length);
  const exitCodes: number[] = new Array(planned.length);
  const extras: GateResultExtra[] = planned.map((p) => ({
    localPath: p.prepared?.image.kind === 'file' ? p.prepared.image.absPath : undefined,
  }));
  const submittedIds: string[] = [];
  let accepted = 0;
  let done = 0;
  let passedCount = 0;
  /** Set by a 401/402/403: nothing more is submitted. */
  let stopError: CliError | undefined;
  /** Raised when X-RateLimit-Remaining runs low, to space polls out. */
  let pollSlowdown = 1;

  const progress = () =>
    opts.onProgress?.({ done, total: planned.length, inFlight: accepted, passed: passedCount, limit: limiter.limit });

  /** After a 429 on a poll, every poll waits until then: the request budget is shared. */
  let pollsPausedUntil = 0;

  const onResponse = (info: { status: number; headers: Record<string, string> }) => {
    contact.markReached();
    if (info.status === 429) {
      const retryAfter = Number(info.headers['retry-after']);
      const pauseMs = Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter * 1000, 32_000) : 1000;
      pollsPausedUntil = Math.max(pollsPausedUntil, clock.now() + pauseMs);
      pollSlowdown = Math.min(pollSlowdown * 2, 8);
      return;
    }
    const remaining = Number(info.headers['x-ratelimit-remaining']);
    const limit = Number(info.headers['x-ratelimit-limit']);
    if (Number.isFinite(remaining) && Number.isFinite(limit) && limit > 0) {
      pollSlowdown = remaining < limit * 0.1 ? 3 : remaining < limit * 0.25 ? 1.5 : 1;
    } else if (pollSlowdown > 1) {
      // Calls succeed again: ease back towards the normal schedule.
      pollSlowdown = Math.max(1, pollSlowdown / 1.25);
    }
  };

  const settle = (index: number, decided: { result: GateResult; exitCode: number }, evaluation?: Evaluation) => {
    results[index] = decided.result;
    exitCodes[index] = decided.exitCode;
    if (evaluation) extras[index].evaluation = evaluation;
    done++;
    if (decided.result.passed) passedCount++;
    progress();
  };

  /** Polls one evaluation until terminal; throws on abort/deadline or a non-transient error. */
  const pollUntilTerminal = async (id: string, startedAt: number, immediate: boolean, latest: { record?: Evaluation }) => {
    for (let poll = 0; ; poll++) {
      const delay = immediate && poll === 0 ? 0 : gatePollDelay(immediate ? poll - 1 : poll, model.expectedMs(), opts.intervalMs) * pollSlowdown;
      if (delay > 0) await clock.sleep(delay, runSignal);
      const paused = pollsPausedUntil - clock.now();
      if (paused > 0) await clock.sleep(paused, runSignal);
      try {
        const { record } = await opts.fetchEvaluation(id, opts.embed, runSignal, onResponse);
        latest.record = record;
        if (isTerminal(record)) {
          model.observe(record, clock.now() - startedAt);
          return record;
        }
      } catch (err) {
        if (runSignal.aborted) throw runSignal.reason;
        if (checkUnreachable(err)) throw err;
        if (!isTransientPollError(err)) throw err;
        opts.debug?.(`poll of ${id} failed, will retry: ${(err as Error).message}`);
      }
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
      const record = await pollUntilTerminal(p.input.id, clock.now(), true, latest);
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

  const runSubmission = async (index: number, p: PlannedInput) => {
    const previousIds: string[] = [];
    let lastRecord: Evaluation | undefined;
    for (let attempt = 0; ; attempt++) {
      let holding = false;
      let counted = false;
      let probe = false;
      const latest: { record?: Evaluation } = {};
      try {
        probe = await contact.turn(runSignal);
        await limiter.acquire(runSignal);
        holding = true;
        if (stopError) throw stopError;
        const built = await buildRequest(p.prepared!, {
          client: opts.client,
          cache: opts.cache,
          baseUrl: opts.baseUrl,
          orgId: opts.orgId,
          forceUpload: opts.forceUpload,
          resubmit: opts.resubmit && attempt === 0,
          // A resubmission gets its own key, derived so that rerunning the gate resumes it too.
          keySuffix: attempt > 0 ? `-retry${attempt}` : undefined,
          signal: runSignal,
        });
        const submitted = await postEvaluation(opts.client, built, {
          deadline: opts.deadline,
          signal: runSignal,
          onRateLimited: () => limiter.onRateLimited(accepted),
          onResponse: () => contact.markReached(),
        });
        contact.markReached();
        const id = submitted.record.id as string;
        accepted++;
        counted = true;
        limiter.onSuccess();
        submittedIds.push(id);
        latest.record = submitted.record;
        progress();
        const startedAt = clock.now();
        const record = isTerminal(submitted.record) ? await withDetail(submitted.record) : await pollUntilTerminal(id, startedAt, false, latest);
        lastRecord = record;
        const transient = record.status_code === 'failed' && TRANSIENT_FAILURES.includes(String(record.failure_code));
        if (transient && attempt < opts.retryFailed) {
          opts.debug?.(`${p.input.display}: ${id} failed with ${record.failure_code}; resubmitting`);
          previousIds.push(id);
          continue;
        }
        settle(index, decideResult({ image: p.input.display, threshold: p.threshold, evaluation: record, state: 'terminal', previousIds }), record);
        return;
      } catch (err) {
        if (err instanceof CliError && err.status !== undefined) contact.markReached();
        checkUnreachable(err);
        if (err instanceof CliError && err.exitCode === ExitCode.Auth && !stopError) {
          // 401/402/403: every further submission would fail the same way (and a 402 means no credit).
          stopError = err;
        }
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
  }
  const interrupted = opts.signal.aborted;
  const fatal = stopError && (submittedIds.length === 0 || unreachable) ? stopError : undefined;
  return { results, exitCodes, extras, submittedIds, interrupted, fatal };
}
