import fs from 'node:fs/promises';
import path from 'node:path';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { mapConcurrent } from '../util/map-concurrent.js';
import type { GateFlags } from './flags.js';
import type { ImagesFrom } from './inputs.js';
import type { SkippedFile } from './inputs-types.js';
import type { PlannedInput } from './run-types.js';
import { parseShard, selectShard } from './shard.js';

/** Inputs checked at once: each check reads the start of a file. */
const VALIDATION_CONCURRENCY = 16;

/** Every input is checked before the first request: one bad item stops the gate, nothing sent. */
export async function planInputs(ctx: Context, images: string[], flags: GateFlags, threshold: number, imagesFrom?: ImagesFrom): Promise<{ planned: PlannedInput[]; skipped: SkippedFile[] }> {
  const { collectGateInputs } = await import('./inputs.js');
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
  // Checked several at a time, but the error reported is that of the first bad input in input
  // order, as a one-by-one check would find.
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

/** `--manifest FILE` (or `-` for stdin), with the folder its relative image paths are read from. */
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
