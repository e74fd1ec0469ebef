/**
 * Fallback peak-RSS probe for machines without GNU time: preloaded with
 * `node --import ./test/bench/rss-probe.mjs`, it writes the process's peak RSS (kilobytes, like
 * GNU time's %M) to $RUNFLOW_BENCH_RSS_FILE as the process exits.
 */
import { writeFileSync } from 'node:fs';

const file = process.env.RUNFLOW_BENCH_RSS_FILE;
if (file) {
  // resourceUsage().maxRSS is the kernel's high-water mark (ru_maxrss), in kilobytes on Linux.
  process.on('exit', () => writeFileSync(file, `${process.resourceUsage().maxRSS}\n`));
}
