/**
 * The sandbox judging real photographs: `gate <folder> --sandbox` over N photographs (the
 * held-out set in test/fixtures/photos/, shrunk to 1024, 1600 and 2560 px, JPEG q90 and PNG),
 * wall time and peak RSS of the one process, which decodes and judges every image itself.
 * Baseline, same run: the same gate over N of the bench's 600×600 PNGs (little to decode).
 * Then the gate's own share: the same gate against the sandbox in a process of its own, peak RSS
 * of the gate process alone (what sending large photographs inline costs the client).
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { REPO, runCli } from '../lib/proc.mjs';
import { startSandbox } from '../lib/sandbox.mjs';
import { MB, median } from '../lib/stats.mjs';

const GOAL_SECONDS = 4;
const GOAL_RSS_MB = 300;
/** The gate alone: Node, undici and the CLI (~75 MB over small PNGs) plus a few bodies in flight. */
const GOAL_CLIENT_RSS_MB = 150;
const SIZES = [1024, 1600, 2560];

/** N distinct photographs: every original at every size, alternating JPEG and PNG. */
export async function writePhotoSet(dir, n) {
  await mkdir(dir, { recursive: true });
  const photoDir = join(REPO, 'test', 'fixtures', 'photos');
  const originals = (await readdir(photoDir)).filter((f) => f.endsWith('.jpg')).sort();
  const files = [];
  for (let i = 0; files.length < n; i++) {
    const name = originals[i % originals.length];
    const size = SIZES[Math.floor(i / originals.length) % SIZES.length];
    // A one-pixel-per-round crop keeps every file distinct (its own idempotency key).
    const round = Math.floor(i / (originals.length * SIZES.length));
    const img = sharp(await readFile(join(photoDir, name))).resize(size - round, size - round, { fit: 'inside' });
    const png = i % 2 === 1;
    const file = join(dir, `${String(i).padStart(3, '0')}-${name.replace(/\.jpg$/, '')}-${size}.${png ? 'png' : 'jpg'}`);
    await writeFile(file, await (png ? img.png() : img.jpeg({ quality: 90 })).toBuffer());
    files.push(file);
  }
  return files;
}

async function gateFolder(dir, env) {
  const r = await runCli(['gate', dir, '--sandbox', '--task-type', 'bench', '--json', '--attr', 'min_side:=300'], { env, measureRss: true });
  if (r.code !== 0 && r.code !== 1) throw new Error(`gate --sandbox exited ${r.code}: ${r.stderr.slice(0, 500)}`);
  const report = JSON.parse(r.stdout);
  if (report.counts.errored || report.counts.timed_out) throw new Error(`gate --sandbox did not judge every image: ${JSON.stringify(report.counts)}`);
  return { ms: r.ms, rssMb: r.peakRssBytes / MB, passed: report.counts.passed, total: report.counts.total };
}

/** The same gate against the sandbox in its own process: the gate's own peak RSS. */
async function gateFolderAlone(dir, env) {
  const sandbox = await startSandbox();
  try {
    const r = await runCli(['gate', dir, '--task-type', 'bench', '--json', '--attr', 'min_side:=300'], {
      env: { ...env, RUNFLOW_BASE_URL: sandbox.url },
      measureRss: true,
    });
    if (r.code !== 0 && r.code !== 1) throw new Error(`gate against ${sandbox.describe()} exited ${r.code}: ${r.stderr.slice(0, 500)}`);
    return { ms: r.ms, rssMb: r.peakRssBytes / MB };
  } finally {
    await sandbox.stop();
  }
}

export async function judgeFigures({ runs, env, photoDir, baselineDir, n }) {
  const photo = [];
  const base = [];
  const alone = [];
  const aloneBase = [];
  for (let i = 0; i < runs; i++) {
    base.push(await gateFolder(baselineDir, env));
    photo.push(await gateFolder(photoDir, env));
    aloneBase.push(await gateFolderAlone(baselineDir, env));
    alone.push(await gateFolderAlone(photoDir, env));
  }
  const clientRss = median(alone.map((p) => p.rssMb));
  const clientBaseRss = median(aloneBase.map((p) => p.rssMb));
  const seconds = median(photo.map((p) => p.ms)) / 1000;
  const baseSeconds = median(base.map((p) => p.ms)) / 1000;
  const rss = median(photo.map((p) => p.rssMb));
  const baseRss = median(base.map((p) => p.rssMb));
  const note = `${photo[0].passed}/${photo[0].total} clean photographs passed; sizes ${SIZES.join('/')} px, JPEG and PNG`;
  return [
    {
      id: 'sandbox_photos_wall',
      figure: `gate --sandbox, ${n} photographs: wall time (median)`,
      unit: 's',
      value: seconds,
      baseline: baseSeconds,
      baselineLabel: `${n} × 600×600 PNG`,
      ratio: seconds / baseSeconds,
      goal: `< ${GOAL_SECONDS} s`,
      ok: seconds < GOAL_SECONDS,
      runs,
      samples: photo.map((p) => p.ms / 1000),
      notes: note,
    },
    {
      id: 'sandbox_photos_peak_rss',
      figure: `gate --sandbox, ${n} photographs: peak RSS (median)`,
      unit: 'MB',
      value: rss,
      baseline: baseRss,
      baselineLabel: `${n} × 600×600 PNG`,
      ratio: rss / baseRss,
      goal: `< ${GOAL_RSS_MB} MB`,
      ok: rss < GOAL_RSS_MB,
      runs,
      samples: photo.map((p) => p.rssMb),
      notes: 'one process: the CLI and its in-process sandbox decoding and judging every image',
    },
    {
      id: 'gate_photos_client_peak_rss',
      figure: `gate of ${n} photographs, the gate process alone: peak RSS (median)`,
      unit: 'MB',
      value: clientRss,
      baseline: clientBaseRss,
      baselineLabel: `${n} × 600×600 PNG`,
      ratio: clientRss / clientBaseRss,
      goal: `< ${GOAL_CLIENT_RSS_MB} MB`,
      ok: clientRss < GOAL_CLIENT_RSS_MB,
      runs,
      samples: alone.map((p) => p.rssMb),
      notes: `sandbox in a process of its own; ${(median(alone.map((p) => p.ms)) / 1000).toFixed(1)} s (median); inline bodies are made as they are sent`,
    },
  ];
}
