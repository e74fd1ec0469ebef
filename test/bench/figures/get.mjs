/**
 * `get <id> --json` against the local API, against a plain `node` script doing one `fetch` of the
 * same URL (the CLI's default embeds included, so both receive the same body).
 */
import { join } from 'node:path';
import { BENCH_DIR, runCli, runProcess } from '../lib/proc.mjs';
import { settleDirect, submitDirect } from '../lib/sandbox.mjs';
import { median } from '../lib/stats.mjs';
import { smallPngDataUri } from '../lib/images.mjs';

const GOAL_RATIO = 1.5;
/** What `get` asks for by default (src/api/evaluations.ts DEFAULT_EMBED). */
const DEFAULT_EMBED = 'judges,action,gate_failures';

export async function getFigure({ runs, env, sandbox }) {
  const created = await submitDirect(sandbox.url, await smallPngDataUri(1));
  const record = await settleDirect(sandbox.url, created.id);
  const url = `${sandbox.url}/v1/evaluations/${record.id}?embed=${encodeURIComponent(DEFAULT_EMBED)}`;
  const script = join(BENCH_DIR, 'baselines', 'fetch-once.mjs');
  const cliEnv = { ...env, RUNFLOW_BASE_URL: sandbox.url };
  const cli = [];
  const base = [];
  await runProcess(process.execPath, [script, url], { env });
  await runCli(['get', record.id, '--json'], { env: cliEnv });
  for (let i = 0; i < runs; i++) {
    const b = await runProcess(process.execPath, [script, url], { env });
    if (b.code !== 0) throw new Error(`baseline fetch failed: ${b.stdout.slice(0, 200)}`);
    base.push(b.ms);
    const r = await runCli(['get', record.id, '--json'], { env: cliEnv });
    if (r.code !== 0) throw new Error(`get exited ${r.code}: ${r.stderr}`);
    if (JSON.parse(r.stdout).id !== record.id) throw new Error('get --json printed another record');
    cli.push(r.ms);
  }
  const value = median(cli);
  const baseline = median(base);
  return {
    id: 'get_json',
    figure: 'get <id> --json (median)',
    unit: 'ms',
    value,
    baseline,
    baselineLabel: 'node + one fetch',
    ratio: value / baseline,
    goal: `≤ ${GOAL_RATIO}× baseline`,
    ok: value / baseline <= GOAL_RATIO,
    runs,
    samples: cli,
    baselineSamples: base,
  };
}
