import type { Command } from 'commander';
import { fetchJobClasses } from '../api/job-classes.js';
import type { Context } from '../context.js';
import { action, withGlobals } from './define.js';
import { plainColumns } from '../render/columns.js';
import { stripControl } from '../util/text.js';

function cell(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'string') return stripControl(value);
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return stripControl(JSON.stringify(value));
}

async function runPrice(ctx: Context): Promise<number> {
  const { classes, text } = await fetchJobClasses(ctx);
  if (ctx.globals.json) {
    // Passed through unchanged (SPEC §5).
    ctx.jsonText(text);
    return 0;
  }
  if (!classes) {
    ctx.err('warning: the job-classes response has an unexpected shape; showing it as received');
    ctx.out(stripControl(text));
    return 0;
  }
  const rows = classes.map((c) => [cell(c.code), cell(c.name), cell(c.price), cell(c.currency_code), cell(c.is_active)]);
  const header = ['CLASS', 'NAME', 'PRICE', 'CURRENCY', 'ACTIVE'];
  if (ctx.color) {
    const { default: Table } = await import('cli-table3');
    const table = new Table({ head: header, style: { head: ['bold'] } });
    table.push(...rows);
    ctx.out(table.toString());
  } else {
    ctx.out(plainColumns([header, ...rows]));
  }
  return 0;
}

export function registerPrice(program: Command, ctx: Context): void {
  withGlobals(program.command('price'))
    .description('list evaluation job classes and their prices')
    .action(action(ctx, () => runPrice(ctx)));
}
