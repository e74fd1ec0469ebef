import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { inShard, parseShard, selectShard, shardOf } from '../../src/gate/shard.js';

describe('parseShard', () => {
  it('reads i/n', () => {
    expect(parseShard('1/1')).toEqual({ index: 1, count: 1 });
    expect(parseShard('3/7')).toEqual({ index: 3, count: 7 });
    expect(parseShard(' 2 / 4 ')).toEqual({ index: 2, count: 4 });
    expect(parseShard('10000/10000')).toEqual({ index: 10000, count: 10000 });
  });

  it('refuses anything else, naming --shard', () => {
    for (const bad of ['', '1', '0/3', '4/3', '1/0', '-1/3', '1.5/3', '1/3.0', 'a/b', '1/10001', '1/2/3', '1 of 2']) {
      let error: unknown;
      try {
        parseShard(bad);
      } catch (err) {
        error = err;
      }
      expect(error, bad).toBeInstanceOf(UsageError);
      expect((error as UsageError).message, bad).toMatch(/^--shard /);
    }
  });
});

describe('sharding', () => {
  const keys = Array.from({ length: 200 }, (_, i) => `images/shot-${i}.png`);
  const inputs = keys.map((shardKey, order) => ({ shardKey, order }));

  it('puts every input in exactly one shard, for n = 1..7', () => {
    for (let count = 1; count <= 7; count++) {
      const seen = new Map<number, number>();
      for (let index = 1; index <= count; index++) {
        for (const input of selectShard(inputs, { index, count })) seen.set(input.order, (seen.get(input.order) ?? 0) + 1);
      }
      expect(seen.size, `n=${count}`).toBe(inputs.length);
      expect([...seen.values()].every((times) => times === 1), `n=${count}`).toBe(true);
    }
  });

  it('keeps the original order within a shard', () => {
    const slice = selectShard(inputs, { index: 2, count: 3 });
    const orders = slice.map((i) => i.order);
    expect(orders).toEqual([...orders].sort((a, b) => a - b));
  });

  it('sends the same key to the same shard whatever its position or neighbours', () => {
    const reversed = [...inputs].reverse();
    for (let index = 1; index <= 4; index++) {
      const a = selectShard(inputs, { index, count: 4 }).map((i) => i.shardKey).sort();
      const b = selectShard(reversed, { index, count: 4 }).map((i) => i.shardKey).sort();
      expect(a).toEqual(b);
    }
    expect(inShard('a.png', { index: shardOf('a.png', 5), count: 5 })).toBe(true);
  });

  it('is pinned to the first 32 bits of sha256 (shards on other machines and versions must agree)', () => {
    // Literal values: this fails if the hash rule ever changes.
    const pinned: Array<[string, number[]]> = [
      ['a.png', [1, 2, 2, 6, 9846]],
      ['shots/é.png', [1, 1, 3, 1, 1901]],
      ['{"image":"x.png"}', [1, 1, 1, 3, 7973]],
    ];
    for (const [key, shards] of pinned) {
      expect([1, 2, 3, 10, 10_000].map((count) => shardOf(key, count)), key).toEqual(shards);
    }
  });

  it('is roughly balanced', () => {
    // Enough keys that the hash's spread shows (deterministic: the same keys every run).
    const many = Array.from({ length: 7000 }, (_, i) => ({ shardKey: `batch/${i}.jpg` }));
    for (const count of [2, 4, 7]) {
      const sizes = Array.from({ length: count }, (_, i) => selectShard(many, { index: i + 1, count }).length);
      const mean = many.length / count;
      for (const size of sizes) {
        expect(size, `n=${count} sizes=${sizes}`).toBeGreaterThan(mean * 0.9);
        expect(size, `n=${count} sizes=${sizes}`).toBeLessThan(mean * 1.1);
      }
    }
  });

  it('an empty input list gives an empty shard', () => {
    expect(selectShard([], { index: 1, count: 3 })).toEqual([]);
  });
});
