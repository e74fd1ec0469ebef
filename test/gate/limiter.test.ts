import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/clock.js';
import { RequestBudget } from '../../src/gate/budget.js';
import { CompletionModel } from '../../src/gate/durations.js';
import { AdaptiveLimiter } from '../../src/gate/limiter.js';

/** A clock whose time moves only when told; sleeps resolve as time passes them. */
function manualClock(start = 1_000_000) {
  let now = start;
  const sleepers: Array<{ at: number; resolve: () => void }> = [];
  const clock: Clock & { advance(ms: number): Promise<void> } = {
    now: () => now,
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const entry = { at: now + Math.max(0, ms), resolve };
        sleepers.push(entry);
        signal?.addEventListener('abort', () => {
          const i = sleepers.indexOf(entry);
          if (i < 0) return;
          sleepers.splice(i, 1);
          reject(signal.reason);
        }, { once: true });
      }),
    async advance(ms: number) {
      const end = now + ms;
      for (;;) {
        sleepers.sort((a, b) => a.at - b.at);
        const next = sleepers[0];
        if (!next || next.at > end) break;
        sleepers.shift();
        now = Math.max(now, next.at);
        next.resolve();
        await new Promise((r) => setImmediate(r));
      }
      now = end;
      await new Promise((r) => setImmediate(r));
    },
  };
  return clock;
}

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

/** Waits for the budget's turn, moving the manual clock as needed. */
async function take(b: RequestBudget, clock: ReturnType<typeof manualClock>, step = 10): Promise<void> {
  let through = false;
  const p = b.beforeAttempt().then(() => (through = true));
  for (let guard = 0; !through; guard++) {
    if (guard > 10_000) throw new Error('the budget never let the request through');
    await clock.advance(step);
  }
  await p;
}

