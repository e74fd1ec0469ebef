import type { Clock } from '../../src/clock.js';

/** A clock whose time moves only when told; sleeps resolve as time passes them. */
export function manualClock(start = 1_000_000) {
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

export type ManualClock = ReturnType<typeof manualClock>;
