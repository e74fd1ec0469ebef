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
  /** A client-side error for this input (e.g. a 4xx on submit), when there is no evaluation. */
  error?: { code: string; message: string; exit_code: number };
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
