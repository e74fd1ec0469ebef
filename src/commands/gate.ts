import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { parseDuration } from '../util/duration.js';
import { SANDBOX_IDS_HINT, UsageError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { buildComparedReport } from '../gate/baseline.js';
import { loadBaseline, type BaselineFlags } from '../gate/baseline-file.js';
import { parseRepeatFlags, runKeySuffixes, type RepeatFlags, type RepeatOptions } from '../gate/repeats.js';
import { invalidMediaResult, withClientRef } from '../gate/decide.js';
import { mergeReports } from '../gate/merge.js';
import { prepareReportTargets, writeReports, type ReportTargets } from '../gate/outputs.js';
import type { PlannedInput } from '../gate/run.js';
import type { KeyOptions } from '../evaluations/request.js';
import { parseShard, selectShard } from '../gate/shard.js';
import type { GateReport, GateResult, GateResultExtra } from '../gate/types.js';
import type { SkippedFile } from '../gate/inputs-types.js';
import type { ImagesFrom } from '../gate/inputs.js';
import { addProjectFileFlags, applyProjectSettings, loadProjectSettings } from '../project/apply.js';
import { compareDecimals, isDecimalString, multiplyDecimal } from '../util/money.js';
import { spinnerFits, startProgress, startProgressLines } from '../progress.js';
import { action, withGlobals } from './define.js';
import { wholeNumberFlag } from '../validate.js';
import { DEFAULT_EMBED, fetchEvaluation } from '../api/evaluations.js';
import { fetchJobClasses } from '../api/job-classes.js';
import { addSubmitFlags, type SubmitFlags } from '../evaluations/submit-flags.js';
import { DEFAULT_TIMEOUT } from '../evaluations/wait.js';
import { MIN_POLL_INTERVAL_MS } from '../evaluations/poll.js';

interface GateFlags extends SubmitFlags, ReportTargets, BaselineFlags, RepeatFlags {
  manifest?: string;
  id?: string[];
  threshold?: string;
  concurrency?: string;
  retryFailed?: string;
  interval?: string;
  shard?: string;
  dryRun?: boolean;
  maxCost?: string;
  quiet?: boolean;
  all?: boolean;
  /** `--config FILE`, or false for `--no-config`. */
  config?: string | false;
  maxFailures?: string;
  /** commander's `--no-balance-check`. */
  balanceCheck?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];
/**
 * Evaluations kept submitted and unfinished at once. Against a service that queues, this only
 * needs to exceed its workers plus what finishes while the gate notices; 64 covers services of up
 * to about 48 workers (bench: 12 workers 1.04× the ideal at 32) and bounds what Ctrl-C leaves
 * running and billed.
 */
const DEFAULT_CONCURRENCY_CAP = 64;

function parseThreshold(value: string | undefined): number {
  if (value === undefined) return 0;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) {
    // 80 is most likely a percentage: say what it would be as a fraction.
    const hint = Number.isFinite(n) && n > 1 && n <= 100 ? `did you mean --threshold ${n / 100}? (a score from 0.0 to 1.0, not a percentage)` : undefined;
    throw new UsageError(`--threshold must be a number from 0.0 to 1.0 (got ${JSON.stringify(value)})`, { hint });
  }
  return n;
}

async function readManifest(ctx: Context, file: string): Promise<{ name: string; text: string; baseDir: string }> {
  if (file === '-') {
    let text = '';
    for await (const chunk of ctx.io.stdin) text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return { name: '<stdin>', text, baseDir: ctx.cwd };
  }
  try {
    const text = await fs.readFile(path.resolve(ctx.cwd, file), 'utf8');
    return { name: file, text, baseDir: path.dirname(path.resolve(ctx.cwd, file)) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`--manifest ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder' : `cannot be read (${code})`}`);
  }
}

