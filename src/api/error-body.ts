/**
 * Reading what the server sent with an error: the `{code, message, errors}` envelope (and the
 * shapes tolerated beside it), field errors, the request id, and one-line summaries of bodies
 * that are not JSON (an HTML page from a proxy, S3-style XML), so nothing raw reaches the user.
 */
import { isObject } from '../util/is-object.js';
import { oneLine } from '../util/text.js';

const REQUEST_ID_HEADERS = ['x-request-id', 'request-id', 'runflow-request-id'];

/** The server's request id, for support tickets, from whichever header carries it. */
export function requestIdFrom(headers: Record<string, string | string[] | undefined>): string | undefined {
  for (const name of REQUEST_ID_HEADERS) {
    const found = headerValue(headers, name);
    if (found) return oneLine(found, 120);
  }
  return undefined;
}

function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

export interface ParsedEnvelope {
  code?: string;
  message?: string;
  fieldErrors: string[];
  rawErrors?: unknown[];
}

/** The error envelope, or undefined when the body is not a JSON object. */
export function parseEnvelope(bodyText: string): ParsedEnvelope | undefined {
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    return undefined;
  }
  if (!isObject(body)) return undefined;
  const nested = isObject(body.error) ? body.error : undefined;
  const code = textField(body.code) ?? textField(nested?.code) ?? (typeof body.error === 'string' ? textField(body.error) : undefined);
  // FastAPI's own errors use `detail` (a string, or the list of field errors).
  const message =
    textField(body.message) ?? textField(nested?.message) ?? textField(body.detail);
  const rawErrors = Array.isArray(body.errors)
    ? body.errors
    : Array.isArray(nested?.errors)
      ? nested.errors
      : Array.isArray(body.detail)
        ? body.detail
        : undefined;
  return {
    code: code ? oneLine(code, 80) : undefined,
    message: message ? oneLine(message, 500) : undefined,
    fieldErrors: (rawErrors ?? []).map(formatFieldError),
    rawErrors,
  };
}

/** One field error: `loc` joined with `.` (or `field`), then `msg` (or `message`); other shapes as compact JSON. */
export function formatFieldError(item: unknown): string {
  if (isObject(item)) {
    const where = Array.isArray(item.loc)
      ? item.loc.map((part) => String(part)).join('.')
      : textField(item.field) ?? textField(item.path);
    const what = textField(item.msg) ?? textField(item.message);
    if (where !== undefined && what !== undefined) return oneLine(`${where}: ${what}`, 500);
    if (what !== undefined) return oneLine(what, 500);
  }
  if (typeof item === 'string') return oneLine(item, 500);
  return oneLine(safeJson(item), 500);
}

export function summariseNonJson(bodyText: string, headers: Record<string, string | string[] | undefined>): string | undefined {
  const text = bodyText.trim();
  if (text === '') return undefined;
  const contentType = (headerValue(headers, 'content-type') ?? '').toLowerCase();
  if (contentType.includes('html') || /^<(!doctype\s+html|html)[\s>]/i.test(text)) {
    const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(text)?.[1];
    const heading = /<h1[^>]*>([\s\S]*?)<\/h1>/i.exec(text)?.[1];
    const name = title ?? heading;
    return `the server returned an HTML page${name ? ` ("${oneLine(decodeEntities(stripTags(name)), 100)}")` : ''}`;
  }
  if (/^[[{"]/.test(text) && isJson(text)) return `the server returned unexpected JSON: ${oneLine(text, 120)}`;
  if (/^<\?xml|^<Error>/i.test(text)) {
    const xml = summariseStorageBody(text);
    return `the server returned XML${xml ? ` (${xml})` : ''}`;
  }
  return `the server returned a non-JSON body: "${oneLine(text, 120)}"`;
}

/** S3-style `<Error><Code>…</Code><Message>…</Message></Error>` as `Code: Message`. */
export function summariseStorageBody(bodyText: string): string | undefined {
  const code = /<Code>([\s\S]*?)<\/Code>/i.exec(bodyText)?.[1];
  const message = /<Message>([\s\S]*?)<\/Message>/i.exec(bodyText)?.[1];
  const parts = [code, message].filter((p): p is string => Boolean(p)).map((p) => oneLine(decodeEntities(p), 150));
  if (parts.length > 0) return parts.join(': ');
  const text = bodyText.trim();
  if (text === '' || text.startsWith('<')) return undefined;
  return oneLine(text, 120);
}

/** One-line description of a body that should have been JSON (for 2xx responses). */
export function describeUnexpectedBody(bodyText: string, headers: Record<string, string | string[] | undefined>): string {
  return summariseNonJson(bodyText, headers) ?? 'the server returned an empty body';
}

function stripTags(text: string): string {
  return text.replace(/<[^>]*>/g, '');
}

function decodeEntities(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

function textField(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
