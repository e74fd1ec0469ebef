/** Median: the machine is noisy, and one slow run should not move a figure. */
export function median(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (!sorted.length) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export const MiB = 1024 * 1024;
export const MB = 1_000_000;

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
