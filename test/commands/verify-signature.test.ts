import { createHmac } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES, verifySignature } from '../../src/commands/verify-signature.js';
import { memoryIO } from '../helpers/memory-io.js';
import { runCli } from '../helpers/run-cli.js';

const SECRET = 'whsec_test_9f8e7d6c5b4a';
const sign = (body: Buffer | string, secret = SECRET) => createHmac('sha256', secret).update(body).digest('hex');

/** Runs verify-signature with raw bytes on stdin (memoryIO alone takes text). */
function run(args: string[], body: Buffer | string, env: Record<string, string | undefined> = { CB_SECRET: SECRET }) {
  const io = memoryIO();
  io.stdin = Readable.from([Buffer.isBuffer(body) ? body : Buffer.from(body)]);
  return runCli(['verify-signature', '--secret-env', 'CB_SECRET', ...args], env, { io });
}

const BODY = '{"id":"0b3c", "status_code":"completed",\n "score": 0.90}';

describe('verify-signature', () => {
  it('accepts the HMAC-SHA256 of the raw body and prints valid', async () => {
    const r = await run(['--signature', sign(BODY)], BODY);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('valid\n');
    expect(r.stderr).toBe('');
  });

  it('hashes the bytes as received: invalid UTF-8 and CRLF are not decoded or normalised', async () => {
    const body = Buffer.concat([Buffer.from([0xff, 0xfe, 0x00, 0xc3]), Buffer.from('{"a":1}\r\n')]);
    const ok = await run(['--signature', sign(body)], body);
    expect(ok.code).toBe(0);
    // The same text after a UTF-8 round trip (what a decoding reader would hash) does not match.
    const roundTripped = Buffer.from(body.toString('utf8'));
    expect(roundTripped.equals(body)).toBe(false);
    const bad = await run(['--signature', sign(roundTripped)], body);
    expect(bad.code).toBe(1);
  });

  it('accepts upper-case hex and a sha256= prefix', async () => {
    expect((await run(['--signature', sign(BODY).toUpperCase()], BODY)).code).toBe(0);
    expect((await run(['--signature', `sha256=${sign(BODY)}`], BODY)).code).toBe(0);
  });

  it('rejects a signature made with another secret or over other bytes, with exit 1', async () => {
    const r = await run(['--signature', sign(BODY, 'whsec_other')], BODY);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('invalid\n');
    expect(r.stderr).toMatch(/exact bytes/);
    const tampered = await run(['--signature', sign(BODY)], BODY.replace('0.90', '0.99'));
    expect(tampered.code).toBe(1);
  });

  it('treats a malformed signature as invalid, not as an error', async () => {
    for (const sig of ['abc', 'zz'.repeat(32), sign(BODY) + '00', 'sha256=']) {
      const r = await run(['--signature', sig], BODY);
      expect(r.code, sig).toBe(1);
      expect(r.stdout).toBe('invalid\n');
    }
  });

  it('reads the signature from RUNFLOW_SIGNATURE when --signature is absent', async () => {
    const r = await run([], BODY, { CB_SECRET: SECRET, RUNFLOW_SIGNATURE: sign(BODY) });
    expect(r.code).toBe(0);
    const wrong = await run([], BODY, { CB_SECRET: SECRET, RUNFLOW_SIGNATURE: sign('other') });
    expect(wrong.code).toBe(1);
  });

  it('an empty signature (header missing) is invalid, with a hint about callback secrets', async () => {
    const r = await run(['--signature', ''], BODY);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('POST /v1/callback-secrets');
  });

  it('prints { valid } under --json', async () => {
    const ok = await run(['--signature', sign(BODY), '--json'], BODY);
    expect(JSON.parse(ok.stdout)).toEqual({ valid: true });
    const bad = await run(['--signature', sign('x'), '--json'], BODY);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ valid: false });
  });

  it('exits 2 naming the variable when it is unset or empty, and never prints the secret', async () => {
    const unset = await run(['--signature', sign(BODY)], BODY, {});
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain('CB_SECRET');
    const empty = await run(['--signature', sign(BODY)], BODY, { CB_SECRET: '' });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/CB_SECRET.*empty/);
    const invalid = await run(['--signature', sign('nope')], BODY);
    for (const r of [unset, empty, invalid]) expect(r.stdout + r.stderr).not.toContain(SECRET);
  });

  it('exits 2 naming --signature when no signature is given at all', async () => {
    const r = await run([], BODY);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--signature');
    expect(r.stderr).toContain('RUNFLOW_SIGNATURE');
  });

  it('exits 2 without --secret-env, and does not echo a secret passed in its place', async () => {
    const io = memoryIO({ stdin: BODY });
    const missing = await runCli(['verify-signature', '--signature', sign(BODY)], {}, { io });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--secret-env');
    const io2 = memoryIO({ stdin: BODY });
    const misuse = await runCli(['verify-signature', '--secret-env', SECRET, '--signature', sign(BODY)], {}, { io: io2 });
    expect(misuse.code).toBe(2);
    expect(misuse.stderr).toMatch(/NAME of an environment variable/);
    expect(misuse.stderr).not.toContain(SECRET);
  });

  it('refuses a body larger than the cap with exit 2', async () => {
    const io = memoryIO();
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    const chunks = Array.from({ length: MAX_BODY_BYTES / chunk.length }, () => chunk);
    io.stdin = Readable.from([...chunks, Buffer.from('x')]);
    const r = await runCli(['verify-signature', '--secret-env', 'CB_SECRET', '--signature', sign('x')], { CB_SECRET: SECRET }, { io });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/larger than/);
  });
});

describe('verifySignature', () => {
  it('compares in constant time only equal-length digests and never throws on odd input', () => {
    const body = Buffer.from(BODY);
    expect(verifySignature(body, SECRET, sign(BODY))).toEqual({ valid: true });
    expect(verifySignature(body, SECRET, '')).toEqual({ valid: false, reason: 'missing' });
    expect(verifySignature(body, SECRET, 'ab')).toEqual({ valid: false, reason: 'malformed' });
    expect(verifySignature(body, SECRET, 'é'.repeat(64))).toEqual({ valid: false, reason: 'malformed' });
    expect(verifySignature(body, SECRET, '0'.repeat(64))).toEqual({ valid: false, reason: 'mismatch' });
  });
});