/** Every input is checked before the first request: one bad item stops the gate, nothing sent. */
async function planInputs(ctx: Context, images: string[], flags: GateFlags, threshold: number, imagesFrom?: ImagesFrom): Promise<{ planned: PlannedInput[]; skipped: SkippedFile[] }> {
  const { collectGateInputs } = await import('../gate/inputs.js');
  const { prepareSubmission } = await import('../evaluations/request.js');
  const manifest = flags.manifest !== undefined ? await readManifest(ctx, flags.manifest) : undefined;
  const skipped: SkippedFile[] = [];
  let inputs = await collectGateInputs({ images, imagesFrom, manifest, ids: flags.id ?? [], flags, cwd: ctx.cwd, thresholdFlag: threshold, skipped });
  if (!inputs.length) {
    throw new UsageError('gate needs at least one input: image arguments, --manifest FILE, or --id UUID', {
      hint: 'or keep them in a project file (runflow-eval.config.json: {"images": ["renders/**/*.png"], …})',
    });
  }
  if (flags.shard !== undefined) inputs = selectShard(inputs, parseShard(flags.shard));
  // Checked several at a time (each check reads the start of a file), but the error reported is
  // that of the first bad input in input order, as a one-by-one check would find.
  const outcomes = await mapConcurrent(inputs, VALIDATION_CONCURRENCY, async (input): Promise<PlannedInput> => {
    const t = input.threshold ?? threshold;
    if (input.kind !== 'submit') return { input, threshold: t };
    try {
      return { input, prepared: await prepareSubmission(input.spec), threshold: t };
    } catch (err) {
      if (err instanceof UsageError && !err.message.includes(input.origin)) {
        throw new UsageError(`${input.origin}: ${err.message}`, { hint: err.hint });
      }
      throw err;
    }
  });
  const firstError = outcomes.find((o) => !o.ok);
  if (firstError && !firstError.ok) throw firstError.error;
  return { planned: outcomes.map((o) => (o as { ok: true; value: PlannedInput }).value), skipped };
}

/**
 * After Ctrl-C/SIGTERM: what is still running on the server (and may be billed: there is no
 * cancel), by id, and what a rerun does about it.
 */
function reportInterrupted(ctx: Context, results: GateResult[], resubmit: boolean): void {
  const running = results.filter((r) => r.status_code === 'interrupted' && r.evaluation_id);
  const finished = results.filter((r) => r.evaluation_id && r.status_code !== 'interrupted').length;
  const notSent = results.filter((r) => r.status_code === 'not_submitted').length;
  const parts = [`${running.length} still running on the server`];
  if (finished) parts.push(`${finished} finished`);
  if (notSent) parts.push(`${notSent} not_submitted`);
  ctx.err(`interrupted: ${parts.join(', ')}`);
  if (!running.length) return;
  ctx.err(`the ${running.length} still running keep running and may be billed (there is no cancel):`);
  for (const r of running) ctx.err(`  ${r.evaluation_id}`);
  if (resubmit) {
    ctx.err('they were sent with --resubmit (fresh idempotency keys): running the gate again pays for them again; follow them with `runflow-eval wait <id>`');
  } else {
    ctx.err('run the same gate command again to pick them up (same idempotency keys) instead of paying twice');
  }
}

/**
 * `gate mrege s1.json` would treat `mrege` as an image and complain about --task-type: a first
 * argument that is no file or URL but close to a subcommand's name is most likely a typo of it.
 */
function refuseSubcommandTypo(images: string[]): void {
  const first = images[0];
  if (first === undefined || existsSync(first) || /[/\\.:]/.test(first)) return;
  for (const sub of ['merge']) {
    if (first !== sub && editDistance(first.toLowerCase(), sub) <= 2) {
      throw new UsageError(`gate: ${JSON.stringify(first)} is neither a file nor a subcommand; did you mean \`gate ${sub}\`?`, {
        hint: `an image file named ${first} is given as ./${first}`,
      });
    }
  }
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const here = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = here;
    }
  }
  return row[b.length]!;
}

/** Says how many files folders passed over (and which, with --verbose), so nothing vanishes silently. */
function reportSkipped(ctx: Context, skipped: SkippedFile[]): void {
  if (!skipped.length) return;
  const n = skipped.length;
  ctx.err(`gate: skipped ${n} file${n === 1 ? '' : 's'} that ${n === 1 ? 'is' : 'are'} not named as an image (.png, .jpg, .webp, …)${ctx.verbose ? ':' : '; --verbose lists them'}`);
  if (ctx.verbose) for (const f of skipped) ctx.err(`  skipped ${f.path} (${f.reason})`);
}

