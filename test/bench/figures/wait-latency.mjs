/**
 * `wait`: time from an evaluation completing on the server (`completed_at`, same machine clock)
 * to the `wait` process printing it, for evaluations of 1–10 s; and how many polls a 10 s one
 * costs. The evaluation is submitted directly, then `runflow-eval wait <id> --json` is started,
 * as a script doing `submit` then `wait` would.
 *
 * Jobs are started a little apart rather than all at once: 30 Node processes starting together
 * on 2 cores would measure the scheduler, not the polling schedule.
 */
import { runCli } from '../lib/proc.mjs';
import { settleDirect, startSandbox, submitDirect } from '../lib/sandbox.mjs';
import { median, sleep } from '../lib/stats.mjs';
import { smallPngDataUri } from '../lib/images.mjs';

const GOAL_LAG_MS = 1000;
const GOAL_POLLS_10S = 8;
const STAGGER_MS = 600;

export async function waitFigures({ durations, reps, env }) {
  const sandboxes = new Map();
  try {
    for (const d of durations) sandboxes.set(d, await startSandbox({ maxInflight: 8, evalTime: `${d}s` }));
    const jobs = [];
    for (let rep = 0; rep < reps; rep++) for (const d of durations) jobs.push({ d, rep });
    // Images are encoded before any job starts, so no CPU work of the bench overlaps a wait.
    const images = await Promise.all(jobs.map((_, k) => smallPngDataUri(k)));
    const results = await Promise.all(
      jobs.map(async (job, k) => {
        await sleep(k * STAGGER_MS);
        return measureOne(sandboxes.get(job.d), job.d, env, images[k]);
      }),
    );
    const lags = results.map((r) => r.lagMs);
    const tenS = results.filter((r) => r.d === 10);
    const polls10 = tenS.map((r) => r.polls);
    const byDuration = durations
      .map((d) => `${d}s: ${median(results.filter((r) => r.d === d).map((r) => r.lagMs)).toFixed(0)} ms/${median(results.filter((r) => r.d === d).map((r) => r.polls))} polls`)
      .join(', ');
    const lag = median(lags);
    const maxPolls = polls10.length ? Math.max(...polls10) : NaN;
    return [
      {
        id: 'wait_notice_lag',
        figure: `wait: completion → noticed (median, ${durations[0]}–${durations[durations.length - 1]} s evals)`,
        unit: 'ms',
        value: lag,
        baseline: 0,
        baselineLabel: '(instant)',
        ratio: null,
        goal: `median ≤ ${GOAL_LAG_MS} ms`,
        ok: lag <= GOAL_LAG_MS,
        runs: results.length,
        samples: lags,
        details: results,
        notes: `per duration (median lag / polls): ${byDuration}; noticed = the wait process's first byte on stdout`,
      },
      {
        id: 'wait_polls_10s',
        figure: 'wait: polls for a 10 s evaluation (max)',
        unit: 'count',
        value: maxPolls,
        baseline: null,
        baselineLabel: '—',
        ratio: null,
        goal: `≤ ${GOAL_POLLS_10S} polls`,
        ok: maxPolls <= GOAL_POLLS_10S,
        runs: polls10.length,
        samples: polls10,
      },
    ];
  } finally {
    await Promise.all([...sandboxes.values()].map((s) => s.stop()));
  }
}

async function measureOne(sandbox, d, env, image) {
  const created = await submitDirect(sandbox.url, image);
  const submittedAt = Date.now();
  let noticedAt;
  const r = await runCli(['wait', created.id, '--json', '--timeout', '2m'], {
    env: { ...env, RUNFLOW_BASE_URL: sandbox.url },
    onStdout: (_chunk, at) => {
      noticedAt ??= at;
    },
  });
  if (r.code !== 0 || noticedAt === undefined) throw new Error(`wait exited ${r.code}: ${r.stderr.slice(0, 300)}`);
  let completedAt = Date.parse(JSON.parse(r.stdout).completed_at ?? '');
  if (!Number.isFinite(completedAt)) completedAt = Date.parse((await settleDirect(sandbox.url, created.id)).completed_at);
  const polls = sandbox.requests.filter((q) => q.method === 'GET' && q.path.startsWith(`/v1/evaluations/${created.id}`)).length;
  return { d, lagMs: noticedAt - completedAt, polls, printedAfterMs: noticedAt - submittedAt };
}
