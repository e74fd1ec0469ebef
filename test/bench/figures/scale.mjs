/**
 * `gate` of many small local images from a manifest on the sandbox (default timing, 8 in flight):
 * peak RSS of the gate process, and requests per evaluation counted in the sandbox's log.
 */
import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { runCli } from '../lib/proc.mjs';
import { startSandbox } from '../lib/sandbox.mjs';
import { MB, median } from '../lib/stats.mjs';
import { assertAllEvaluated, parseGate } from '../lib/gate-report.mjs';

const GOAL_RSS_MB = 250;
const GOAL_REQUESTS = 6;

export async function scaleFigures({ runs, env, images, imageDir }) {
  const n = images.length;
  // JSON Lines, paths relative to the manifest's folder, as a user would write it.
  const manifest = join(imageDir, `manifest-${n}.jsonl`);
  await writeFile(manifest, images.map((p) => JSON.stringify({ image: basename(p) })).join('\n') + '\n');
  const rss = [];
  const perEval = [];
  const wall = [];
  const rateLimited = [];
  for (let i = 0; i < runs; i++) {
    const sandbox = await startSandbox({ maxInflight: 8 });
    try {
      const r = await runCli(['gate', '--manifest', manifest, '--task-type', 'bench', '--json'], {
        env: { ...env, RUNFLOW_BASE_URL: sandbox.url },
        measureRss: true,
      });
      const report = parseGate(r, sandbox);
      assertAllEvaluated(report, n);
      rss.push(r.peakRssBytes / MB);
      perEval.push(sandbox.requests.length / n);
      wall.push(r.ms);
      rateLimited.push(sandbox.requests.filter((q) => q.status === 429).length);
    } finally {
      await sandbox.stop();
    }
  }
  const peak = median(rss);
  const requests = median(perEval);
  return [
    {
      id: 'gate_many_peak_rss',
      figure: `gate ${n} images (manifest): peak RSS (median)`,
      unit: 'MB',
      value: peak,
      baseline: null,
      baselineLabel: '—',
      ratio: null,
      goal: `≤ ${GOAL_RSS_MB} MB`,
      ok: peak <= GOAL_RSS_MB,
      runs,
      samples: rss,
      notes: `gate took ${(median(wall) / 1000).toFixed(1)} s (median) on the sandbox's default timing, 8 in flight`,
    },
    {
      id: 'gate_many_requests',
      figure: `gate ${n} images: requests per evaluation`,
      unit: 'count',
      value: requests,
      baseline: null,
      baselineLabel: '—',
      ratio: null,
      goal: `≤ ${GOAL_REQUESTS}`,
      ok: requests <= GOAL_REQUESTS,
      runs,
      samples: perEval,
      notes: `every request the sandbox logged during the gate ÷ ${n}; ${median(rateLimited)} answered 429 (median)`,
    },
  ];
}
