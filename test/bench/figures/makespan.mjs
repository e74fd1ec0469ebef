/**
 * `gate` makespan, (d) of the flow-control figures: N images, an older deployment that refuses a
 * submission beyond 8 in flight (429 with Retry-After) and takes 1 s per evaluation.
 * Baselines: the ideal ceil(N/8) × 1 s, and the guide's one-at-a-time loop polling every 5 s
 * (timed on a few images and scaled to N, since it takes 5 s an image).
 */
import { join } from 'node:path';
import { BENCH_DIR, runCli, runProcess } from '../lib/proc.mjs';
import { getDirect, startSandbox } from '../lib/sandbox.mjs';
import { median } from '../lib/stats.mjs';
import { assertAllEvaluated, parseGate } from '../lib/gate-report.mjs';
import { idealMakespan } from './flow.mjs';

const IN_FLIGHT = 8;
const EVAL_S = 1;
const GOAL_VS_IDEAL = 1.1;
const GOAL_SPEEDUP = 20;

export async function makespanFigures({ runs, env, images, guideImages }) {
  const n = images.length;
  const samples = [];
  const requestsPerEval = [];
  const rateLimited = [];
  const phases = [];
  /** Against the ideal of the evaluations' own times (a loaded machine makes some take longer than T). */
  const ratiosToOwnTimes = [];
  for (let i = 0; i < runs; i++) {
    // A fresh server each run: the same images on the same server would be idempotent replays.
    const sandbox = await startSandbox({ maxInflight: IN_FLIGHT, evalTime: `${EVAL_S}s` });
    try {
      const r = await runCli(['gate', ...images, '--task-type', 'bench', '--json'], { env: { ...env, RUNFLOW_BASE_URL: sandbox.url } });
      const report = parseGate(r, sandbox);
      assertAllEvaluated(report, n);
      samples.push(r.ms);
      requestsPerEval.push(sandbox.requests.length / n);
      phases.push(await timeline(sandbox.url, report, r));
      rateLimited.push(sandbox.requests.filter((q) => q.status === 429).length);
      ratiosToOwnTimes.push(r.ms / phases[phases.length - 1].ownIdeal);
    } finally {
      await sandbox.stop();
    }
  }
  const guide = await guideLoop(guideImages, env);
  const guideScaled = (guide.ms / guideImages.length) * n;
  const value = median(samples);
  const ideal = Math.ceil(n / IN_FLIGHT) * EVAL_S * 1000;
  const detail = `${n} images, sandbox --max-inflight ${IN_FLIGHT} --eval-time ${EVAL_S}s; whole gate process incl. start-up; ` +
    `${median(requestsPerEval).toFixed(2)} requests/evaluation, ${median(rateLimited)} × 429 (median); ` +
    `phases (median): start-up to first submission ${fmtS(median(phases.map((p) => p.lead)))}, ` +
    `first submission to last completion ${fmtS(median(phases.map((p) => p.body)))}, last completion to exit ${fmtS(median(phases.map((p) => p.tail)))}; ` +
    `against the ideal of the evaluations' own times on ${IN_FLIGHT} slots (${fmtS(median(phases.map((p) => p.ownIdeal)))}): ${median(ratiosToOwnTimes).toFixed(2)}×`;
  return [
    {
      id: 'gate_makespan_vs_ideal',
      figure: `(d) in-flight limit, ${n} images: makespan (median)`,
      unit: 's',
      value: value / 1000,
      baseline: ideal / 1000,
      baselineLabel: `ideal ceil(${n}/${IN_FLIGHT})×${EVAL_S}s`,
      ratio: value / ideal,
      goal: `≤ ${GOAL_VS_IDEAL}× ideal`,
      ok: value / ideal <= GOAL_VS_IDEAL,
      runs,
      samples: samples.map((ms) => ms / 1000),
      notes: detail,
    },
    {
      id: 'gate_makespan_vs_guide',
      figure: `gate speed-up over guide loop, ${n} images`,
      unit: 's',
      value: value / 1000,
      baseline: guideScaled / 1000,
      baselineLabel: `guide loop (${guideImages.length} timed ×${(n / guideImages.length).toFixed(0)})`,
      ratio: guideScaled / value,
      goal: `≥ ${GOAL_SPEEDUP}× faster`,
      ok: guideScaled / value >= GOAL_SPEEDUP,
      runs,
      notes: `ratio is guide ÷ gate; guide loop: submit, poll every 5 s until terminal, next image (${(guide.ms / 1000).toFixed(1)} s for ${guideImages.length})`,
    },
  ];
}

const fmtS = (ms) => `${(ms / 1000).toFixed(2)} s`;

/**
 * Where the makespan went, from the server's own timestamps (same machine clock): before the
 * first evaluation was created (process start-up, reading the images), while evaluations ran,
 * and after the last one completed (noticing it, printing, exiting).
 */
async function timeline(url, report, run) {
  const records = await Promise.all(report.results.map((res) => getDirect(url, res.evaluation_id)));
  const created = Math.min(...records.map((rec) => Date.parse(rec.created_at)));
  const completed = Math.max(...records.map((rec) => Date.parse(rec.completed_at)));
  const exitedAt = run.endedAt;
  const startedAt = exitedAt - run.ms;
  const ordered = [...records].sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
  const ownIdeal = idealMakespan(ordered.map((rec) => (typeof rec.eval_duration_ms === 'number' ? rec.eval_duration_ms : EVAL_S * 1000)), IN_FLIGHT);
  return { lead: created - startedAt, body: completed - created, tail: exitedAt - completed, ownIdeal };
}

async function guideLoop(files, env) {
  const sandbox = await startSandbox({ maxInflight: IN_FLIGHT, evalTime: `${EVAL_S}s` });
  try {
    const r = await runProcess(process.execPath, [join(BENCH_DIR, 'baselines', 'guide-loop.mjs'), sandbox.url, ...files], { env });
    if (r.code !== 0) throw new Error(`guide loop failed: ${r.stderr.trim().split('\n').slice(-3).join(' ')}; ${sandbox.describe()}`);
    return JSON.parse(r.stdout);
  } finally {
    await sandbox.stop();
  }
}
