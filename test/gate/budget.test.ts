import { describe, expect, it } from 'vitest';
import { RequestBudget } from '../../src/gate/budget.js';
import { WaitingLine } from '../../src/gate/budget-line.js';
import { manualClock, type ManualClock } from '../helpers/manual-clock.js';

/** Waits for the budget's turn, moving the manual clock as needed. */
async function take(b: RequestBudget, clock: ManualClock, step = 10): Promise<void> {
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

  it('a caller whose signal aborts while it waits rejects with the reason and gives its turn to the next', async () => {
    const clock = manualClock();
    const b = new RequestBudget({ clock, initialRate: 4 });
    for (let i = 0; i < 2; i++) await b.beforeAttempt();
    const ctl = new AbortController();
    const aborted = b.beforeAttempt(ctl.signal, 'POST');
    let next: number | undefined;
    void b.beforeAttempt(undefined, 'POST').then((ticket) => (next = ticket));
    ctl.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
    await clock.advance(300);
    // The third request sent: the aborted one took no ticket.
    expect(next).toBe(2);
    await expect(b.beforeAttempt(AbortSignal.abort(new Error('already')))).rejects.toThrow('already');
  });
});

describe('WaitingLine (who of the waiting callers goes next)', () => {
  const order = (line: WaitingLine, kinds: string[]) => {
    const went: string[] = [];
    kinds.forEach((kind, i) => void line.wait(kind === 'GET').then(() => went.push(`${kind}${i}`)));
    return went;
  };

  it('puts reads ahead of writes (first come, first served within each); while both wait they take turns', async () => {
    const line = new WaitingLine();
    line.passed(false);
    const went = order(line, ['POST', 'GET', 'POST', 'GET']);
    expect(line.length).toBe(4);
    for (let i = 0; i < 4; i++) line.grantNext();
    await Promise.resolve();
    expect(went).toEqual(['GET1', 'POST0', 'GET3', 'POST2']);
  });

  it('after a read, a waiting write goes next; with nothing waiting, granting does nothing', async () => {
    const line = new WaitingLine();
    line.grantNext();
    line.passed(true);
    const went = order(line, ['GET', 'GET', 'POST']);
    for (let i = 0; i < 3; i++) line.grantNext();
    await Promise.resolve();
    expect(went).toEqual(['POST2', 'GET0', 'GET1']);
    expect(line.length).toBe(0);
  });

  it('an aborted caller leaves the line, rejected with the reason', async () => {
    const line = new WaitingLine();
    const ctl = new AbortController();
    const waiting = line.wait(false, ctl.signal);
    const went = order(line, ['POST']);
    ctl.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    expect(line.length).toBe(1);
    line.grantNext();
    await Promise.resolve();
    expect(went).toEqual(['POST0']);
  });
});
