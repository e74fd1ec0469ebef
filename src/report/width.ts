import stringWidth from 'string-width';

/**
 * Text measured in terminal columns, not UTF-16 units: a CJK character takes two columns, a
 * combining accent none, so tables line up whatever the file names are written in.
 */
export function displayWidth(text: string): number {
  return stringWidth(text);
}

export function padDisplay(text: string, width: number): string {
  const gap = width - displayWidth(text);
  return gap > 0 ? text + ' '.repeat(gap) : text;
}

/** The longest prefix of `text` that fits `width` columns. */
function headOf(text: string, width: number): string {
  let out = '';
  let used = 0;
  for (const ch of text) {
    const w = stringWidth(ch);
    if (used + w > width) break;
    out += ch;
    used += w;
  }
  return out;
}

/** The longest suffix of `text` that fits `width` columns. */
function tailOf(text: string, width: number): string {
  const chars = [...text];
  let out = '';
  let used = 0;
  for (let i = chars.length - 1; i >= 0; i--) {
    const w = stringWidth(chars[i]!);
    if (used + w > width) break;
    out = chars[i] + out;
    used += w;
  }
  return out;
}

/**
 * Fits a path into `width` columns by cutting its middle, so the file name (what tells one
 * failing image from another) stays whole: `renders/campaign-2024-…/shoe-17.png`. A file name
 * that alone is too wide keeps its start and its end (with the extension).
 */
export function shortenMiddle(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  if (width <= 1) return '…';
  const slash = Math.max(text.lastIndexOf('/'), text.lastIndexOf('\\'));
  const name = slash >= 0 ? text.slice(slash) : text;
  const nameWidth = displayWidth(name);
  if (slash >= 0 && nameWidth + 1 < width) {
    return headOf(text.slice(0, slash), width - 1 - nameWidth) + '…' + name;
  }
  const tail = Math.ceil((width - 1) / 2);
  return headOf(text, width - 1 - tail) + '…' + tailOf(text, tail);
}
