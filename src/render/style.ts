import { Chalk, type ChalkInstance } from 'chalk';

/** A chalk instance that colours only when asked: never the global one, which reads the process. */
export function palette(color: boolean): ChalkInstance {
  return new Chalk({ level: color ? 1 : 0 });
}

/** Money stays a decimal string: never parsed into a float that prints 0.30000000000000004. */
export function formatMoney(value: unknown, currency?: unknown): string {
  if (value === null || value === undefined || value === '') return '-';
  const amount = typeof value === 'string' ? value : String(value);
  return typeof currency === 'string' && currency ? `${amount} ${currency}` : amount;
}

export function formatScore(value: unknown): string {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(2) : '-';
}
