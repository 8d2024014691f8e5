/**
 * Adds seeds up into a campaign's result. Seeds must come in seed order
 * (the first violations and failing seeds are kept in that order), so one
 * thread, many worker threads and merged shards all give the same result.
 */

import type { SafetyCounts } from '../history/result-counts.ts';
import { type FaultCounts, noFaultCounts } from './fault-model.ts';
import {
  type CampaignIdentity,
  COUNTED,
  type Counted,
  SEED_VIOLATIONS_KEPT,
  type SeedLine,
  type SeedLineViolation,
  violationCount,
} from './seed-line.ts';
import type { SeedViolation } from './world.ts';

/** How many violations a campaign keeps word for word; the rest are only counted. */
export const FIRST_VIOLATIONS_KEPT = SEED_VIOLATIONS_KEPT;
/** Failing seeds kept per violation kind. */
export const FIRST_SEEDS_PER_KIND = 5;

export interface CampaignViolation {
  readonly seed: number;
  readonly kind: SeedViolation['kind'];
  readonly detail: string;
  /** Virtual time of the violation within its seed. */
  readonly atMs: number;
}

export interface CampaignResult extends SafetyCounts {
  readonly app: string;
  readonly versions: readonly [string, string];
  readonly mode: CampaignIdentity['mode'];
  readonly faultModel: CampaignIdentity['faultModel'];
  /** `retained`: each board had a durable store that outlives its power. */
  readonly durability: CampaignIdentity['durability'];
  /** Where each board's core ran, processor 1 first. */
  readonly engines: CampaignIdentity['engines'];
  readonly startSeed: number;
  readonly runMs: number;
  readonly seeds: number;
  /** Total violations over all seeds. */
  readonly violations: number;
  /** Violations by kind. */
  readonly violationKinds: Readonly<Record<string, number>>;
  /** Per kind: the first failing seeds (up to FIRST_SEEDS_PER_KIND). */
  readonly firstSeedsByKind: Readonly<Record<string, readonly number[]>>;
  readonly failingSeeds: readonly number[];
  /**
   * Findings that needed two or more overlapping faults (see
   * fault-windows.ts): neither violations nor passes, counted apart.
   */
  readonly multiFault: number;
  readonly multiFaultKinds: Readonly<Record<string, number>>;
  /** Per kind: the first seeds with such a finding (up to FIRST_SEEDS_PER_KIND). */
  readonly firstMultiFaultSeedsByKind: Readonly<Record<string, readonly number[]>>;
  /** Seeds with at least one such finding. */
  readonly multiFaultSeeds: number;
  readonly firstMultiFault: readonly CampaignViolation[];
  readonly takeovers: number;
  /** Takeovers with no failure behind them (see takeover-judge.ts). */
  readonly falseTakeovers: number;
  /** Completed upgrades to the next version. */
  readonly switches: number;
  /** Completed switches back to the current version. */
  readonly fallbacks: number;
  readonly switchFailures: number;
  /** Switches refused because an other slot lacked the image (also counted in switchFailures). */
  readonly switchesRefusedUnpushed: number;
  /** Image pushes into an inactive slot that completed. */
  readonly pushesCompleted: number;
  /** Pushes cut short by a power loss (resumed by a later push). */
  readonly pushesInterrupted: number;
  /**
   * Both boards down with the state in neither: the app keeps its state in
   * RAM only, so nothing can survive this. Reported on its own, never as a
   * pass of the nothing-lost invariant.
   */
  readonly doubleFailures: number;
  /** Cold starts where a pull took the one copy a switch had left (see SeedResult). */
  readonly switchWindowLosses: number;
  /** Acknowledged requests whose state died in a double failure or a switch's window. */
  readonly lostToDoubleFailure: number;
  /** Requests refused `store-full` (see SeedResult). */
  readonly refusedStoreFull: number;
  readonly powerPulls: number;
  readonly faultsInjected: number;
  /** Faults per class over all seeds (seed dimensions count once per seed). */
  readonly faultCounts: FaultCounts;
  /** Seeds per topology. */
  readonly topologies: Readonly<Record<string, number>>;
  /** Largest final state over all seeds (JSON bytes). */
  readonly finalStateBytesMax: number;
  /** Longest a client waited for a reply while faults were on, over all seeds. */
  readonly holdMsMax: number;
  /** Sum of the seeds' virtual time. */
  readonly virtualMs: number;
  /** Wall time of the run (for merged shards: the sum of the seeds' own times). */
  readonly wallMs: number;
  readonly seedsPerMinute: number;
  readonly firstViolations: readonly CampaignViolation[];
}

