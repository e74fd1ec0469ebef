/**
 * Flow control against models of the service (SPEC §3 "Flow control"), each figure a ratio to the
 * ideal makespan measured in the same run: every image submitted at the same instant, with the
 * same evaluation times (read back from the sandbox's records) on the same workers.
 *
 * (a) the documented service: a request-rate limit answered with 429 and no headers, and a
 *     worker queue, evaluation times spread over a range;
 * (b) an early burst of 429s on the first submissions, then a healthy service;
 * (c) mixed faults on a fifth of the requests (resets, lost responses, 5xx, 429, slow answers):
 *     every image evaluated exactly once, and the wall time.
 */
import { runCli } from '../lib/proc.mjs';
import { startSandbox } from '../lib/sandbox.mjs';
import { startFaultProxy } from '../lib/fault-proxy.mjs';

/** The gate's --json document whatever its exit code (it prints one once anything was sent). */
function parseAny(run, sandbox) {
  try {
    return JSON.parse(run.stdout);
  } catch {
    throw new Error(`gate exited ${run.code} without a report: ${run.stderr.slice(-500)}; ${sandbox.describe()}`);
  }
}

/** Every image got a verdict: no errors, nothing still pending at the deadline. */
function allEvaluated(report, n) {
  const c = report.counts;
  return c.total === n && !c.errored && !c.timed_out && !c.interrupted;
}

function describeRun(run) {
  return `gate exited ${run.r.code}; counts ${JSON.stringify(run.report.counts)}`;
}

const GOAL_A_RATIO = 1.1;
const GOAL_A_REQUESTS = 2.5;
const GOAL_A_429_SHARE = 0.03;
const GOAL_B_RATIO = 1.2;
const GOAL_C_SECONDS = 20;

/** Makespan of jobs all submitted at 0, run in order, each on the first free of `slots` workers. */
export function idealMakespan(runTimes, slots) {
  const free = new Array(Math.max(1, slots)).fill(0);
  let end = 0;
  for (const t of runTimes) {
    let slot = 0;
    for (let i = 1; i < free.length; i++) if (free[i] < free[slot]) slot = i;
    free[slot] += t;
    end = Math.max(end, free[slot]);
  }
  return end;
}

/** The ideal for a run, from the evaluations' own times on a worker, in submission order. */
async function idealFor(url, report, workers, fallbackMs) {
  const ids = report.results.map((r) => r.evaluation_id).filter(Boolean);
  const records = [];
  for (const id of ids) records.push(await readRecord(url, id));
  records.sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
  // Images never submitted or unfinished (a run that missed its deadline) count with the
  // average time asked for.
  const times = records.map((r) => (typeof r.eval_duration_ms === 'number' ? r.eval_duration_ms : fallbackMs));
  while (times.length < report.results.length) times.push(fallbackMs);
  return idealMakespan(times, workers);
}

/**
 * One record, read with a key of its own (the sandbox limits the rate per key, and these reads
 * must not count against the gate's), waiting out a 429 should one come.
 */
