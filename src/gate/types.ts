import type { Evaluation } from '../api/types.js';

/** One row of the gate's `--json` document (SPEC §5), in input order. */
export interface GateResult {
  /** The input as the user gave it (path, URL or id), never the data: URI sent for it. */
  image: string;
  evaluation_id: string | null;
  status_code: string | null;
  overall_passed: boolean | null;
  weighted_pass_rate: number | null;
  threshold: number;
  passed: boolean;
  failure_code: string | null;
  top_issues: string[];
  cost: string | null;
  /** Ids of earlier attempts resubmitted after a transient failure (only when there were some). */
  previous_ids?: string[];
  /**
   * True when the evaluation was read back from the submission record instead of being created
   * (and billed) by this run (SPEC §3 "Reruns, spend and the cache"). Absent otherwise.
   */
  reused?: boolean;
  /** A client-side error for this input (e.g. a 4xx on submit), when there is no evaluation. */
  error?: { code: string; message: string; exit_code: number };
  /** The input's client_ref (what a later `--baseline` matches on), when it has one. */
  client_ref?: string;
  /** With --baseline: the matched baseline result, or null when the image is new. */
  baseline?: ResultBaseline | null;
  /** With --baseline: score now minus the baseline's, or null when either is missing. */
  delta?: number | null;
  /** With --baseline and --max-drop: the score fell by more than the bound, or a pass became a fail. */
  regressed?: boolean;
  /** With --runs N > 1: every evaluation of this image, in run order (score and cost above are the aggregate and the sum). */
  runs?: RunSummary[];
}

/** One run of an image evaluated several times (SPEC §5). */
export interface RunSummary {
  evaluation_id: string | null;
  status_code: string | null;
  overall_passed: boolean | null;
  weighted_pass_rate: number | null;
  cost: string | null;
  /** True when this run was read back from the submission record (not billed again). Absent otherwise. */
  reused?: boolean;
}

/** The baseline side of one result (SPEC §5). */
export interface ResultBaseline {
  evaluation_id: string | null;
  weighted_pass_rate: number | null;
  passed: boolean;
}

/** The document's `"baseline"` (SPEC §5): the first six keys are the contract, the rest add detail. */
export interface BaselineSummary {
  file: string;
  matched: number;
  new: number;
  missing: number;
  /** Images that regressed. */
  regressed: number;
  /** Mean change of the score over matched images that have a score in both runs. */
  mean_delta: number | null;
  mean: number | null;
  baseline_mean: number | null;
  /** The mean fell by more than --max-mean-drop. */
  mean_regressed: boolean;
  max_drop: number | null;
  max_mean_drop: number | null;
  /** Images not in the baseline. */
  new_images: string[];
  /** Baseline images this run did not gate. */
  missing_images: string[];
}

export interface GateCounts {
  total: number;
  passed: number;
  /** Completed but below the bar (verdict false or score under threshold). */
  failed: number;
  /** Evaluation ended `failed`, or an API error for this input. */
  errored: number;
  /** Still pending/running when the deadline passed. */
  timed_out: number;
  /** Stopped by Ctrl-C/SIGTERM: `interrupted` (sent, unfinished) or `not_submitted` (never sent). */
  interrupted: number;
  /** Results read back from the submission record: evaluations this run did not pay for. */
  reused: number;
}

/** The gate's `--json` document (SPEC §5). Key order here is the order printed. */
export interface GateReport {
  passed: boolean;
  exit_code: number;
  threshold: number;
  counts: GateCounts;
  /** Sum of the results' costs, a decimal string. */
  cost: string;
  results: GateResult[];
  /** Files a folder passed over (not named as images), as the user would type them; only when some were. */
  skipped?: string[];
  /** The slice this document covers, under --shard (so `gate merge` can check it has every shard once). */
  shard?: { index: number; count: number };
  /** With --baseline: how this run compares with the earlier one. */
  baseline?: BaselineSummary;
}

/**
 * What a reporter may know beyond the JSON document, aligned with `report.results` by index.
 * Missing for `gate merge`, so reporters must work from the report alone.
 */
export interface GateResultExtra {
  /** The last evaluation record seen, with judges/action/gate_failures when fetched. */
  evaluation?: Evaluation;
  /** Absolute path of a local image file, for thumbnails. */
  localPath?: string;
}
