/**
 * Re-indents JSON text the way `--json` documents are printed everywhere (two spaces), without
 * parsing it into values: the API's records are passed through with their keys, key order, number
 * literals (`1.0`, `0.30000000000000004`) and escapes exactly as sent; only whitespace changes.
 * Text that is not valid JSON is returned as it is.
 */
export function indentJsonText(text: string, indent = '  '): string {
  const trimmed = text.trim();
  try {
    JSON.parse(trimmed);
  } catch {
    return trimmed;
  }
  let out = '';
  let depth = 0;
  let i = 0;
  const newline = () => '\n' + indent.repeat(depth);
  while (i < trimmed.length) {
    const ch = trimmed[i]!;
    if (ch === '"') {
      // A string, copied as is (escapes included).
      let j = i + 1;
      while (j < trimmed.length && trimmed[j] !== '"') j += trimmed[j] === '\\' ? 2 : 1;
      out += trimmed.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (ch === ' ' || ch === '\n' || ch === '\r' || ch === '\t') {
      i++;
      continue;
    }
    if (ch === '{' || ch === '[') {
      // An empty object or array stays on one line.
      let j = i + 1;
      while (j < trimmed.length && /\s/.test(trimmed[j]!)) j++;
      const close = ch === '{' ? '}' : ']';
      if (trimmed[j] === close) {
        out += ch + close;
        i = j + 1;
        continue;
      }
      depth++;
      out += ch + newline();
    } else if (ch === '}' || ch === ']') {
      depth--;
      out += newline() + ch;
    } else if (ch === ',') {
      out += ',' + newline();
    } else if (ch === ':') {
      out += ': ';
    } else {
      out += ch;
    }
    i++;
  }
  return out;
}
