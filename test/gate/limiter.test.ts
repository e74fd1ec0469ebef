import { describe, expect, it } from 'vitest';
import { AdaptiveLimiter } from '../../src/gate/limiter.js';
import { manualClock } from '../helpers/manual-clock.js';

describe('AdaptiveLimiter (in-flight limit of older deployments)', () => {
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

  it('grows fast before any refusal; a refusal drops it to what was accepted; the refused level lifts with time', async () => {
    const clock = manualClock();
    const l = new AdaptiveLimiter({ initial: 8, cap: 64, clock });
    for (let i = 0; i < 8; i++) l.onSuccess();
    expect(l.limit).toBe(16);
    l.onRateLimited(8);
    expect(l.limit).toBe(8);
    for (let i = 0; i < 100; i++) l.onSuccess();
    expect(l.limit).toBe(8);
    // No refusal, however early, caps the rest of the run: after a while it probes one higher.
    await clock.advance(5_000);
    for (let i = 0; i < 8; i++) l.onSuccess();
    expect(l.limit).toBe(9);
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
