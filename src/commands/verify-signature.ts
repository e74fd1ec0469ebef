/**
 * `verify-signature` (SPEC §7): checks a callback body against its `Runflow-Signature`, the
 * lower-case hex HMAC-SHA256 of the raw body keyed with the callback secret (`plain_secret` of
 * `POST /v1/callback-secrets`). Built for receivers written in any language: pipe the raw body in,
 * pass the header, branch on the exit code.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { action, withGlobals } from './define.js';

/** Where receivers typically put the `Runflow-Signature` header for us when --signature is not given. */
export const SIGNATURE_ENV = 'RUNFLOW_SIGNATURE';

/** Callback payloads are small JSON documents; anything this large is not one. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** Exit code of a body that does not match its signature (SPEC §7 fixes 1). */
const INVALID = ExitCode.GateFailed;

const MISSING_HEADER_HINT =
  'no Runflow-Signature was given; callbacks are signed only once a callback secret exists: POST /v1/callback-secrets';

export type SignatureVerdict =
  | { valid: true }
  | { valid: false; reason: 'missing' | 'malformed' | 'mismatch' };

/**
 * Compares `signature` with HMAC-SHA256(secret, body) in constant time. Accepts upper-case hex and
 * a `sha256=` prefix (some proxies and frameworks add one); anything that is not 64 hex digits is
 * a malformed signature, never an exception.
 */
export function verifySignature(body: Buffer, secret: string, signature: string): SignatureVerdict {
  const given = normaliseSignature(signature);
  if (given === '') return { valid: false, reason: 'missing' };
  if (!/^[0-9a-f]{64}$/.test(given)) return { valid: false, reason: 'malformed' };
  const expected = createHmac('sha256', secret).update(body).digest();
  // Both sides are 32 bytes here, as timingSafeEqual requires.
  return timingSafeEqual(expected, Buffer.from(given, 'hex')) ? { valid: true } : { valid: false, reason: 'mismatch' };
}

function normaliseSignature(signature: string): string {
  return signature.trim().replace(/^sha256=/i, '').toLowerCase();
}

/**
 * Reads a whole stream as bytes, refusing more than `max`. The bytes are never decoded: a
 * signature covers the exact bytes sent, and re-encoding or re-serialising would break it.
 */
export async function readAllBytes(stream: Readable, max: number, signal?: AbortSignal): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  const reading = (async () => {
    for await (const chunk of stream) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array);
      size += buf.length;
      if (size > max) {
        throw new UsageError(`the callback body on stdin is larger than ${max} bytes; it cannot be a Runflow callback`);
      }
      chunks.push(buf);
    }
    return Buffer.concat(chunks, size);
  })();
  if (!signal) return reading;
  reading.catch(() => {}); // if the abort wins the race, a later read error has nobody to tell
  // Ctrl-C while waiting on a stdin that never ends: stop waiting (stdin itself is not ours to destroy).
  signal.throwIfAborted();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([reading, aborted]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The secret comes from the environment variable the flag names, never from argv (argv shows up
 * in process lists and shell history). A value that looks like the secret itself was passed
 * instead of a name is not echoed back.
 */
function secretFrom(ctx: Context, name: string | undefined): string {
  if (name === undefined || name.trim() === '') {
    throw new UsageError('--secret-env is required: the name of the environment variable holding the callback secret', {
      hint: 'for example: RUNFLOW_CALLBACK_SECRET=whsec_... runflow-eval verify-signature --secret-env RUNFLOW_CALLBACK_SECRET',
    });
  }
  if (!ENV_NAME.test(name) || /^whsec_/i.test(name)) {
    throw new UsageError('--secret-env takes the NAME of an environment variable, not the secret itself', {
      hint: 'export the secret (e.g. RUNFLOW_CALLBACK_SECRET=whsec_...) and pass --secret-env RUNFLOW_CALLBACK_SECRET',
    });
  }
  const secret = ctx.env[name];
  if (secret === undefined) throw new UsageError(`environment variable ${name} (from --secret-env) is not set`);
  if (secret === '') throw new UsageError(`environment variable ${name} (from --secret-env) is empty`);
  return secret;
}

/** --signature, else $RUNFLOW_SIGNATURE. An empty value (a missing header passed through) is kept: it is "invalid", not a usage error. */
function signatureFrom(ctx: Context, flag: string | undefined): string {
  if (flag !== undefined) return flag;
  const fromEnv = ctx.env[SIGNATURE_ENV];
  if (fromEnv !== undefined) return fromEnv;
  throw new UsageError(`no signature to check: pass --signature HEX (the Runflow-Signature header) or set ${SIGNATURE_ENV}`);
}

async function runVerifySignature(ctx: Context, flags: { secretEnv?: string; signature?: string }): Promise<number> {
  const secret = secretFrom(ctx, flags.secretEnv);
  const signature = signatureFrom(ctx, flags.signature);
  if (ctx.io.stdinIsTTY) {
    // A body typed or pasted into a terminal is never byte-identical to what was signed.
    throw new UsageError('verify-signature reads the raw callback body from standard input; pipe it in', {
      hint: 'runflow-eval verify-signature --secret-env VAR --signature HEX < body.json',
    });
  }
  const body = await readAllBytes(ctx.io.stdin, MAX_BODY_BYTES, ctx.signal);
  const verdict = verifySignature(body, secret, signature);

  if (ctx.globals.json) ctx.json(verdict);
  else ctx.out(verdict.valid ? 'valid' : 'invalid');
  if (verdict.valid) return ExitCode.Success;
  if (verdict.reason === 'missing') ctx.err(`hint: ${MISSING_HEADER_HINT}`);
  if (verdict.reason === 'malformed') ctx.err('hint: a Runflow-Signature is 64 hexadecimal characters (HMAC-SHA256)');
  if (verdict.reason === 'mismatch') {
    ctx.err('hint: the body must be the exact bytes received (not re-serialised JSON), and the secret the current callback secret');
  }
  return INVALID;
}

export function registerVerifySignature(program: Command, ctx: Context): void {
  withGlobals(program.command('verify-signature'))
    .description('check a callback body on stdin against its Runflow-Signature (exit 0 valid, 1 invalid)')
    .option('--secret-env <var>', 'name of the environment variable holding the callback secret (never the secret itself)')
    .option('--signature <hex>', `the Runflow-Signature header value (default: $${SIGNATURE_ENV})`)
    .addHelpText(
      'after',
      `\nThe body is read from stdin as raw bytes; pipe exactly what was received.\nExample:\n  printf '%s' "$BODY" | runflow-eval verify-signature --secret-env RUNFLOW_CALLBACK_SECRET --signature "$SIG"`,
    )
    .action(action(ctx, (flags: { secretEnv?: string; signature?: string }) => runVerifySignature(ctx, flags)));
}
