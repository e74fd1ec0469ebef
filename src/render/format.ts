/** Plain formatting helpers, free of chalk so they cost nothing at start-up. */

/** Money stays a decimal string: never parsed into a float that prints 0.30000000000000004. */
export function formatMoney(value: unknown, currency?: unknown): string {
  if (value === null || value === undefined || value === '') return '-';
  const amount = typeof value === 'string' ? value : String(value);
  return typeof currency === 'string' && currency ? `${amount} ${currency}` : amount;
}

export function formatScore(value: unknown): string {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(2) : '-';
}
