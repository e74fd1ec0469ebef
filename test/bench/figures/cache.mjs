/**
 * The cache folder (SPEC §3 "Reruns, spend and the cache"):
 *
 * - the submission record's cost at 100,000 entries: appends, a lookup as `submit` makes it (a new
 *   process reads the record afresh) and lookups as a gate makes them (one record, many keys),
 *   each against the obvious design measured in the same run: one JSON file of every entry,
 *   parsed for a lookup and rewritten (to a temporary file, then renamed) for a write;
 * - a rerun of a gate against its first run on the standalone sandbox (ids persist between the
 *   two): requests the sandbox logged and wall time.
 */
import { randomUUID, createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO, runCli } from '../lib/proc.mjs';
import { startSandbox } from '../lib/sandbox.mjs';
import { assertAllEvaluated, parseGate } from '../lib/gate-report.mjs';

const ENTRIES = 100_000;
const GOAL_RECORD_RATIO = 10;
const GOAL_RERUN_REQUESTS = 1.2;

const { SubmissionRecord, entryDigest } = await import(pathToFileURL(join(REPO, 'dist', 'cache', 'submission-record.js')).href);

const key = (i) => ({ idempotencyKey: `rfe-${createHash('sha256').update(String(i)).digest('hex').slice(0, 32)}`, contentKey: `c-${i}` });

/** ops per second of `fn` run `count` times, one after another. */
async function rate(count, fn) {
  const started = performance.now();
  for (let i = 0; i < count; i++) await fn(i);
  return count / ((performance.now() - started) / 1000);
}

/** The record with ENTRIES entries, written in bulk the way appends would have left it. */
async function fillRecord(dir) {
  const record = new SubmissionRecord(dir, { baseUrl: 'https://api.bench.test' });
  await record.set(key(-1), randomUUID()); // creates the folders
  const shards = new Map();
  for (let i = 0; i < ENTRIES; i++) {
    const digest = entryDigest(key(i));
    const shard = digest.slice(0, 2);
    shards.set(shard, (shards.get(shard) ?? '') + `${digest} ${randomUUID()}\n`);
  }
  for (const [shard, text] of shards) await writeFile(join(record.dir, `${shard}.log`), text, { flag: 'a' });
  return record.dir;
}

