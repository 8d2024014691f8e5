/**
 * The simulator's speed target, and an honest verdict against it: a seed
 * only counts if it is long enough and busy enough to find something.
 */
import type { CampaignResult } from '../simulator/campaign.ts';

export const BENCH_TARGET = {
  /** Seeds a minute on one core. */
  seedsPerMinute: 1000,
  /** Virtual seconds per seed. */
  virtualSecondsPerSeed: 60,
  /** "Several" faults per seed. */
  faultsPerSeed: 5,
} as const;

export interface BenchMeasurement {
  readonly mode: CampaignResult['mode'];
  readonly seeds: number;
  readonly seedsPerMinute: number;
  readonly virtualSecondsPerSeed: number;
  readonly faultsPerSeed: number;
  readonly violations: number;
  readonly failingSeeds: number;
  readonly wallMs: number;
  readonly verdict: 'PASS' | 'FALLS SHORT';
  /** Which parts of the target were missed, in words; empty on PASS. */
  readonly shortfalls: readonly string[];
}

export function measure(result: CampaignResult): BenchMeasurement {
  const perSeed = (total: number) => (result.seeds > 0 ? total / result.seeds : 0);
  const seedsPerMinute = result.seedsPerMinute;
  const virtualSecondsPerSeed = perSeed(result.virtualMs) / 1000;
  const faultsPerSeed = perSeed(result.faultsInjected);
  const shortfalls: string[] = [];
  if (seedsPerMinute < BENCH_TARGET.seedsPerMinute) {
    shortfalls.push(`${Math.round(seedsPerMinute)} seeds/min < ${BENCH_TARGET.seedsPerMinute}`);
  }
  if (virtualSecondsPerSeed < BENCH_TARGET.virtualSecondsPerSeed) {
    shortfalls.push(
      `${virtualSecondsPerSeed.toFixed(1)} virtual s/seed < ${BENCH_TARGET.virtualSecondsPerSeed}`,
    );
  }
  if (faultsPerSeed < BENCH_TARGET.faultsPerSeed) {
    shortfalls.push(`${faultsPerSeed.toFixed(1)} faults/seed < ${BENCH_TARGET.faultsPerSeed}`);
  }
  return {
    mode: result.mode,
    seeds: result.seeds,
    seedsPerMinute,
    virtualSecondsPerSeed,
    faultsPerSeed,
    violations: result.violations,
    failingSeeds: result.failingSeeds.length,
    wallMs: result.wallMs,
    verdict: shortfalls.length === 0 ? 'PASS' : 'FALLS SHORT',
    shortfalls,
  };
}
