import { describe, expect, it } from 'vitest';
import { DurationModel, gatePollDelay } from '../../src/gate/durations.js';
import { AdaptiveLimiter } from '../../src/gate/limiter.js';

describe('AdaptiveLimiter', () => {
  it('starts at the initial limit and blocks beyond it', async () => {
    const l = new AdaptiveLimiter({ initial: 2, cap: 10 });
    await l.acquire();
    await l.acquire();
    let third = false;
    const p = l.acquire().then(() => (third = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(third).toBe(false);
    l.release();
    await p;
    expect(third).toBe(true);
  });

  it('a 429 drops the limit to what was accepted; successes raise it one per window, never past the last 429', () => {
    const l = new AdaptiveLimiter({ initial: 8, cap: 32 });
    for (let i = 0; i < 8; i++) l.onSuccess();
    expect(l.limit).toBe(9);
    l.onRateLimited(8);
    expect(l.limit).toBe(8);
    for (let i = 0; i < 100; i++) l.onSuccess();
    expect(l.limit).toBe(8);
  });

  it('never goes above the cap nor below 1', () => {
    const l = new AdaptiveLimiter({ initial: 50, cap: 4 });
    expect(l.limit).toBe(4);
    for (let i = 0; i < 100; i++) l.onSuccess();
    expect(l.limit).toBe(4);
    l.onRateLimited(0);
    expect(l.limit).toBe(1);
  });

  it('an aborted wait rejects with the signal reason and frees nothing', async () => {
    const l = new AdaptiveLimiter({ initial: 1, cap: 1 });
    await l.acquire();
    const ctl = new AbortController();
    const waiting = l.acquire(ctl.signal);
    ctl.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    expect(l.active).toBe(1);
  });
});

describe('gate poll schedule', () => {
  it('polls densely before anything is known', () => {
    expect(gatePollDelay(0, undefined)).toBe(300);
  });
  it('polls close to the learned duration, then soon after', () => {
    expect(gatePollDelay(0, 1000)).toBe(1020);
    expect(gatePollDelay(1, 1000)).toBe(100);
    expect(gatePollDelay(50, 1000)).toBe(5000);
  });
  it('--interval overrides everything', () => {
    expect(gatePollDelay(0, 1000, 3000)).toBe(3000);
  });
  it('learns the median server-side duration, distrusting a skewed clock', () => {
    const m = new DurationModel();
    expect(m.expectedMs()).toBeUndefined();
    const at = (ms: number) => ({ submitted_at: '2026-01-01T00:00:00.000Z', completed_at: new Date(Date.parse('2026-01-01T00:00:00.000Z') + ms).toISOString() });
    m.observe(at(1000), 1200);
    m.observe(at(3000), 3100);
    m.observe(at(2000), 2100);
    expect(m.expectedMs()).toBe(2000);
    const skewed = new DurationModel();
    skewed.observe(at(3_600_000), 900);
    expect(skewed.expectedMs()).toBe(900);
  });
});
