import { createHash } from 'node:crypto';
import { UsageError } from '../errors.js';

/**
 * `--shard i/n` (SPEC §3 "gate"): a deterministic slice of the inputs for CI matrices. An input's
 * shard depends only on its shard key (the image string, or the canonical manifest item), never
 * on its position, so reordering or extending a manifest moves no other input between shards.
 */
export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

export const MAX_SHARDS = 10_000;

export function parseShard(value: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  if (!m) throw new UsageError(`--shard ${JSON.stringify(value)} must look like i/n, e.g. 2/4 (the 2nd of 4 shards)`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > MAX_SHARDS) {
    throw new UsageError(`--shard ${value}: the shard count must be from 1 to ${MAX_SHARDS.toLocaleString('en-US')}`);
  }
  if (index < 1 || index > count) throw new UsageError(`--shard ${value}: the shard number must be from 1 to ${count}`);
  return { index, count };
}

/**
 * The first 8 hex digits (32 bits) of sha256(key), modulo the shard count. Part of the contract
 * between shards that may run different versions of this tool: do not change it.
 */
export function shardOf(shardKey: string, count: number): number {
  const hex = createHash('sha256').update(shardKey, 'utf8').digest('hex');
  return (parseInt(hex.slice(0, 8), 16) % count) + 1;
}

export function inShard(shardKey: string, shard: Shard): boolean {
  return shardOf(shardKey, shard.count) === shard.index;
}

/** The inputs of one shard, in their original order. */
export function selectShard<T extends { shardKey: string }>(inputs: readonly T[], shard: Shard): T[] {
  return inputs.filter((input) => inShard(input.shardKey, shard));
}
