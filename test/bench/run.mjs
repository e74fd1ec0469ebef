#!/usr/bin/env node
/**
 * `npm run bench [-- --quick] [-- --json [FILE]]`: measures the built CLI as a user runs it
 * (whole processes against the project's local API, `runflow-eval sandbox`) and prints each
 * figure next to a baseline measured in the same run and its goal. Not part of the test suite:
 * goals that do not hold are reported, not failed (add --strict to exit 1 on them).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

// `--cli PATH` must be known before lib/proc.mjs decides which entry it runs: modules below are
// imported dynamically below, after this.
const cliIndex = process.argv.indexOf('--cli');
if (cliIndex !== -1 && process.argv[cliIndex + 1]) {
  process.env.RUNFLOW_BENCH_CLI = resolve(process.argv[cliIndex + 1]);
  process.argv.splice(cliIndex, 2);
}
const { writeImageSet, writeLargePng } = await import('./lib/images.mjs');
const { assertBuilt, childEnv, CLI, HAVE_GNU_TIME, REPO } = await import('./lib/proc.mjs');
const { renderTable } = await import('./lib/report.mjs');
const { startSandbox } = await import('./lib/sandbox.mjs');
const { MiB } = await import('./lib/stats.mjs');
const { getFigure } = await import('./figures/get.mjs');
const { flowFigures } = await import('./figures/flow.mjs');
const { judgeFigures, writePhotoSet } = await import('./figures/judges.mjs');
const { makespanFigures } = await import('./figures/makespan.mjs');
const { scaleFigures } = await import('./figures/scale.mjs');
const { startupFigures } = await import('./figures/startup.mjs');
const { uploadFigures } = await import('./figures/upload.mjs');
const { waitFigures } = await import('./figures/wait-latency.mjs');
const { recordFigures, rerunFigures } = await import('./figures/cache.mjs');

/** Full: a few minutes on a 2-core machine. Quick (CI): under a minute, every row still printed. */
const PLANS = {
  full: {
    startupRuns: 20,
    getRuns: 20,
    makespanImages: 64,
    makespanRuns: 3,
    guideImages: 8,
    waitDurations: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    waitReps: 3,
    uploadBytes: 50 * MiB,
    uploadRuns: 3,
    manyImages: 1000,
    manyRuns: 1,
    flowDocumentedImages: 120,
    flowBurstImages: 96,
    flowFaultImages: 200,
    photos: 30,
    photoRuns: 3,
    record: { cold: 200, warm: 100_000, writes: 5000 },
    rerunImages: 1000,
  },
  quick: {
    startupRuns: 7,
    getRuns: 5,
    makespanImages: 32,
    makespanRuns: 1,
    guideImages: 1,
    waitDurations: [1, 3, 10],
    waitReps: 1,
    uploadBytes: 10 * MiB,
    uploadRuns: 1,
    manyImages: 100,
    manyRuns: 1,
    flowDocumentedImages: 36,
    flowBurstImages: 48,
    flowFaultImages: 60,
    photos: 30,
    photoRuns: 1,
    record: { cold: 40, warm: 20_000, writes: 500 },
    rerunImages: 100,
  },
};

const FIGURE_GROUPS = ['startup', 'get', 'makespan', 'flow', 'wait', 'upload', 'scale', 'judges', 'cache'];

function usage() {
  return `usage: npm run bench -- [--quick] [--json [FILE]] [--only ${FIGURE_GROUPS.join(',')}] [--strict] [--cli PATH]

  --quick        fewer repetitions and smaller sizes (CI checks that the bench runs)
  --json [FILE]  also write the figures as JSON (default test-output/bench.json)
  --only LIST    run only these groups of figures
  --strict       exit 1 when a goal does not hold (default: report only, exit 0)
  --cli PATH     measure another entry file instead of bin/runflow-eval.js (before/after)`;
}

function parseCli(argv) {
  // `--json` takes an optional file: a following word that is not a flag.
  const i = argv.indexOf('--json');
  let jsonFile;
  if (i !== -1) {
    const next = argv[i + 1];
    jsonFile = next && !next.startsWith('--') ? next : join(REPO, 'test-output', 'bench.json');
    argv = [...argv.slice(0, i), ...argv.slice(i + (next && !next.startsWith('--') ? 2 : 1))];
  }
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      strict: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  const only = values.only ? values.only.split(',').map((s) => s.trim()) : FIGURE_GROUPS;
  for (const g of only) if (!FIGURE_GROUPS.includes(g)) throw new Error(`--only: unknown group ${JSON.stringify(g)} (groups: ${FIGURE_GROUPS.join(', ')})`);
  return { quick: values.quick, jsonFile: jsonFile && resolve(jsonFile), only, strict: values.strict, help: values.help };
}

const log = (line) => process.stderr.write(`[bench] ${line}\n`);

