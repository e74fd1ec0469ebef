/**
 * Escaping for every place server text lands (SPEC §5): the terminal, HTML, XML, Markdown table
 * cells and GitHub workflow commands. Each escaper first removes terminal control characters,
 * so a hostile `reasoning` cannot recolour a CI log, ring a bell, or forge a workflow command.
 */

import { oneLine as oneDisplayLine, stripControl } from '../util/text.js';

export { stripControl };

/** `stripControl`, then every run of whitespace (newlines included) as one space, trimmed; never cut. */
export function oneLine(text: string): string {
  return oneDisplayLine(text, Infinity);
}

/** Shortens to at most `max` characters (code points), ending with an ellipsis when cut. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text; // code units ≥ code points: nothing to cut
  // Only the head is split into code points, so a 12 MB string costs no more than a short one.
  const head = text.slice(0, 2 * max + 2);
  const chars = Array.from(head);
  if (chars.length <= max && head.length === text.length) return text;
  return chars.slice(0, Math.max(0, max - 1)).join('') + '…';
}

const HTML_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** For HTML text and double- or single-quoted attribute values. */
export function escapeHtml(text: string): string {
  return stripControl(text).replace(/[&<>"']/g, (c) => HTML_ENTITIES[c]!);
}

// XML 1.0 §2.2 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
// The `u` flag makes a lone surrogate one code point that this class rejects.
const XML_INVALID = /[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu;

const XML_ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/**
 * For XML text and attribute values: control characters stripped, characters XML 1.0 forbids
 * dropped, markup characters escaped. In attributes, keep newlines as `&#10;` so a parser does
 * not normalise them to spaces (`escapeXmlAttribute`).
 */
export function escapeXml(text: string): string {
  return stripControl(text)
    .replace(XML_INVALID, '')
    .replace(/[&<>"']/g, (c) => XML_ENTITIES[c]!);
}

/** `escapeXml` for attribute values, with tab and newline kept as character references. */
export function escapeXmlAttribute(text: string): string {
  return escapeXml(text).replace(/\t/g, '&#9;').replace(/\n/g, '&#10;');
}

/**
 * For one cell of a GitHub-flavoured Markdown table: one line, no cell-ending `|`, no code spans
 * or emphasis or links opened by server text, and no raw HTML.
 */
export function escapeMarkdownCell(text: string): string {
  return oneLine(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_[\]|~]/g, (c) => `\\${c}`);
}

/**
 * The message part of a workflow command (`::error::MESSAGE`), per the runner's rules:
 * `%`, `\r` and `\n` are percent-encoded, so server text cannot end the command and start
 * another on a new line.
 */
export function escapeWorkflowData(text: string): string {
  return stripControl(text).replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A property value of a workflow command (`title=…`, `file=…`): also `:` and `,`. */
export function escapeWorkflowProperty(text: string): string {
  return escapeWorkflowData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
