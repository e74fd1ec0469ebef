/**
 * What the gate's scheduler (run.ts) is given and gives back: the planned inputs, the run's
 * options, its progress and its outcome.
 */
import type { RunflowClient } from '../api/client.js';
import type { SubmissionRecord } from '../cache/submission-record.js';
import type { Clock } from '../clock.js';
import type { CliError } from '../errors.js';
import type { KeyOptions } from '../evaluations/keys.js';
import type { PreparedSubmission } from '../evaluations/spec.js';
import type { AssetCache } from '../images/asset-cache.js';
import type { RequestBudget } from './budget.js';
import type { GateInput } from './inputs-types.js';
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
