/** What one `doctor` check reports, and the small builders every check uses. */

export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface CheckResult {
  /** Stable identifier for scripts (`api_key`, `read_scope`, …). */
  id: string;
  /** Label of the human output. */
  name: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
  /** For a failure: the exit code it stands for (SPEC §4). */
  exit_code?: number;
  latency_ms?: number;
}

export const pass = (id: string, name: string, detail: string, extra: Partial<CheckResult> = {}): CheckResult => ({ id, name, status: 'pass', detail, ...extra });
export const warn = (id: string, name: string, detail: string, fix?: string): CheckResult => ({ id, name, status: 'warn', detail, ...(fix ? { fix } : {}) });
export const fail = (id: string, name: string, exitCode: number, detail: string, fix?: string): CheckResult => ({
  id,
  name,
  status: 'fail',
  detail,
  ...(fix ? { fix } : {}),
  exit_code: exitCode,
});
export const skipped = (id: string, name: string, reason: string): CheckResult => warn(id, name, `skipped: ${reason}`);