async function main() {
  const args = parseCli(process.argv.slice(2));
  if (args.help) {
    console.log(usage());
    return 0;
  }
  assertBuilt();
  const mode = args.quick ? 'quick' : 'full';
  const plan = PLANS[mode];
  const started = Date.now();
  const workDir = await mkdtemp(join(tmpdir(), 'runflow-bench-'));
  const onSignal = () => {
    void rm(workDir, { recursive: true, force: true }).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // Each CLI run gets its own cache folder under this one (lib/proc.mjs runCli).
  const env = childEnv({ RUNFLOW_CONFIG_DIR: join(workDir, 'config'), RUNFLOW_CACHE_DIR: join(workDir, 'cache') });
  const figures = [];
  const want = (group) => args.only.includes(group);
  try {
    log(`${mode} run on ${cpus().length} cores, node ${process.version}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}; measuring ${CLI}`);
    let images = [];
    const imageDir = join(workDir, 'images');
    if (want('makespan') || want('scale') || want('flow') || want('judges') || want('cache')) {
      const flowCount = Math.max(plan.flowDocumentedImages, plan.flowBurstImages, plan.flowFaultImages);
      const count = Math.max(
        want('makespan') ? plan.makespanImages : 0,
        want('scale') ? plan.manyImages : 0,
        want('flow') ? flowCount : 0,
        want('judges') ? plan.photos : 0,
        want('cache') ? plan.rerunImages : 0,
      );
      log(`making ${count} distinct 600×600 PNGs`);
      images = await writeImageSet(imageDir, count);
    }
    if (want('startup')) {
      log(`start-up: --version, --help and node -e "" × ${plan.startupRuns}`);
      figures.push(...(await startupFigures({ runs: plan.startupRuns, env })));
    }
    if (want('get')) {
      log(`get --json and one fetch × ${plan.getRuns}`);
      const sandbox = await startSandbox();
      try {
        figures.push(await getFigure({ runs: plan.getRuns, env, sandbox }));
      } finally {
        await sandbox.stop();
      }
    }
    if (want('makespan')) {
      log(`gate makespan: ${plan.makespanImages} images × ${plan.makespanRuns} runs, then the guide loop on ${plan.guideImages}`);
      figures.push(
        ...(await makespanFigures({
          runs: plan.makespanRuns,
          env,
          images: images.slice(0, plan.makespanImages),
          guideImages: images.slice(0, plan.guideImages),
        })),
      );
    }
    if (want('flow')) {
      log(`flow control: (a) documented service ${plan.flowDocumentedImages} images, (b) early 429s ${plan.flowBurstImages}, (c) 20% faults ${plan.flowFaultImages}`);
      figures.push(...(await flowFigures({ env, images, plan })));
    }
    if (want('wait')) {
      log(`wait: evaluations of ${plan.waitDurations.join(', ')} s × ${plan.waitReps}`);
      figures.push(...(await waitFigures({ durations: plan.waitDurations, reps: plan.waitReps, env })));
    }
    if (want('upload')) {
      const file = join(workDir, 'large.png');
      const size = await writeLargePng(file, plan.uploadBytes);
      log(`upload: ${(size / MiB).toFixed(1)} MiB × ${plan.uploadRuns}`);
      figures.push(...(await uploadFigures({ runs: plan.uploadRuns, env, file, size, workDir })));
    }
    if (want('scale')) {
      log(`gate of ${plan.manyImages} images from a manifest × ${plan.manyRuns}`);
      figures.push(...(await scaleFigures({ runs: plan.manyRuns, env, images: images.slice(0, plan.manyImages), imageDir })));
    }
    if (want('judges')) {
      log(`sandbox judges: gate --sandbox over ${plan.photos} photographs and ${plan.photos} small PNGs × ${plan.photoRuns}`);
      const photoDir = join(workDir, 'photos');
      const baselineDir = join(workDir, 'photo-baseline');
      await writePhotoSet(photoDir, plan.photos);
      await mkdir(baselineDir, { recursive: true });
      for (const file of images.slice(0, plan.photos)) await writeFile(join(baselineDir, file.split('/').pop()), await readFile(file));
      figures.push(...(await judgeFigures({ runs: plan.photoRuns, env, photoDir, baselineDir, n: plan.photos })));
    }
    if (want('cache')) {
      log(`cache: the submission record at 100,000 entries; a gate of ${plan.rerunImages} images, then its rerun`);
      figures.push(...(await recordFigures({ ops: plan.record, workDir })));
      figures.push(...(await rerunFigures({ env, images: images.slice(0, plan.rerunImages), imageDir, workDir })));
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await rm(workDir, { recursive: true, force: true });
  }
  const seconds = (Date.now() - started) / 1000;
  const load = loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`runflow-eval bench (${mode}) — node ${process.version}, ${cpus().length} cores, ${seconds.toFixed(0)} s, load average at the end ${load}`);
  console.log(renderTable(figures));
  if (!HAVE_GNU_TIME) console.log('\n(peak RSS from a preloaded probe: /usr/bin/time is not installed)');
  if (args.jsonFile) {
    await mkdir(dirname(args.jsonFile), { recursive: true });
    const doc = {
      mode,
      started_at: new Date(started).toISOString(),
      duration_s: seconds,
      cli: CLI,
      machine: { load_average_end: loadavg(), node: process.version, platform: process.platform, arch: process.arch, cpus: cpus().length, memory_bytes: totalmem() },
      figures,
    };
    await writeFile(args.jsonFile, `${JSON.stringify(doc, null, 2)}\n`);
    log(`wrote ${args.jsonFile}`);
  }
  const failed = figures.filter((f) => f.ok === false);
  if (failed.length) log(`${failed.length} goal(s) not met: ${failed.map((f) => f.id).join(', ')}`);
  return args.strict && failed.length ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
