import { describe, expect, it } from 'vitest';
import { backoffDelay, decideRetry, parseRetryAfter, retryableErrorReason, type RetryInput } from '../../src/api/retry.js';

const NOW = Date.parse('2025-01-01T00:00:00Z');
const noJitter = () => 0;
const fullJitter = () => 0.999;

function input(over: Partial<RetryInput>): RetryInput {
  return { attempt: 1, maxAttempts: 5, nowMs: NOW, random: noJitter, ...over };
}

const errWithCode = (code: string) => Object.assign(new Error(code), { code });

describe('decideRetry', () => {
  // [name, input, expected: false | delayMs]
  const table: Array<[string, Partial<RetryInput>, false | number]> = [
    ['429 without Retry-After backs off 1 s', { status: 429 }, 1000],
    ['429 with Retry-After seconds waits that long', { status: 429, retryAfter: '3' }, 3000],
    ['429 with Retry-After HTTP date waits until then', { status: 429, retryAfter: new Date(NOW + 7000).toUTCString() }, 7000],
    ['429 with a Retry-After date in the past retries at once', { status: 429, retryAfter: new Date(NOW - 5000).toUTCString() }, 0],
    ['429 with a garbage Retry-After falls back to backoff', { status: 429, retryAfter: 'soon', attempt: 2 }, 2000],
    ['500 is retried', { status: 500 }, 1000],
    ['502 is retried', { status: 502, attempt: 2 }, 2000],
    ['503 honours Retry-After', { status: 503, retryAfter: '2' }, 2000],
    ['504 is retried', { status: 504, attempt: 3 }, 4000],
    ['400 is never retried', { status: 400 }, false],
    ['401 is never retried', { status: 401 }, false],
    ['402 is never retried', { status: 402 }, false],
    ['403 is never retried', { status: 403 }, false],
    ['404 is never retried', { status: 404 }, false],
    ['408 is a 4xx: never retried (SPEC §6)', { status: 408 }, false],
    ['409 is never retried', { status: 409 }, false],
    ['422 is never retried', { status: 422 }, false],
    ['ECONNRESET is retried', { error: errWithCode('ECONNRESET') }, 1000],
    ['ECONNREFUSED is retried', { error: errWithCode('ECONNREFUSED'), attempt: 2 }, 2000],
    ['undici socket closed is retried', { error: errWithCode('UND_ERR_SOCKET') }, 1000],
    ['a code in the cause chain counts', { error: new TypeError('fetch failed', { cause: errWithCode('ECONNRESET') }) }, 1000],
    ['an AggregateError of refusals counts', { error: new AggregateError([errWithCode('ECONNREFUSED')], 'connect') }, 1000],
    ['a per-attempt timeout is retried', { error: errWithCode('attempt_timeout') }, 1000],
    ['a certificate error is not retried', { error: errWithCode('CERT_HAS_EXPIRED') }, false],
    ['DNS not found is not retried', { error: errWithCode('ENOTFOUND') }, false],
    ['a plain bug is not retried', { error: new TypeError('x is not a function') }, false],
    ['attempt 5 of 5 stops (5xx)', { status: 503, attempt: 5 }, false],
    ['attempt 5 of 5 stops (429 without deadline)', { status: 429, attempt: 5 }, false],
    ['attempt 5 of 5 stops (network)', { error: errWithCode('ECONNRESET'), attempt: 5 }, false],
    ['attempt 4 of 5 still retries, 8 s', { status: 500, attempt: 4 }, 8000],
    ['backoff is capped at 32 s', { status: 500, attempt: 9, maxAttempts: 20 }, 32_000],
    ['Retry-After is capped at 32 s', { status: 429, retryAfter: '120' }, 32_000],
    ['Retry-After date is capped at 32 s', { status: 503, retryAfter: new Date(NOW + 600_000).toUTCString() }, 32_000],
    ['no status and no error: nothing to retry', {}, false],
  ];

  it.each(table)('%s', (_name, over, expected) => {
    const decision = decideRetry(input(over));
    if (expected === false) expect(decision).toEqual({ retry: false });
    else expect(decision).toMatchObject({ retry: true, delayMs: expected });
  });

  it('adds at most 1 s of jitter to backoff and 250 ms to Retry-After, never past the cap', () => {
    expect(decideRetry(input({ status: 500, random: fullJitter }))).toMatchObject({ delayMs: 1999 });
    expect(decideRetry(input({ status: 429, retryAfter: '1', random: fullJitter }))).toMatchObject({ delayMs: 1249 });
    expect(decideRetry(input({ status: 500, attempt: 6, maxAttempts: 9, random: fullJitter }))).toMatchObject({ delayMs: 32_000 });
  });

  it('says why it retries', () => {
    expect(decideRetry(input({ status: 503 }))).toMatchObject({ reason: 'HTTP 503' });
    expect(decideRetry(input({ error: errWithCode('ECONNRESET') }))).toMatchObject({ reason: 'ECONNRESET' });
    expect(decideRetry(input({ error: errWithCode('attempt_timeout') }))).toMatchObject({ reason: 'timeout' });
  });

  describe('with retry429Until (POST /v1/evaluations in-flight limit)', () => {
    const deadline = NOW + 60_000;

    it('retries a 429 past maxAttempts while the deadline allows', () => {
      expect(decideRetry(input({ status: 429, attempt: 12, retry429Until: deadline, retryAfter: '1' }))).toMatchObject({ retry: true, delayMs: 1000 });
      expect(decideRetry(input({ status: 429, attempt: 40, retry429Until: deadline }))).toMatchObject({ retry: true, delayMs: 32_000 });
    });

    it('honours a Retry-After longer than 32 s when the deadline allows it', () => {
      expect(decideRetry(input({ status: 429, retryAfter: '45', retry429Until: deadline }))).toMatchObject({ retry: true, delayMs: 45_000 });
    });

    it('stops rather than sleep past the deadline', () => {
      expect(decideRetry(input({ status: 429, retryAfter: '61', retry429Until: deadline }))).toEqual({ retry: false });
      expect(decideRetry(input({ status: 429, attempt: 3, retry429Until: NOW + 3000 }))).toEqual({ retry: false });
      expect(decideRetry(input({ status: 429, retry429Until: NOW - 1 }))).toEqual({ retry: false });
    });

    it('leaves other statuses to maxAttempts', () => {
      expect(decideRetry(input({ status: 503, attempt: 5, retry429Until: deadline }))).toEqual({ retry: false });
      expect(decideRetry(input({ status: 422, retry429Until: deadline }))).toEqual({ retry: false });
    });
  });
});

