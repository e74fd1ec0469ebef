import type { Command } from 'commander';
import type { Context } from '../context.js';
import { parseDuration, parseDeadline } from '../util/duration.js';
import { UsageError } from '../errors.js';
import { action, withGlobals } from './define.js';
import { addSubmitFlags, specFromFlags, type SubmitFlags } from '../evaluations/submit-flags.js';
import { DEFAULT_TIMEOUT, waitAndReport } from '../evaluations/wait.js';

interface Flags extends SubmitFlags {
  wait?: boolean;
  interval?: string;
  embed?: string;
}

async function runSubmit(ctx: Context, image: string, flags: Flags): Promise<number> {
  const timeoutMs = parseDeadline(flags.timeout ?? DEFAULT_TIMEOUT, '--timeout');
  if (flags.interval !== undefined) parseDuration(flags.interval, '--interval');
  if (flags.idempotencyKey !== undefined) {
    if (flags.resubmit) throw new UsageError('--idempotency-key and --resubmit contradict each other; give one');
    if (!flags.idempotencyKey.trim() || flags.idempotencyKey.length > 255) throw new UsageError('--idempotency-key must be 1-255 characters');
  }
  // Loaded on use: file-type and the upload code are not needed for --help or other commands.
  const { buildRequest, prepareSubmission } = await import('../evaluations/request.js');
  const { submitOrReuse } = await import('../evaluations/reuse.js');
  const { AssetCache } = await import('../images/asset-cache.js');
  const { SubmissionRecord } = await import('../cache/submission-record.js');
  const { fetchEvaluation } = await import('../api/evaluations.js');
  // Everything that can be checked offline is checked before the first request.
  const prepared = await prepareSubmission(specFromFlags(image, flags));
  const settings = await ctx.apiSettings();
  const client = await ctx.client(settings);
  const deadline = ctx.clock.now() + timeoutMs;
  const cacheDir = ctx.cacheDir();
  const built = await buildRequest(prepared, {
    client,
    cache: cacheDir === undefined ? undefined : new AssetCache(cacheDir, { legacyDir: ctx.config().dir }),
    baseUrl: settings.baseUrl,
    orgId: settings.orgId,
    forceUpload: flags.upload,
    idempotencyKey: flags.idempotencyKey,
    resubmit: flags.resubmit,
    signal: ctx.signal,
  });
  ctx.debug(`Idempotency-Key: ${built.idempotencyKey}`);
  const record = cacheDir === undefined ? undefined : new SubmissionRecord(cacheDir, settings);
  if (record) ctx.onDispose(() => record.flush());
  const submitted = await submitOrReuse(client, built, { deadline, signal: ctx.signal }, {
    record,
    bypass: flags.resubmit,
    // The bare record, as POST answers it, so --json prints the same document either way.
    read: (recorded) => fetchEvaluation(ctx, recorded, 'none', ctx.signal),
    debug: (line) => ctx.debug(line),
    patience: { clock: ctx.clock, deadline, signal: ctx.signal },
  });
  const id = submitted.record.id as string;
  if (submitted.reused) ctx.err(`reusing evaluation ${id}, recorded for this request in the cache (--resubmit submits again)`);
  if (!flags.wait) {
    if (ctx.globals.json) ctx.jsonText(submitted.text);
    else ctx.out(id);
    return 0;
  }
  ctx.err(`submitted ${id}`);
  return waitAndReport(ctx, id, flags, deadline);
}

export function registerSubmit(program: Command, ctx: Context): void {
  const cmd = withGlobals(program.command('submit'))
    .description('submit an image for evaluation; prints the evaluation id')
    .addHelpText(
      'after',
      `
Examples:
  $ runflow-eval submit ./shot.png --task-type headshot --prompt "studio lighting" --wait
  $ ID=$(runflow-eval submit https://example.com/shoe.png --task-type product_photo)
  $ runflow-eval submit out.png --task-type headshot --ref face.png::source_face --json
  $ runflow-eval submit out.png --task-type demo --sandbox     # no key, no network`,
    )
    .argument('<image>', 'https:// URL, runflow://assets/<uuid>, data:image/... URI, or a local image file');
  addSubmitFlags(cmd, { perImageKey: true })
    .option('--wait', 'wait for the verdict and print it (exit 0 completed, 3 failed, 6 deadline)')
    .option('--timeout <duration>', 'deadline for retries and, with --wait, for the wait', DEFAULT_TIMEOUT)
    .option('--interval <duration>', 'with --wait: fixed time between polls')
    .option('--embed <list>', 'with --wait: related records to include')
    .action(action(ctx, (image: string, flags: Flags) => runSubmit(ctx, image, flags)));
}
