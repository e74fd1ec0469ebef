/**
 * Decimal-string arithmetic for credits and prices. Amounts are scaled to integers (BigInt) at
 * the largest precision present, so sums print exactly what the API's strings say.
 */
const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?$/;

export function isDecimalString(value: unknown): value is string {
  return typeof value === 'string' && DECIMAL.test(value.trim()) && /\d/.test(value);
}

function parse(value: string): { units: bigint; scale: number } {
  const m = DECIMAL.exec(value.trim());
  if (!m) throw new Error(`not a decimal: ${value}`);
  const frac = m[3] ?? '';
  const digits = (m[2] || '0') + frac;
  const units = BigInt(digits) * (m[1] === '-' ? -1n : 1n);
  return { units, scale: frac.length };
}

function format(units: bigint, scale: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const frac = digits.slice(digits.length - scale);
  return (negative ? '-' : '') + whole + (scale ? `.${frac}` : '');
}

/** Sums decimal strings, ignoring anything that is not one. An empty sum is "0". */
export function sumDecimals(values: Iterable<unknown>): string {
  let scale = 0;
  const parsed: Array<{ units: bigint; scale: number }> = [];
  for (const v of values) {
    if (!isDecimalString(v)) continue;
    const p = parse(v);
    parsed.push(p);
    scale = Math.max(scale, p.scale);
  }
  let total = 0n;
  for (const p of parsed) total += p.units * 10n ** BigInt(scale - p.scale);
  return format(total, scale);
}

/** price × count, exact. */
export function multiplyDecimal(price: string, count: number): string {
  const p = parse(price);
  return format(p.units * BigInt(count), p.scale);
}

/** Compares two decimal strings: negative, zero or positive like a sort comparator. */
export function compareDecimals(a: string, b: string): number {
  const pa = parse(a);
  const pb = parse(b);
  const scale = Math.max(pa.scale, pb.scale);
  const ua = pa.units * 10n ** BigInt(scale - pa.scale);
  const ub = pb.units * 10n ** BigInt(scale - pb.scale);
  return ua < ub ? -1 : ua > ub ? 1 : 0;
}