async function readRecord(url, id) {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`${url}/v1/evaluations/${id}`, { headers: { authorization: 'Bearer bench-observer', accept: 'application/json' } });
    if (res.status === 200) return res.json();
    if (res.status !== 429 || attempt > 20) throw new Error(`GET /v1/evaluations/${id} answered ${res.status}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function gateOnce({ images, env, sandboxOpts, proxyOpts, timeoutS }) {
  const sandbox = await startSandbox(sandboxOpts);
  const proxy = proxyOpts ? await startFaultProxy(sandbox.url, proxyOpts) : undefined;
  try {
    const args = ['gate', ...images, '--task-type', 'bench', '--json'];
    if (timeoutS) args.push('--timeout', `${timeoutS}s`);
    const r = await runCli(args, { env: { ...env, RUNFLOW_BASE_URL: (proxy ?? sandbox).url } });
    const report = parseAny(r, sandbox);
    const seen = proxy ? proxy.log : sandbox.requests;
    const requests = seen.length;
    const limited = seen.filter((q) => q.status === 429).length;
    return { r, report, sandbox, proxy, requests, limited, created: proxy?.created };
  } catch (err) {
    await proxy?.stop();
    await sandbox.stop();
    throw err;
  }
}

async function stop(run) {
  await run.proxy?.stop();
  await run.sandbox.stop();
}

export async function flowFigures({ env, images, plan }) {
  const figures = [];

  // (a) The documented service.
  {
    const n = plan.flowDocumentedImages;
    const workers = 12;
    const run = await gateOnce({ images: images.slice(0, n), env, sandboxOpts: { workers, rate: 10, evalTime: '1.5s..4.5s' } });
    try {
      const complete = allEvaluated(run.report, n);
      const ideal = await idealFor(run.sandbox.url, run.report, workers, 3000);
      const ratio = run.r.ms / ideal;
      const perEval = run.requests / n;
      const share = run.limited / run.requests;
      figures.push({
        id: 'flow_documented_vs_ideal',
        figure: `(a) documented service, ${n} images: makespan`,
        unit: 's',
        value: run.r.ms / 1000,
        baseline: ideal / 1000,
        baselineLabel: `ideal (${workers} workers)`,
        ratio,
        goal: `≤ ${GOAL_A_RATIO}× ideal, ≤ ${GOAL_A_REQUESTS} req/eval, ≤ ${GOAL_A_429_SHARE * 100}% 429`,
        ok: complete && ratio <= GOAL_A_RATIO && perEval <= GOAL_A_REQUESTS && share <= GOAL_A_429_SHARE,
        runs: 1,
        notes:
          `sandbox --workers ${workers} --rate 10 --eval-time 1.5s..4.5s (429 without headers); ` +
          `${perEval.toFixed(2)} requests/evaluation, ${run.limited} of ${run.requests} requests drew a 429 (${(share * 100).toFixed(1)}%); ${describeRun(run)}`,
      });
    } finally {
      await stop(run);
    }
  }

  // (b) An early burst of 429s, then a healthy service.
  {
    const n = plan.flowBurstImages;
    const workers = 24;
    const run = await gateOnce({
      images: images.slice(0, n),
      env,
      sandboxOpts: { workers, evalTime: '2s' },
      proxyOpts: { first429s: 5 },
      timeoutS: 120,
    });
    try {
      const complete = allEvaluated(run.report, n);
      const ideal = await idealFor(run.sandbox.url, run.report, workers, 2000);
      const ratio = run.r.ms / ideal;
      figures.push({
        id: 'flow_early_429_vs_ideal',
        figure: `(b) five 429s first, then healthy, ${n} images: makespan`,
        unit: 's',
        value: run.r.ms / 1000,
        baseline: ideal / 1000,
        baselineLabel: `ideal (${workers} workers)`,
        ratio,
        goal: `≤ ${GOAL_B_RATIO}× ideal`,
        ok: complete && ratio <= GOAL_B_RATIO,
        runs: 1,
        notes: `sandbox --workers ${workers} --eval-time 2s behind a proxy answering the first 5 submissions 429 (no headers); ${(run.requests / n).toFixed(2)} requests/evaluation; ${describeRun(run)}`,
      });
    } finally {
      await stop(run);
    }
  }

  // (c) Mixed faults on a fifth of the requests.
  {
    const n = plan.flowFaultImages;
    const workers = 8;
    const run = await gateOnce({
      images: images.slice(0, n),
      env,
      sandboxOpts: { workers, evalTime: '0.5s' },
      proxyOpts: { faultRate: 0.2, seed: 11 },
      timeoutS: 240,
    });
    try {
      const counts = run.report.counts;
      const ids = new Set(run.report.results.map((r) => r.evaluation_id).filter(Boolean));
      const exactlyOnce = run.created === n && ids.size === n && counts.total === n && !counts.errored && !counts.timed_out;
      const seconds = run.r.ms / 1000;
      const ideal = await idealFor(run.sandbox.url, run.report, workers, 500);
      const faults = run.proxy.log.filter((q) => q.fault).length;
      figures.push({
        id: 'flow_faults_exactly_once',
        figure: `(c) ${n} images of 0.5 s, 20% mixed faults: wall time`,
        unit: 's',
        value: seconds,
        baseline: ideal / 1000,
        baselineLabel: `ideal (${workers} workers)`,
        ratio: (seconds * 1000) / ideal,
        goal: `each image exactly once, ≤ ${GOAL_C_SECONDS} s`,
        ok: exactlyOnce && seconds <= GOAL_C_SECONDS,
        runs: 1,
        notes:
          `sandbox --workers ${workers} --eval-time 0.5s behind a proxy faulting 20% of requests (${faults} faults: resets, lost responses, 500/503, 429, 1.5 s delays); ` +
          `${run.created} evaluations created for ${n} images, ${ids.size} distinct ids; ${(run.requests / n).toFixed(2)} requests/evaluation; ${describeRun(run)}`,
      });
    } finally {
      await stop(run);
    }
  }
  return figures;
}