describe('RequestBudget (one request rate for submissions and polls)', () => {
  const ok = { method: 'GET' as const, path: '/v1/evaluations/x', status: 200, headers: {} };
  const limited = (headers: Record<string, string> = {}, method: 'GET' | 'POST' = 'GET') => ({ method, path: '/v1/evaluations/x', status: 429, headers });

  it('a 429 without headers cuts the rate at once; calls that succeed under demand bring it back past the old level', async () => {
    const clock = manualClock();
    const b = new RequestBudget({ clock, initialRate: 20 });
    const start = b.rate;
    // A second of demand, then a 429.
    for (let i = 0; i < 40; i++) {
      await take(b, clock);
      b.afterAttempt(ok);
    }
    const before = b.rate;
    expect(before).toBeGreaterThan(start);
    // A lone 429 among many successes is a blip: at most a moment slower (until the answers
    // already on their way tell), then the rate is back; a limit we keep hitting is not.
    b.afterAttempt(limited());
    for (let i = 0; i < 40; i++) {
      await take(b, clock);
      b.afterAttempt(ok);
    }
    expect(b.rate).toBeGreaterThanOrEqual(before * 0.95);
    const grown = b.rate;
    for (let i = 0; i < 10; i++) b.afterAttempt(limited());
    const cut = b.rate;
    expect(cut).toBeLessThan(grown * 0.7);
    // Demand continues and nothing is refused any more: the rate recovers and goes beyond.
    for (let i = 0; i < 600; i++) {
      await take(b, clock);
      b.afterAttempt(ok);
    }
    expect(b.rate).toBeGreaterThan(before);
  });

  it('meets an unknown request-rate limit with a couple of 429s, not a stream of them: the first cut goes just under it', async () => {
    const clock = manualClock();
    const b = new RequestBudget({ clock });
    // The service: a token bucket of 10 requests a second holding one second's worth, as the
    // sandbox's --rate; 429 without headers beyond it.
    let tokens = 10;
    let at = clock.now();
    const serve = () => {
      tokens = Math.min(10, tokens + ((clock.now() - at) / 1000) * 10);
      at = clock.now();
      if (tokens < 1) return 429;
      tokens -= 1;
      return 200;
    };
    let refused = 0;
    let sent = 0;
    // Steady demand above the limit for six seconds, every request answered at once.
    while (clock.now() < 1_000_000 + 6000) {
      const ticket = await (async () => {
        let t: number | void = undefined;
        let through = false;
        const p = b.beforeAttempt().then((v) => {
          t = v;
          through = true;
        });
        while (!through) await clock.advance(5);
        await p;
        return t;
      })();
      sent++;
      const status = serve();
      if (status === 429) refused++;
      b.afterAttempt({ ...ok, status, ticket: ticket ?? undefined });
    }
    expect(sent).toBeGreaterThan(40);
    expect(refused).toBeLessThanOrEqual(4);
    expect(b.rate).toBeGreaterThan(6);
    expect(b.rate).toBeLessThanOrEqual(10.5);
  });

  it('sends a round of requests at once after a quiet moment (a short burst), then paces', async () => {
    const clock = manualClock();
    const b = new RequestBudget({ clock, initialRate: 16 });
    let through = 0;
    for (let i = 0; i < 12; i++) void b.beforeAttempt().then(() => through++);
    await clock.advance(0);
    // Half a second of the rate (8) at once; the rest a sixteenth of a second apart.
    expect(through).toBe(8);
    await clock.advance(130);
    expect(through).toBe(10);
    await clock.advance(130);
    expect(through).toBe(12);
  });

  it('polls go first, but never starve submissions: when both wait they take turns', async () => {
    const clock = manualClock();
    const b = new RequestBudget({ clock, initialRate: 4 });
    // The burst goes at once; then every request waits its turn.
    for (let i = 0; i < 2; i++) await b.beforeAttempt(undefined, 'GET');
    const order: string[] = [];
    for (let i = 0; i < 3; i++) void b.beforeAttempt(undefined, 'POST').then(() => order.push('POST'));
    for (let i = 0; i < 6; i++) void b.beforeAttempt(undefined, 'GET').then(() => order.push('GET'));
    await clock.advance(2_500);
    // The last to go was a poll: a submission next, then turn about while both wait.
    expect(order).toEqual(['POST', 'GET', 'POST', 'GET', 'POST', 'GET', 'GET', 'GET', 'GET']);
  });

  it('honours Retry-After: nobody goes before it has passed', async () => {
    const clock = manualClock();
    const b = new RequestBudget({ clock });
    await b.beforeAttempt();
    b.afterAttempt(limited({ 'retry-after': '3' }));
    let through = false;
    const p = b.beforeAttempt().then(() => (through = true));
    await clock.advance(2_900);
    expect(through).toBe(false);
    await clock.advance(300);
    await p;
    expect(through).toBe(true);
  });

  it('tells an in-flight refusal (429 + Retry-After on a submission) from a request-rate limit', async () => {
    const clock = manualClock();
    const b = new RequestBudget({ clock });
    // A second of requests at pace first: a 429 before that says nothing of a rate.
    for (let i = 0; i < 16; i++) {
      await take(b, clock);
      b.afterAttempt(ok);
    }
    const rate = b.rate;
    b.afterAttempt({ ...limited({ 'retry-after': '1' }, 'POST'), path: '/v1/evaluations' });
    expect(b.lastSubmit429WasInflight).toBe(true);
    expect(b.rate).toBe(rate);
    b.afterAttempt({ ...limited({}, 'POST'), path: '/v1/evaluations' });
    expect(b.lastSubmit429WasInflight).toBe(false);
    b.afterAttempt({ ...limited({}, 'POST'), path: '/v1/evaluations' });
    expect(b.rate).toBeLessThan(rate);
  });

  it('spreads the calls X-RateLimit-Remaining allows over what is left of the window', () => {
    const clock = manualClock(10_000_000);
    const b = new RequestBudget({ clock, initialRate: 50 });
    const reset = String(Math.ceil((clock.now() + 2_000) / 1000));
    b.afterAttempt({ ...ok, headers: { 'x-ratelimit-limit': '100', 'x-ratelimit-remaining': '4', 'x-ratelimit-reset': reset } });
    expect(b.rate).toBeLessThanOrEqual(4);
  });
});

