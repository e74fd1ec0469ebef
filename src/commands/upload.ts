import type { Command } from 'commander';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { action, withGlobals } from './define.js';

async function runUpload(ctx: Context, files: string[]): Promise<number> {
  const { classifyImage } = await import('../images/classify.js');
  const { inspectLocalImage } = await import('../images/local-file.js');
  const { uploadFile } = await import('../api/uploads.js');
  // Check every file before uploading any, so a typo in the last one wastes nothing.
  const checked = [];
  for (const file of files) {
    const input = classifyImage(file, '<file>');
    if (input.kind !== 'file') throw new UsageError(`upload takes local files; ${JSON.stringify(file)} is ${input.kind === 'url' ? 'a URL' : input.kind === 'asset' ? 'already an asset reference' : 'a data: URI'}`);
    const info = await inspectLocalImage(input.absPath, input.path);
    checked.push({ input, info });
  }
  const client = await ctx.client();
  const results = [];
  for (const { input, info } of checked) {
    const uploaded = await uploadFile(client, { absPath: input.absPath, displayName: input.path, size: info.size, mime: info.mime, signal: ctx.signal });
    results.push({ ref: uploaded.ref, asset_id: uploaded.asset_id, asset: uploaded.asset });
    if (!ctx.globals.json) ctx.out(uploaded.ref);
  }
  if (ctx.globals.json) ctx.json(results.length === 1 ? results[0] : results);
  return 0;
}

export function registerUpload(program: Command, ctx: Context): void {
  withGlobals(program.command('upload'))
    .description('upload local images (three-step presigned flow); prints one runflow://assets/<uuid> per file')
    .argument('<file...>', 'local image files (max 50 MiB each)')
    .action(action(ctx, (files: string[]) => runUpload(ctx, files)));
}
