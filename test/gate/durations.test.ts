import { describe, expect, it } from 'vitest';
import { CompletionModel } from '../../src/gate/durations.js';
import { WorkerCount } from '../../src/gate/durations-workers.js';

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

describe('WorkerCount (how many workers the service has)', () => {
  it('probes past the most seen running until a queue is seen, then holds to it', () => {
    const changes: boolean[] = [];
    const w = new WorkerCount((grew) => changes.push(grew));
    expect(w.count).toBe(8);
    w.runningAt(11);
    // Twelve running at once, no queue seen yet: there may be more.
    expect(w.count).toBe(18);
    w.queued();
    expect(w.queueSeen).toBe(true);
    expect(w.count).toBe(12);
    expect(changes).toEqual([true, false]);
  });

  it('one still pending at place i means at most i workers; runs seen together raise the count again', () => {
    const w = new WorkerCount(() => undefined);
    expect(w.pendingAt(20)).toBe(false);
    expect(w.atMost).toBe(20);
    expect(w.pendingAt(3)).toBe(true);
    expect(w.count).toBe(3);
    // Four ran at the same time: workers were added, the old bound no longer holds, and with no
    // queue seen yet the count looks further (half as many again).
    for (let i = 0; i < 4; i++) w.ran(1000 + i, 2000 + i);
    expect(w.atMost).toBe(Infinity);
    expect(w.count).toBe(6);
  });
});