describe('parseRetryAfter', () => {
  it.each([
    ['0', 0],
    ['1', 1000],
    ['  5 ', 5000],
    ['1.5', 1500],
    [new Date(NOW + 10_000).toUTCString(), 10_000],
    [new Date(NOW - 10_000).toUTCString(), 0],
  ])('%j → %d ms', (value, expected) => {
    expect(parseRetryAfter(value, NOW)).toBe(expected);
  });

  it.each([null, undefined, '', 'soon', '-1', '1e3'])('%j → undefined', (value) => {
    expect(parseRetryAfter(value, NOW)).toBeUndefined();
  });
});

describe('backoffDelay', () => {
  it('doubles from 1 s and caps at 32 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 50].map((a) => backoffDelay(a, noJitter))).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 32000, 32000]);
  });

  it('adds jitter below 1 s', () => {
    expect(backoffDelay(1, () => 0.5)).toBe(1500);
    expect(backoffDelay(2, fullJitter)).toBeLessThan(3000);
  });
});

describe('retryableErrorReason', () => {
  it('finds transient codes anywhere in the cause chain', () => {
    const deep = new Error('outer', { cause: new Error('middle', { cause: errWithCode('UND_ERR_SOCKET') }) });
    expect(retryableErrorReason(deep)).toBe('UND_ERR_SOCKET');
    expect(retryableErrorReason('a string')).toBeUndefined();
    expect(retryableErrorReason(errWithCode('UND_ERR_REQ_CONTENT_LENGTH_MISMATCH'))).toBeUndefined();
  });
});