/** Files named as images that are empty or not images: said on stderr too, before anything is sent. */
function reportInvalid(ctx: Context, planned: PlannedInput[]): void {
  for (const p of planned) if (p.input.kind === 'invalid') ctx.err(`gate: ${p.input.reason}; it fails the gate as invalid_media and is not sent`);
}

const VALIDATION_CONCURRENCY = 16;

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Runs `fn` over `items` with at most `limit` at once; results in input order. */
async function mapConcurrent<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<Settled<R>[]> {
  const results: Settled<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      try {
        results[index] = { ok: true, value: await fn(items[index]) };
      } catch (error) {
        results[index] = { ok: false, error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

interface PriceInfo {
  job_class: string;
  price: string | null;
  currency: string | null;
}

async function lookupPrice(ctx: Context, jobClass: string): Promise<PriceInfo> {
  const { classes } = await fetchJobClasses(ctx);
  const match = classes?.find((c) => c.code === jobClass);
  const price = match && isDecimalString(match.price) ? match.price : null;
  return { job_class: jobClass, price, currency: typeof match?.currency_code === 'string' ? match.currency_code : null };
}

/** The balance as the gate shows it: the amount, and whether it pays for the new evaluations. */
interface BalanceInfo {
  balance: string | null;
  currency: string | null;
  covered: boolean | null;
  needed: string | null;
  /** Why the balance or the coverage is unknown. */
  unknown?: string;
}

async function lookupBalance(ctx: Context, price: PriceInfo, count: number): Promise<BalanceInfo> {
  const { readBalance } = await import('../api/billing.js');
  const { balanceCovers } = await import('../gate/spend.js');
  const reading = await readBalance(await ctx.client(), { signal: ctx.signal });
  if (!reading.ok) return { balance: null, currency: null, covered: null, needed: null, unknown: reading.reason };
  const { amount, currency } = reading.balance;
  const coverage = balanceCovers(reading.balance, price, count);
  if (!coverage.ok) return { balance: amount, currency, covered: null, needed: null, unknown: coverage.reason };
  return { balance: amount, currency, covered: coverage.covered, needed: coverage.needed };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The record this gate reads and writes, and what it will spend: none of it needs a key. */
async function spendOf(ctx: Context, planned: PlannedInput[], flags: GateFlags, settings: { baseUrl: string; orgId?: string }, repeat: RepeatOptions) {
  const { planSpend } = await import('../gate/spend.js');
  const { SubmissionRecord } = await import('../cache/submission-record.js');
  const cacheDir = ctx.cacheDir();
  const record = cacheDir === undefined ? undefined : new SubmissionRecord(cacheDir, settings);
  // Whatever way the command ends (Ctrl-C included), what was submitted is recorded first.
  if (record) ctx.onDispose(() => record.flush());
  return { record, cacheDir, spend: await planSpend(planned, { record, resubmit: flags.resubmit, keys: gateKeys(flags, planned), keySuffixes: () => runKeySuffixes(repeat.runs) }) };
}

async function runDryRun(ctx: Context, planned: PlannedInput[], flags: GateFlags, repeat: RepeatOptions): Promise<number> {
  const submits = planned.filter((p) => p.input.kind === 'submit');
  const jobClass = flags.jobClass ?? 'standard';
  const settings = await ctx.apiSettings({ requireKey: false });
  const { spend } = await spendOf(ctx, planned, flags, settings, repeat);
  let price: PriceInfo = { job_class: jobClass, price: null, currency: null };
  let priceKnown = false;
  try {
    price = await lookupPrice(ctx, jobClass);
    priceKnown = true;
  } catch (err) {
    if (flags.maxCost !== undefined) throw err;
    ctx.err(`warning: could not look up the price: ${(err as Error).message}`);
  }
  const total = price.price !== null ? multiplyDecimal(price.price, spend.newEvaluations) : null;
  checkMaxCost(flags.maxCost, price, total, spend.newEvaluations);
  // The balance needs the key the price lookup needed; without one (or with the check turned
  // off) it is simply not shown.
  let balance: BalanceInfo = { balance: null, currency: null, covered: null, needed: null };
  if (flags.balanceCheck !== false && priceKnown) balance = await lookupBalance(ctx, price, spend.newEvaluations);
  if (balance.covered === null && spend.newEvaluations === 0) balance.covered = true;
  if (ctx.globals.json) {
    ctx.json({
      dry_run: true,
      evaluations: spend.newEvaluations,
      ...(repeat.runs > 1 ? { runs: repeat.runs } : {}),
      job_class: price.job_class,
      price: price.price,
      currency: price.currency,
      total,
      inputs: submits.map((p) => ({ image: p.input.display, task_type: p.prepared!.spec.taskType ?? null })),
      reused: spend.reused,
      balance: balance.balance,
      covered: balance.covered,
    });
    return 0;
  }
  const existing = planned.filter((p) => p.input.kind === 'id').length;
  const broken = planned.filter((p) => p.input.kind === 'invalid').length;
  const reusedNote = spend.reused ? `, ${spend.reused} already evaluated (reused from the cache, not paid again)` : '';
  ctx.out(`dry run: ${plural(spend.newEvaluations, 'evaluation')} to submit${repeat.runs > 1 ? ` (at most ${repeat.runs} runs per image)` : ''}${reusedNote}${existing ? `, ${existing} existing to gate` : ''}${broken ? `, ${broken} invalid file${broken === 1 ? '' : 's'} that will fail the gate` : ''}`);
  const label = { id: 'existing', submit: 'submit  ', invalid: 'invalid ' } as const;
  for (const p of planned) ctx.out(`  ${label[p.input.kind]}  ${p.input.display}${p.prepared ? `  (${p.prepared.spec.taskType})` : ''}  threshold ${p.threshold}`);
  ctx.out(price.price !== null ? `price: ${price.price}${price.currency ? ` ${price.currency}` : ''} per evaluation (${price.job_class}); total ${total}` : `price: unknown for job class ${price.job_class}`);
  if (balance.balance !== null || balance.unknown) ctx.out(describeBalance(balance, spend.newEvaluations));
  ctx.out('nothing was sent');
  return 0;
}

function describeBalance(b: BalanceInfo, count: number): string {
  if (b.balance === null) return `balance: unknown (${b.unknown})`;
  const amount = `${b.balance}${b.currency ? ` ${b.currency}` : ''}`;
  if (b.covered === null) return `balance: ${amount} (whether it covers the run is unknown: ${b.unknown ?? 'no price'})`;
  if (count === 0) return `balance: ${amount}; nothing new to pay for`;
  return `balance: ${amount}; ${b.covered ? 'covers' : 'does NOT cover'} the ${b.needed} needed for ${plural(count, 'new evaluation')}`;
}

/**
 * Before the first submission (SPEC §3 "Balance"): refuses, exit 4 and nothing sent, when the
 * balance cannot pay for the new evaluations; says once that it could not check, and goes on,
 * when the balance (or the price) cannot be read.
 */
async function checkBalance(ctx: Context, price: PriceInfo | undefined, count: number): Promise<void> {
  const skip = (why: string) => ctx.err(`warning: could not check the balance before submitting: ${why}; going on (--no-balance-check skips this check)`);
  if (!price) return skip('the price of the job class could not be read');
  const info = await lookupBalance(ctx, price, count);
  if (info.covered === null) return skip(info.unknown ?? 'unknown');
  if (info.covered) {
    ctx.debug(`balance ${info.balance} covers the ${info.needed} needed for ${plural(count, 'new evaluation')}`);
    return;
  }
  const { AuthError } = await import('../errors.js');
  const unit = info.currency ?? price.currency;
  const money = (v: string | null) => `${v}${unit ? ` ${unit}` : ''}`;
  throw new AuthError(
    `balance ${money(info.balance)} is below the ${money(info.needed)} needed for ${plural(count, 'new evaluation')} (${price.price} each); nothing was sent`,
    {
      code: 'INSUFFICIENT_BALANCE',
      hint: 'top up at app.runflow.io/settings/billing, or gate fewer images (--shard, --max-failures); --no-balance-check skips this check',
      details: { balance: info.balance, needed: info.needed, evaluations: count, price: price.price, currency: unit },
    },
  );
}

function checkMaxCost(maxCost: string | undefined, price: PriceInfo, total: string | null, count: number): void {
  if (maxCost === undefined) return;
  if (total === null) throw new UsageError(`--max-cost: the price of job class ${price.job_class} is unknown, so the cost cannot be checked`);
  if (compareDecimals(total, maxCost) > 0) {
    throw new UsageError(`--max-cost ${maxCost}: ${count} evaluations × ${price.price} = ${total}${price.currency ? ` ${price.currency}` : ''}, over the limit; nothing was sent`);
  }
}

/**
 * `--idempotency-key K` (SPEC §3's submit / gate options). One key cannot serve several images (the
 * service would refuse all but the first with a 409), so K is the key itself only when the gate
 * submits exactly one image and is not sharded; otherwise each image's key is K plus a part of its
 * content-derived key, the same on every rerun, so a rerun under the same K still resumes.
 */
function gateKeys(flags: GateFlags, planned: readonly PlannedInput[]): KeyOptions | undefined {
  if (flags.idempotencyKey === undefined) return undefined;
  const submits = planned.filter((p) => p.input.kind === 'submit').length;
  return submits === 1 && flags.shard === undefined ? { idempotencyKey: flags.idempotencyKey } : { keyPrefix: flags.idempotencyKey };
}

async function checkGateKey(flags: GateFlags): Promise<void> {
  const key = flags.idempotencyKey;
  if (key === undefined) return;
  const { KEY_PREFIX_ADDS } = await import('../evaluations/request.js');
  if (flags.resubmit) throw new UsageError('--idempotency-key and --resubmit contradict each other; give one');
  const max = 255 - KEY_PREFIX_ADDS;
  if (!key.trim() || key.length > max) {
    throw new UsageError(`--idempotency-key must be 1-${max} characters for gate (each image's key adds ${KEY_PREFIX_ADDS} to it, and the service takes 255)`);
  }
}

async function runGateCommand(ctx: Context, images: string[], flags: GateFlags, imagesFrom?: ImagesFrom): Promise<number> {
  // A typo of a subcommand is a command-line mistake; images from a project file are not one.
  if (!imagesFrom) refuseSubcommandTypo(images);
  const threshold = parseThreshold(flags.threshold);
  const timeoutMs = parseDuration(flags.timeout ?? DEFAULT_TIMEOUT, '--timeout');
  // Floored as wait's is: a 0 gap would poll each evaluation as fast as the service answers.
  const intervalMs = flags.interval !== undefined ? Math.max(MIN_POLL_INTERVAL_MS, parseDuration(flags.interval, '--interval')) : undefined;
  const cap = wholeNumberFlag(flags.concurrency, '--concurrency', 1, 1000, DEFAULT_CONCURRENCY_CAP);
  const retryFailed = wholeNumberFlag(flags.retryFailed, '--retry-failed', 0, 10, 1);
  const maxFailures = flags.maxFailures === undefined ? undefined : wholeNumberFlag(flags.maxFailures, '--max-failures', 1, 1_000_000, 1);
  if (flags.maxCost !== undefined && !/^\d+(\.\d+)?$/.test(flags.maxCost.trim())) throw new UsageError(`--max-cost must be a non-negative decimal amount (got ${JSON.stringify(flags.maxCost)})`);
  await checkGateKey(flags);
  const repeat = parseRepeatFlags(flags);
  const baseline = await loadBaseline(flags);
  const { planned, skipped } = await planInputs(ctx, images, flags, threshold, imagesFrom);
  await prepareReportTargets(flags);
  reportSkipped(ctx, skipped);
  reportInvalid(ctx, planned);
  if (flags.dryRun) return runDryRun(ctx, planned, flags, repeat);
  const shard = flags.shard !== undefined ? parseShard(flags.shard) : undefined;
  const decorate = (report: GateReport): GateReport => {
    if (skipped.length) report.skipped = skipped.map((f) => f.path);
    if (shard) report.shard = { index: shard.index, count: shard.count };
    return report;
  };

  // Broken files named as images are decided here, never sent; the rest go to the scheduler.
  const runnable = planned.filter((p) => p.input.kind !== 'invalid');
  const invalid = planned.map((p) => (p.input.kind === 'invalid' ? invalidMediaResult(p.input.display, p.threshold, p.input.reason) : undefined));
  if (!runnable.length) {
    // An empty shard is a pass with no results, so a CI matrix leg with nothing to do is green;
    // a folder of broken outputs fails without needing the service.
    if (!planned.length) await ctx.apiSettings();
    const decided = invalid.filter((d) => d !== undefined);
    return finish(ctx, decorate(buildComparedReport(decided.map((d) => d.result), decided.map((d) => d.exitCode), threshold, [], baseline)), [], flags, []);
  }

  const settings = await ctx.apiSettings();
  const client = await ctx.client(settings);
  // One request budget for the whole command: the price and balance lookups count against the
  // service's request-rate limit as much as the gate's own requests do.
  const { RequestBudget } = await import('../gate/budget.js');
  const budget = new RequestBudget({ clock: ctx.clock, debug: (line) => ctx.debug(line) });
  client.setPacer(budget);
  const deadline = ctx.clock.now() + timeoutMs;
  const { record, cacheDir, spend } = await spendOf(ctx, planned, flags, settings, repeat);
  const balanceCheck = flags.balanceCheck !== false && spend.newEvaluations > 0;
  if (flags.maxCost !== undefined || balanceCheck) {
    const jobClass = flags.jobClass ?? 'standard';
    let price: PriceInfo | undefined;
    try {
      price = await lookupPrice(ctx, jobClass);
    } catch (err) {
      // --max-cost cannot be honoured without the price; the balance check can be skipped.
      if (flags.maxCost !== undefined || ctx.signal.aborted) throw err;
    }
    if (flags.maxCost !== undefined) {
      checkMaxCost(flags.maxCost, price!, price!.price !== null ? multiplyDecimal(price!.price, spend.newEvaluations) : null, spend.newEvaluations);
    }
    if (balanceCheck) await checkBalance(ctx, price, spend.newEvaluations);
  }
  const { runGate } = await import('../gate/run.js');
  const { runRepeated } = await import('../gate/repeat-run.js');
  const { AssetCache } = await import('../images/asset-cache.js');
  const needDetail = Boolean(flags.report || flags.junit);
  const state = (s: { done: number; total: number; inFlight: number; passed: number }) => `gate: ${s.done}/${s.total} done, ${s.passed} passed, ${s.inFlight} in flight`;
  const first = state({ done: 0, total: runnable.length, inFlight: 0, passed: 0 });
  // A spinner on a terminal; plain lines in logs and pipes (CI), so a long gate is never silent.
  const progress = flags.quiet
    ? { update() {}, stop() {} }
    : spinnerFits(ctx)
      ? await startProgress(ctx, first)
      : startProgressLines(first, { clock: ctx.clock, write: (line) => ctx.err(line) });
  const outcome = await runRepeated(runnable, {
    client,
    clock: ctx.clock,
    signal: ctx.signal,
    deadline,
    baseUrl: settings.baseUrl,
    orgId: settings.orgId,
    cache: cacheDir === undefined ? undefined : new AssetCache(cacheDir, { legacyDir: ctx.config().dir }),
    record,
    maxFailures,
    concurrencyCap: cap,
    retryFailed,
    intervalMs,
    forceUpload: flags.upload,
    resubmit: flags.resubmit,
    keys: gateKeys(flags, planned),
    embed: needDetail ? DEFAULT_EMBED : 'none',
    fetchEvaluation: (id, embed, signal, onResponse) => fetchEvaluation(ctx, id, embed, signal, onResponse),
    onProgress: (s) => progress.update(state(s)),
    debug: (line) => ctx.debug(line),
    budget,
  }, repeat, runGate).finally(() => progress.stop());
  await record?.flush();

  if (outcome.fatal) throw outcome.fatal;
  // Back into input order, the invalid files where they were found.
  const results: GateResult[] = [];
  const exitCodes: number[] = [];
  const extras: GateResultExtra[] = [];
  let next = 0;
  planned.forEach((p, i) => {
    const decided = invalid[i];
    if (decided) {
      results.push(decided.result);
      exitCodes.push(decided.exitCode);
      extras.push({});
    } else {
      results.push(withClientRef(outcome.results[next]!, clientRefOf(p, outcome.extras[next])));
      exitCodes.push(outcome.exitCodes[next]);
      extras.push(outcome.extras[next]);
      next++;
    }
  });
  const report = decorate(buildComparedReport(results, exitCodes, threshold, outcome.interrupted ? [ctx.interruptExitCode] : [], baseline));
  if (ctx.globals.sandbox && results.some((r) => r.error && /not.?found|404/i.test(String(r.error.code)))) {
    ctx.err(`hint: ${SANDBOX_IDS_HINT}`);
  }
  if (outcome.interrupted) reportInterrupted(ctx, results, Boolean(flags.resubmit));
  else {
    const pending = outcome.results.filter((r) => r.evaluation_id && (r.status_code === 'pending' || r.status_code === 'running'));
    if (pending.length) {
      ctx.err(`deadline passed with ${pending.length} evaluation(s) still pending: ${pending.map((r) => r.evaluation_id).join(', ')}`);
      ctx.err('hint: raise --timeout, or rerun the same gate later to pick them up');
    }
  }
  return finish(ctx, report, extras, flags, outcome.submittedIds);
}

/** The input's client_ref; for an existing evaluation (--id), the one it was submitted with. */
function clientRefOf(p: PlannedInput, extra: GateResultExtra | undefined): string | undefined {
  if (p.input.kind === 'submit') return p.input.spec.clientRef;
  const ref = extra?.evaluation?.client_ref;
  return typeof ref === 'string' ? ref : undefined;
}

async function finish(ctx: Context, report: GateReport, extras: GateResultExtra[] | undefined, flags: ReportTargets & { all?: boolean }, _ids: string[]): Promise<number> {
  await writeReports(ctx, report, extras, flags);
  if (ctx.globals.json) ctx.json(report);
  else {
    const { renderGateTable } = await import('../report/summary-table.js');
    ctx.out(renderGateTable(report, { color: ctx.color, columns: ctx.io.columns, all: flags.all }));
  }
  return report.exit_code;
}

async function runMerge(ctx: Context, files: string[], flags: ReportTargets & BaselineFlags & { all?: boolean }, cmd: Command): Promise<number> {
  refuseGateFlags(cmd);
  const baseline = await loadBaseline(flags);
  await prepareReportTargets(flags);
  const docs = [];
  for (const file of files) {
    try {
      docs.push({ name: file, text: await fs.readFile(file, 'utf8') });
    } catch (err) {
      throw new UsageError(`${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  const report = mergeReports(docs, { warn: (line) => ctx.err(`warning: ${line}`), baseline });
  return finish(ctx, report, undefined, flags, []);
}

/**
 * `gate --threshold 0.9 merge …` would parse, but merge re-decides nothing: the shards' results
 * carry their own thresholds. A flag that would be ignored is refused instead.
 */
function refuseGateFlags(cmd: Command): void {
  const gate = cmd.parent;
  if (!gate) return;
  // --config/--no-config name the project file merge reads too: taken from either command.
  const globals = new Set(['json', 'baseUrl', 'org', 'sandbox', 'verbose', 'color', 'config']);
  const given = gate.options
    .filter((o) => !globals.has(o.attributeName()) && gate.getOptionValueSource(o.attributeName()) === 'cli')
    .map((o) => o.long ?? o.flags);
  if (given.length) {
    throw new UsageError(`gate merge does not take ${given.join(', ')}`, {
      hint: 'merge takes the shards\' documents and --json, --json-file, --junit, --report; the shards\' results keep the thresholds they were judged by',
    });
  }
}

function addBaselineFlags(cmd: Command): Command {
  return cmd
    .option('--baseline <file>', "compare with an earlier gate's --json document (e.g. the main branch's)")
    .option('--max-drop <d>', 'a score that fell by more than this (0.0-1.0), or a pass that became a fail, is a regression (exit 1)')
    .option('--max-mean-drop <d>', 'the most the mean score over matched images may fall (0.0-1.0)');
}

function addReportFlags(cmd: Command): Command {
  return cmd
    .option('--all', 'list every image in the table (a gate of more than 50 lists only those that did not pass)')
    .option('--json-file <file>', 'also write the --json document to this file')
    .option('--junit <file>', 'write a JUnit XML report (one testcase per image)')
    .option('--report <file.html>', 'write a self-contained HTML report');
}

export function registerGate(program: Command, ctx: Context): void {
  const gate = withGlobals(program.command('gate'))
    .enablePositionalOptions()
    .description('submit images, wait for every verdict, and exit non-zero unless all pass (the CI quality gate)')
    .argument('[image...]', 'images: https:// URLs, runflow://assets/<uuid>, data: URIs, local files, or folders of images');
  addSubmitFlags(gate, { perImageKey: false })
    .option('--idempotency-key <key>', 'Idempotency-Key of a gate that submits one image; over several, each image gets <key>-<part of its content key>')
    .option('--manifest <file>', 'JSON array or JSON Lines of {image, task_type?, prompt?, ...}; - for stdin')
    .option('--id <uuid>', 'gate an evaluation that already exists (repeatable)', collect)
    .option('--threshold <x>', 'minimum weighted_pass_rate, 0.0-1.0 (default 0: verdict only)')
    .option('--concurrency <n>', `most evaluations submitted and unfinished at once (default ${DEFAULT_CONCURRENCY_CAP}; lowered automatically when the service refuses more)`)
    .option('--retry-failed <n>', 'resubmissions of a transiently failed evaluation (dispatch_failed, timed_out)', '1')
    .option('--timeout <duration>', 'deadline for the whole gate', DEFAULT_TIMEOUT)
    .option('--interval <duration>', 'fixed time between polls (default: adaptive)')
    .option('--shard <i/n>', 'take a deterministic slice i of n of the inputs (CI matrices)')
    .option('--dry-run', 'check every input, print the plan and its price, send nothing')
    .option('--max-cost <amount>', 'refuse before sending when price × new evaluations exceeds this')
    .option('--max-failures <n>', 'stop submitting once this many images have failed or errored (the rest are not_submitted)')
    .option('--no-balance-check', 'do not read the balance before submitting')
    .option('--runs <n>', 'evaluate each submitted image n times (1-5) and judge the aggregate (default 1)')
    .option('--aggregate <how>', 'how the runs\' scores combine: median, mean or min (default median)')
    .option('--runs-within <m>', 'spend the further runs only on images whose first score is within m of their threshold')
    .option('--quiet', 'no progress on stderr (a spinner on a terminal, a line every 10 s in logs)')
    .addHelpText(
      'after',
      `
Examples:
  $ runflow-eval gate renders/ --task-type product_photo --threshold 0.8
  $ runflow-eval gate 'renders/**/*.png' --task-type product_photo --junit junit.xml --report gate.html
  $ runflow-eval gate --manifest images.jsonl --json-file results.json --shard 2/4
  $ runflow-eval gate renders/ --task-type product_photo --baseline main-gate.json --max-drop 0.05 --runs 3 --runs-within 0.05
  $ runflow-eval gate merge results/shard-*.json --junit junit.xml
  $ runflow-eval gate                    # settings from runflow-eval.config.yaml (see: runflow-eval init)
  $ runflow-eval gate fixtures --sandbox --task-type demo     # no key, no network`,
    );
  addProjectFileFlags(addReportFlags(addBaselineFlags(gate))).action(
    action(ctx, async (images: string[], flags: GateFlags) => {
      // The project file sits under the flags (SPEC §2); its keys are this command's flags.
      const project = applyProjectSettings(ctx, gate, await loadProjectSettings(ctx, gate, flags.config), flags, images);
      try {
        return await runGateCommand(ctx, project.images, project.flags, project.imagesFrom);
      } catch (err) {
        throw project.attribute(err);
      }
    }),
  );

  const merge = addProjectFileFlags(addReportFlags(addBaselineFlags(withGlobals(gate.command('merge')))))
    .description('combine the --json results of gate shards and exit as one gate would (an image named merge: ./merge)')
    .argument('<file...>', 'gate --json documents')
    .action(
      action(ctx, async (files: string[], flags: ReportTargets & BaselineFlags & { config?: string | false }, cmd: Command) => {
        // `gate --config X merge …` puts the flag on gate (positional options): it counts the same.
        const config = merge.getOptionValueSource('config') === 'cli' ? flags.config : gate.getOptionValueSource('config') === 'cli' ? (gate.getOptionValue('config') as string | false) : flags.config;
        const project = applyProjectSettings(ctx, merge, await loadProjectSettings(ctx, gate, config), flags, []);
        try {
          return await runMerge(ctx, files, project.flags, cmd);
        } catch (err) {
          throw project.attribute(err);
        }
      }),
    );
}