describe('CompletionModel (polls where completions are due)', () => {
  const done = (ms: number, at: number) => ({
    status_code: 'completed',
    eval_duration_ms: ms,
    created_at: new Date(at - ms).toISOString(),
    submitted_at: new Date(at - ms).toISOString(),
    completed_at: new Date(at).toISOString(),
  });

  it('polls the oldest densely before anything is known, and a deep queue not at all', () => {
    let now = 0;
    const m = new CompletionModel({ now: () => now });
    const tracked = Array.from({ length: 20 }, () => m.track());
    expect(m.nextPollAt(tracked[0])).toBe(300);
    // The second oldest is looked at between the first one's polls: together every 150 ms.
    expect(m.nextPollAt(tracked[1])).toBe(450);
    now = 450;
    m.observe(tracked[1], { status_code: 'running' } as never, false);
    expect(m.nextPollAt(tracked[1])).toBe(750);
    now = 0;
    expect(m.nextPollAt(tracked[5])).toBeGreaterThanOrEqual(1000);
    expect(m.nextPollAt(tracked[18])).toBeGreaterThanOrEqual(5000);
    now = 1;
  });

  it('learns durations and workers: one waiting in the queue is polled after those ahead of it should finish', () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const t0 = now;
    const m = new CompletionModel({ now: () => now });
    const tracked = Array.from({ length: 12 }, () => m.track({ created_at: new Date(now).toISOString() } as never));
    // Two workers, 1 s each: the first two finish at 1 s; the rest are still queued, and the
    // fifth, third in line now, is seen still pending.
    now = t0 + 1000;
    m.observe(tracked[0], done(1000, now) as never, true);
    m.observe(tracked[1], done(1000, now) as never, true);
    expect(m.expectedMs).toBe(1000);
    m.observe(tracked[4], { status_code: 'pending' } as never, false);
    expect(m.workers).toBe(2);
    const third = m.nextPollAt(tracked[2]);
    const last = m.nextPollAt(tracked[11]);
    expect(third).toBeLessThanOrEqual(now + 1500);
    // Ten ahead of it on a few workers: not before several seconds.
    expect(last).toBeGreaterThan(now + 2500);
  });

  it('before anything finished, one running twice as deep as the workers counted finds a large service at once', () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const m = new CompletionModel({ now: () => now });
    const tracked = Array.from({ length: 48 }, () => m.track({ created_at: new Date(now).toISOString() } as never));
    expect(m.workers).toBe(8);
    // The 16th is looked at within a couple of seconds, however deep in the list it is…
    const probe = tracked[15];
    expect(m.nextPollAt(probe)).toBeLessThanOrEqual(now + 2000);
    expect(m.nextPollAt(tracked[30])).toBeGreaterThanOrEqual(now + 5000);
    now += 1000;
    // …and running: at least 16 workers (and, before any queue was seen, a look further still).
    m.observe(probe, { status_code: 'running', updated_at: new Date(now - 900).toISOString(), submitted_at: new Date(now - 1000).toISOString() } as never, false);
    expect(m.workers).toBeGreaterThanOrEqual(16);
    // The next probe, deeper, is pending: no more workers than its place.
    const deeper = tracked[m.workers * 2 - 1] ?? tracked[47];
    now += 1000;
    m.observe(deeper, { status_code: 'pending' } as never, false);
    expect(m.workers).toBeLessThanOrEqual(tracked.indexOf(deeper));
  });

  it('--interval overrides the schedule', () => {
    let now = 0;
    const m = new CompletionModel({ now: () => now, fixedIntervalMs: 3000 });
    const t = m.track();
    expect(m.nextPollAt(t)).toBe(3000);
    now = 1;
  });
});
