/**
 * Text from the server (messages, issue labels, reasoning) reaches the user's terminal. A hostile
 * or broken server must not be able to move the cursor, recolour the screen, set the window title
 * or hide text, so everything it sends goes through `stripControl` before it is shown.
 */

// ESC-introduced sequences: CSI (ESC [ … final), OSC (ESC ] … BEL | ESC \), DCS/SOS/PM/APC strings
// (ESC P|X|^|_ … ESC \), and two-character escapes (ESC + one byte). The C1 forms (0x9b CSI,
// 0x9d OSC, …) are the 8-bit spellings of the same sequences.
const ANSI_SEQUENCE = new RegExp(
  [
    '(?:\\u001b\\[|\\u009b)[0-?]*[ -/]*[@-~]',
    '(?:\\u001b\\]|\\u009d)[^\\u0007\\u001b\\u009c]*(?:\\u0007|\\u001b\\\\|\\u009c)?',
    '(?:\\u001b[PX^_]|[\\u0090\\u0098\\u009e\\u009f])[^\\u001b\\u009c]*(?:\\u001b\\\\|\\u009c)?',
    '\\u001b[ -/]*[0-~]?',
  ].join('|'),
  'g',
);

// C0 controls except \t (0x09) and \n (0x0a), DEL, and the C1 range.
const CONTROL_CHARS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

// Bidi overrides and isolates make text display in an order other than the one it is stored in
// ("Trojan source"): misleading in a terminal, a page or a CI annotation alike.
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/g;

/** Removes ANSI escape sequences, C0/C1 control characters and bidi controls, keeping `\n` and `\t`. */
export function stripControl(text: string): string {
  return text.replace(ANSI_SEQUENCE, '').replace(CONTROL_CHARS, '').replace(BIDI_CONTROLS, '');
}

/**
 * One display line: control characters removed, runs of whitespace (newlines included) collapsed
 * to one space, and cut to `max` characters with an ellipsis.
 */
export function oneLine(text: string, max = 200): string {
  const flat = stripControl(text).replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, Math.max(0, max - 1))}…` : flat;
}
