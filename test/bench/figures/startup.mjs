/**
 * Start-up: `runflow-eval --version` and `--help` against `node -e ""`, the floor any Node CLI
 * pays. Runs are interleaved (baseline, version, help, baseline, …) so drift in the machine's
 * load hits all three alike.
 */
import { runCli, runProcess } from '../lib/proc.mjs';
import { median } from '../lib/stats.mjs';

const GOAL_RATIO = 1.5;

export async function startupFigures({ runs, env }) {
  const samples = { baseline: [], version: [], help: [] };
  // One warm-up of each, unrecorded: the first run pays for a cold file cache.
  await runProcess(process.execPath, ['-e', ''], { env });
  await runCli(['--version'], { env });
  await runCli(['--help'], { env });
  for (let i = 0; i < runs; i++) {
    samples.baseline.push((await runProcess(process.execPath, ['-e', ''], { env })).ms);
    const version = await runCli(['--version'], { env });
    if (version.code !== 0) throw new Error(`--version exited ${version.code}: ${version.stderr}`);
    samples.version.push(version.ms);
    const help = await runCli(['--help'], { env });
    if (help.code !== 0) throw new Error(`--help exited ${help.code}: ${help.stderr}`);
    samples.help.push(help.ms);
  }
  const base = median(samples.baseline);
  return ['version', 'help'].map((name) => {
    const value = median(samples[name]);
    return {
      id: `startup_${name}`,
      figure: `start-up: --${name} (median)`,
      unit: 'ms',
      value,
      baseline: base,
      baselineLabel: 'node -e ""',
      ratio: value / base,
      goal: `≤ ${GOAL_RATIO}× baseline`,
      ok: value / base <= GOAL_RATIO,
      runs,
      samples: samples[name],
      baselineSamples: samples.baseline,
    };
  });
}
