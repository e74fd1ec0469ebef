import { describe, expect, it } from 'vitest';
import { WaitQueue } from '../../src/util/wait-queue.js';

/** Lets every settled promise run its callbacks. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('WaitQueue', () => {
  it('wakes waiters in the order they came, one at a time', async () => {
    const queue = new WaitQueue<string>();
    const woken: string[] = [];
    for (const name of ['a', 'b', 'c']) void queue.wait(undefined, name).then(() => woken.push(name));
    expect(queue.length).toBe(3);
    expect(queue.head).toBe('a');
    expect(queue.wakeNext()).toBe(true);
    await settle();
    expect(woken).toEqual(['a']);
    expect(queue.head).toBe('b');
    expect(queue.wakeNext()).toBe(true);
    expect(queue.wakeNext()).toBe(true);
    expect(queue.wakeNext()).toBe(false);
    await settle();
    expect(woken).toEqual(['a', 'b', 'c']);
    expect(queue.length).toBe(0);
    expect(queue.head).toBeUndefined();
  });

  it('wakes a given number of the oldest, or all of them', async () => {
    const queue = new WaitQueue();
    const woken: number[] = [];
    for (let i = 0; i < 5; i++) void queue.wait().then(() => woken.push(i));
    queue.wake(2);
    await settle();
    expect(woken).toEqual([0, 1]);
    queue.wake(0);
    queue.wake(-1);
    expect(queue.length).toBe(3);
    queue.wakeAll();
    await settle();
    expect(woken).toEqual([0, 1, 2, 3, 4]);
  });

  it('rejects with the reason of an aborting signal and gives its place to the next', async () => {
    const hooks: number[] = [];
    const queue = new WaitQueue<number>({ onAbort: () => hooks.push(queue.length) });
    const ctl = new AbortController();
    const first = queue.wait(ctl.signal, 1);
    const woken: number[] = [];
    void queue.wait(undefined, 2).then(() => woken.push(2));
    const reason = new Error('stop');
    ctl.abort(reason);
    await expect(first).rejects.toBe(reason);
    // The hook runs once the waiter has left.
    expect(hooks).toEqual([1]);
    expect(queue.head).toBe(2);
    queue.wakeNext();
    await settle();
    expect(woken).toEqual([2]);
  });

  it('rejects at once, without queueing, when the signal has already aborted', async () => {
    const queue = new WaitQueue();
    const reason = new Error('gone');
    await expect(queue.wait(AbortSignal.abort(reason))).rejects.toBe(reason);
    expect(queue.length).toBe(0);
  });

  it('no longer listens to the signal of a woken waiter', async () => {
    const hooks: string[] = [];
    const queue = new WaitQueue({ onAbort: () => hooks.push('abort') });
    const ctl = new AbortController();
    const waiting = queue.wait(ctl.signal);
    queue.wakeNext();
    await waiting;
    ctl.abort(new Error('late'));
    expect(hooks).toEqual([]);
  });
});
