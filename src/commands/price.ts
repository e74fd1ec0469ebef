import type { Command } from 'commander';
import type { JobClass } from '../api/types.js';
import type { Context } from '../context.js';
import { action, withGlobals } from './define.js';
import { stripControl } from '../text.js';

/**
 * The response shape of GET /v1/evaluations/job-classes is unpublished; SPEC §5 reads a list
 * from `items` or a top-level array. Undefined means "some other shape": show it raw.
 */
export function jobClassesOf(data: unknown): JobClass[] | undefined {
  const list = Array.isArray(data) ? data : data && typeof data === 'object' ? (data as { items?: unknown }).items : undefined;
  if (!Array.isArray(list)) return undefined;
  if (!list.every((item) => item && typeof item === 'object' && !Array.isArray(item))) return undefined;
  return list as JobClass[];
}

export async function fetchJobClasses(ctx: Context): Promise<{ classes?: JobClass[]; data: unknown; text: string }> {
  const client = await ctx.client();
  const res = await client.request('GET', '/v1/evaluations/job-classes');
  return { classes: jobClassesOf(res.data), data: res.data, text: res.text };
}

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
    ctx.out(text.trim() || 'null');
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

/** Aligned columns separated by two spaces: stable and greppable when piped. */
export function plainColumns(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((v, i) => (widths[i] = Math.max(widths[i] ?? 0, v.length)));
  return rows.map((r) => r.map((v, i) => (i === r.length - 1 ? v : v.padEnd(widths[i]))).join('  ')).join('\n');
}

export function registerPrice(program: Command, ctx: Context): void {
  withGlobals(program.command('price'))
    .description('list evaluation job classes and their prices')
    .action(action(ctx, () => runPrice(ctx)));
}