export class CampaignTally {
  readonly #totals = Object.fromEntries(COUNTED.map((key) => [key, 0])) as Record<Counted, number>;
  readonly #faultCounts = noFaultCounts();
  readonly #topologies: Record<string, number> = {};
  readonly #violationKinds: Record<string, number> = {};
  readonly #firstSeedsByKind: Record<string, number[]> = {};
  readonly #failingSeeds: number[] = [];
  readonly #firstViolations: CampaignViolation[] = [];
  #violations = 0;
  readonly #multiFault = new FindingTally();
  #holdMsMax = 0;
  #finalStateBytesMax = 0;
  #seeds = 0;
  #seedWallMs = 0;

  /** Adds the next seed; seeds must come in ascending order. */
  add(line: SeedLine): void {
    this.#seeds += 1;
    this.#seedWallMs += line.wallMs;
    for (const key of COUNTED) this.#totals[key] += line[key];
    for (const [kind, n] of Object.entries(line.faultCounts))
      this.#faultCounts[kind as keyof FaultCounts] += n;
    this.#topologies[line.topologyName] = (this.#topologies[line.topologyName] ?? 0) + 1;
    this.#holdMsMax = Math.max(this.#holdMsMax, line.holdMsMax);
    this.#finalStateBytesMax = Math.max(this.#finalStateBytesMax, line.finalStateBytes);
    this.#multiFault.add(line.seed, line.multiFaultKinds, line.firstMultiFault);
    const violations = violationCount(line);
    if (violations === 0) return;
    this.#violations += violations;
    this.#failingSeeds.push(line.seed);
    for (const [kind, n] of Object.entries(line.violationKinds)) {
      this.#violationKinds[kind] = (this.#violationKinds[kind] ?? 0) + n;
      const kindSeeds = this.#firstSeedsByKind[kind] ?? [];
      this.#firstSeedsByKind[kind] = kindSeeds;
      if (kindSeeds.length < FIRST_SEEDS_PER_KIND) kindSeeds.push(line.seed);
    }
    for (const violation of line.firstViolations) {
      if (this.#firstViolations.length >= FIRST_VIOLATIONS_KEPT) break;
      this.#firstViolations.push({ seed: line.seed, ...violation });
    }
  }

  /** The sum of the seeds' own wall times (what merged shards report as wallMs). */
  get seedWallMs(): number {
    return this.#seedWallMs;
  }

  result(campaign: CampaignIdentity, startSeed: number, wallMs: number): CampaignResult {
    const seeds = this.#seeds;
    return {
      app: campaign.app,
      versions: campaign.versions,
      mode: campaign.mode,
      faultModel: campaign.faultModel,
      durability: campaign.durability,
      engines: campaign.engines,
      startSeed,
      runMs: campaign.runMs,
      seeds,
      violations: this.#violations,
      violationKinds: this.#violationKinds,
      firstSeedsByKind: this.#firstSeedsByKind,
      failingSeeds: this.#failingSeeds,
      multiFault: this.#multiFault.total,
      multiFaultKinds: this.#multiFault.kinds,
      firstMultiFaultSeedsByKind: this.#multiFault.firstSeedsByKind,
      multiFaultSeeds: this.#multiFault.seeds,
      firstMultiFault: this.#multiFault.first,
      ...this.#totals,
      faultCounts: this.#faultCounts,
      topologies: this.#topologies,
      finalStateBytesMax: this.#finalStateBytesMax,
      holdMsMax: this.#holdMsMax,
      wallMs,
      seedsPerMinute: wallMs > 0 ? (seeds * 60_000) / wallMs : 0,
      firstViolations: this.#firstViolations,
    };
  }
}

/** Findings of one class over seeds: counts by kind, first seeds per kind, the first few word for word. */
class FindingTally {
  total = 0;
  seeds = 0;
  readonly kinds: Record<string, number> = {};
  readonly firstSeedsByKind: Record<string, number[]> = {};
  readonly first: CampaignViolation[] = [];

  add(
    seed: number,
    kinds: Readonly<Record<string, number>>,
    first: readonly SeedLineViolation[],
  ): void {
    const entries = Object.entries(kinds);
    if (entries.length === 0) return;
    this.seeds += 1;
    for (const [kind, n] of entries) {
      this.total += n;
      this.kinds[kind] = (this.kinds[kind] ?? 0) + n;
      const kindSeeds = this.firstSeedsByKind[kind] ?? [];
      this.firstSeedsByKind[kind] = kindSeeds;
      if (kindSeeds.length < FIRST_SEEDS_PER_KIND) kindSeeds.push(seed);
    }
    for (const finding of first) {
      if (this.first.length >= FIRST_VIOLATIONS_KEPT) break;
      this.first.push({ seed, ...finding });
    }
  }
}
