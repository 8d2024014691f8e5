/**
 * Shards: the K-th of N contiguous slices of a campaign's seed range, so N
 * machines (a CI matrix) each run one and `simulate merge` adds them up.
 * Slices differ in length by at most one seed.
 */
export interface Shard {
  /** Which slice, from 1. */
  readonly index: number;
  /** How many slices. */
  readonly count: number;
}

export interface SeedRange {
  readonly startSeed: number;
  readonly seeds: number;
}

export function shardRange(range: SeedRange, shard: Shard): SeedRange {
  const from = Math.floor(((shard.index - 1) * range.seeds) / shard.count);
  const to = Math.floor((shard.index * range.seeds) / shard.count);
  return { startSeed: range.startSeed + from, seeds: to - from };
}