/** The baseline: one JSON object of every entry, as assets.json keeps its entries. */
class JsonFileRecord {
  constructor(file) {
    this.file = file;
  }
  async load() {
    try {
      return JSON.parse(await readFile(this.file, 'utf8'));
    } catch {
      return {};
    }
  }
  async get(k) {
    return (await this.load())[entryDigest(k)];
  }
  async set(k, id) {
    const data = await this.load();
    data[entryDigest(k)] = id;
    const temp = `${this.file}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(data));
    await rename(temp, this.file);
  }
}

async function sizeOf(dir) {
  const { readdir } = await import('node:fs/promises');
  let bytes = 0;
  for (const name of await readdir(dir)) bytes += (await stat(join(dir, name))).size;
  return bytes;
}

export async function recordFigures({ ops, workDir }) {
  const dir = join(workDir, 'record-bench');
  await mkdir(dir, { recursive: true });
  const recordDir = await fillRecord(dir);
  const baseline = new JsonFileRecord(join(dir, 'baseline.json'));
  const all = {};
  for (let i = 0; i < ENTRIES; i++) all[entryDigest(key(i))] = randomUUID();
  await writeFile(baseline.file, JSON.stringify(all));

  const ns = { baseUrl: 'https://api.bench.test' };
  // A lookup as `submit` makes it: a fresh record (a new process) and one key.
  const coldLookup = await rate(ops.cold, (i) => new SubmissionRecord(dir, ns).get(key((i * 7919) % ENTRIES)));
  const coldBase = await rate(Math.max(3, Math.ceil(ops.cold / 20)), (i) => baseline.get(key((i * 7919) % ENTRIES)));
  // Lookups as a gate makes them: one record, many keys (each shard read once).
  const gateRecord = new SubmissionRecord(dir, ns);
  const warmLookup = await rate(ops.warm, (i) => gateRecord.get(key((i * 104729) % ENTRIES)));
  const warmBaseRecord = await baseline.load();
  const warmBase = await rate(ops.warm, (i) => warmBaseRecord[entryDigest(key((i * 104729) % ENTRIES))]);
  // Appends onto the 100,000 entries.
  const writer = new SubmissionRecord(dir, ns);
  const writes = await rate(ops.writes, (i) => writer.set(key(ENTRIES + i), randomUUID()));
  const writesBase = await rate(Math.max(3, Math.ceil(ops.writes / 50)), (i) => baseline.set(key(ENTRIES + i), randomUUID()));
  const bytes = await sizeOf(recordDir);
  await rm(dir, { recursive: true, force: true });

  const perEntry = bytes / (ENTRIES + ops.writes + 1);
  const row = (id, figure, value, base, notes) => ({
    id,
    figure,
    unit: 'ops/s',
    value,
    baseline: base,
    baselineLabel: 'one JSON file',
    ratio: value / base,
    goal: `≥ ${id === 'record_lookup_gate' ? '0.5' : GOAL_RECORD_RATIO}× baseline`,
    ok: value / base >= (id === 'record_lookup_gate' ? 0.5 : GOAL_RECORD_RATIO),
    runs: 1,
    notes,
  });
  return [
    row('record_lookup_submit', `record of ${ENTRIES.toLocaleString('en')}: lookup in a fresh process (submit)`, coldLookup, coldBase, `reads one of 256 shards; ${perEntry.toFixed(0)} bytes an entry on disk (${(bytes / 1e6).toFixed(1)} MB in all)`),
    row('record_lookup_gate', `record of ${ENTRIES.toLocaleString('en')}: lookups by one gate`, warmLookup, warmBase, 'each shard read once, then a map lookup; the baseline is a parsed object (its parse is the submit row)'),
    row('record_write', `record of ${ENTRIES.toLocaleString('en')}: writes (one O_APPEND line each)`, writes, writesBase, 'the baseline rewrites the whole file per write, as a JSON cache must'),
  ];
}

/** A gate over `images`, then the same gate again with the same cache folder and sandbox. */
export async function rerunFigures({ env, images, imageDir, workDir }) {
  const n = images.length;
  const manifest = join(imageDir, `manifest-rerun-${n}.jsonl`);
  await writeFile(manifest, images.map((p) => JSON.stringify({ image: basename(p) })).join('\n') + '\n');
  const cacheDir = join(workDir, 'rerun-cache');
  const sandbox = await startSandbox({ maxInflight: 8 });
  try {
    const args = ['gate', '--manifest', manifest, '--task-type', 'bench', '--json'];
    const runEnv = { ...env, RUNFLOW_BASE_URL: sandbox.url, RUNFLOW_CACHE_DIR: cacheDir };
    const first = await runCli(args, { env: runEnv, shareCache: true });
    assertAllEvaluated(parseGate(first, sandbox), n);
    const firstRequests = sandbox.requests.length;
    sandbox.clearLog();
    const again = await runCli(args, { env: runEnv, shareCache: true });
    const report = parseGate(again, sandbox);
    assertAllEvaluated(report, n);
    if (report.counts.reused !== n) throw new Error(`the rerun reused ${report.counts.reused} of ${n}`);
    const rerunRequests = sandbox.requests.length;
    const posts = sandbox.requests.filter((q) => q.method === 'POST').length;
    return [
      {
        id: 'gate_rerun_requests',
        figure: `gate ${n} images, rerun with the cache: requests`,
        unit: 'count',
        value: rerunRequests,
        baseline: firstRequests,
        baselineLabel: 'first run',
        ratio: rerunRequests / firstRequests,
        goal: `≤ ${GOAL_RERUN_REQUESTS} per image, no POST`,
        ok: rerunRequests <= GOAL_RERUN_REQUESTS * n && posts === 0,
        runs: 1,
        notes: `${(rerunRequests / n).toFixed(2)} per image (one GET each), ${posts} POST; the first run made ${(firstRequests / n).toFixed(2)} per image`,
      },
      {
        id: 'gate_rerun_wall',
        figure: `gate ${n} images, rerun with the cache: wall time`,
        unit: 's',
        value: again.ms / 1000,
        baseline: first.ms / 1000,
        baselineLabel: 'first run',
        ratio: again.ms / first.ms,
        goal: '≤ 0.5× first run',
        ok: again.ms / first.ms <= 0.5,
        runs: 1,
        notes: 'the sandbox judges at its default speed, 8 in flight; the rerun hashes every file, then reads each evaluation once',
      },
    ];
  } finally {
    await sandbox.stop();
  }
}
