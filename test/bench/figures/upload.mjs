/**
 * `upload` of a large file (50 MiB, the API's cap): the process's peak RSS against the file's
 * size (streaming means memory does not grow with the file), and loopback throughput, taken from
 * the sandbox's own timing of the storage PUT (so start-up and the API calls around it are out).
 */
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from '../lib/proc.mjs';
import { startSandbox } from '../lib/sandbox.mjs';
import { MB, MiB, median } from '../lib/stats.mjs';

const GOAL_RSS_MB = 120;

export async function uploadFigures({ runs, env, file, size, workDir }) {
  const sandbox = await startSandbox();
  const rss = [];
  const throughput = [];
  const wall = [];
  try {
    for (let i = 0; i < runs; i++) {
      sandbox.clearLog();
      // A fresh config folder: nothing cached from an earlier run.
      const configDir = await mkdtemp(join(workDir, 'upload-config-'));
      const r = await runCli(['upload', file, '--json'], {
        env: { ...env, RUNFLOW_BASE_URL: sandbox.url, RUNFLOW_CONFIG_DIR: configDir },
        measureRss: true,
      });
      if (r.code !== 0) throw new Error(`upload exited ${r.code}: ${r.stderr.slice(0, 300)}`);
      if (!JSON.parse(r.stdout).ref?.startsWith('runflow://assets/')) throw new Error(`upload printed no asset reference: ${r.stdout.slice(0, 200)}`);
      const put = sandbox.requests.find((q) => q.method === 'PUT' && q.path.startsWith('/storage/') && q.status === 200);
      if (!put) throw new Error('the sandbox logged no successful storage PUT');
      rss.push(r.peakRssBytes / MB);
      throughput.push(size / MB / (Math.max(1, put.ms) / 1000));
      wall.push(r.ms);
    }
  } finally {
    await sandbox.stop();
  }
  const peak = median(rss);
  const sizeMB = size / MB;
  return [
    {
      id: 'upload_peak_rss',
      figure: `upload ${(size / MiB).toFixed(1)} MiB: peak RSS (median)`,
      unit: 'MB',
      value: peak,
      baseline: sizeMB,
      baselineLabel: 'file size',
      ratio: peak / sizeMB,
      goal: `≤ ${GOAL_RSS_MB} MB`,
      ok: peak <= GOAL_RSS_MB,
      runs,
      samples: rss,
      notes: `whole upload process ${(median(wall) / 1000).toFixed(2)} s (median), three-step flow incl. start-up`,
    },
    {
      id: 'upload_throughput',
      figure: `upload ${(size / MiB).toFixed(1)} MiB: loopback throughput (median)`,
      unit: 'MB/s',
      value: median(throughput),
      baseline: null,
      baselineLabel: '—',
      ratio: null,
      goal: 'reported',
      ok: null,
      runs,
      samples: throughput,
      notes: 'file size ÷ the sandbox\'s own time for the storage PUT',
    },
  ];
}
