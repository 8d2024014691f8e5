/**
 * One seed's outcome as a campaign adds it up: what a worker thread sends
 * back, and what `simulate --jsonl` writes as one line. It carries the
 * campaign it belongs to, so shards from many machines can be checked to
 * be slices of one campaign before `simulate merge` sums them.
 */
import type { ImageEngine } from '../../boards/image-engine.ts';
import type { CheckpointModel, Durability } from '../../firmware/app.ts';
import type { FaultCounts, FaultGroup, FaultModel, Topology } from './fault-model.ts';
import { topologyName } from './fault-model.ts';
import type { SeedResult, SeedViolation } from './world.ts';

/** What makes seeds of one campaign comparable: the same app, model, faults and length. */
export interface CampaignIdentity {
  readonly app: string;
  readonly versions: readonly [string, string];
  readonly mode: CheckpointModel;
  readonly faultModel: FaultModel;
  readonly runMs: number;
  /** Topology fields forced on every seed (empty: drawn per seed). */
  readonly topology: Partial<Topology>;
  /** The wide model narrowed to these groups; null for all of them. */
  readonly faultGroups: readonly FaultGroup[] | null;
  /** Whether each board had a durable store that outlives its power. */
  readonly durability: Durability;
  /** Where each board's core ran, processor 1 first: in this process (node) or in XS (xs-core/). */
  readonly engines: readonly [ImageEngine, ImageEngine];
}

/** How many violations a line, and a campaign, keep word for word; the rest are only counted. */
export const SEED_VIOLATIONS_KEPT = 10;

export interface SeedLineViolation {
  readonly kind: SeedViolation['kind'];
  readonly detail: string;
  /** Virtual time of the violation within its seed. */
  readonly atMs: number;
}

/** The counters of a SeedResult that a campaign sums. */
export const COUNTED = [
  'takeovers',
  'falseTakeovers',
  'switches',
  'fallbacks',
  'switchFailures',
  'switchesRefusedUnpushed',
  'pushesCompleted',
  'pushesInterrupted',
  'acknowledged',
  'lost',
  'duplicated',
  'splitBrain',
  'doubleFailures',
  'switchWindowLosses',
  'lostToDoubleFailure',
  'refusedStoreFull',
  'powerPulls',
  'faultsInjected',
  'virtualMs',
] as const satisfies readonly (keyof SeedResult)[];

export type Counted = (typeof COUNTED)[number];

export interface SeedLine extends Readonly<Record<Counted, number>> {
  readonly seed: number;
  readonly campaign: CampaignIdentity;
  readonly topologyName: string;
  readonly faultCounts: FaultCounts;
  readonly holdMsMax: number;
  readonly finalStateBytes: number;
  /** All of the seed's violations, by kind. */
  readonly violationKinds: Readonly<Record<string, number>>;
  /** The first SEED_VIOLATIONS_KEPT of them, in order. */
  readonly firstViolations: readonly SeedLineViolation[];
  /** Findings that needed overlapping faults (SeedResult.multiFault), by kind. */
  readonly multiFaultKinds: Readonly<Record<string, number>>;
  /** The first SEED_VIOLATIONS_KEPT of them, in order. */
  readonly firstMultiFault: readonly SeedLineViolation[];
  /** Wall time the seed took where it ran (not part of its result: it varies run to run). */
  readonly wallMs: number;
}

export function seedLineOf(
  campaign: CampaignIdentity,
  result: SeedResult,
  wallMs: number,
): SeedLine {
  const counted = Object.fromEntries(COUNTED.map((key) => [key, result[key]])) as Record<
    Counted,
    number
  >;
  const kinds = (list: readonly SeedViolation[]) => {
    const byKind: Record<string, number> = {};
    for (const { kind } of list) byKind[kind] = (byKind[kind] ?? 0) + 1;
    return byKind;
  };
  const first = (list: readonly SeedViolation[]) =>
    list.slice(0, SEED_VIOLATIONS_KEPT).map(({ kind, detail, at }) => ({ kind, detail, atMs: at }));
  return {
    seed: result.seed,
    campaign,
    ...counted,
    topologyName: topologyName(result.topology),
    faultCounts: result.faultCounts,
    holdMsMax: result.holdMsMax,
    finalStateBytes: result.finalStateBytes,
    violationKinds: kinds(result.violations),
    firstViolations: first(result.violations),
    multiFaultKinds: kinds(result.multiFault),
    firstMultiFault: first(result.multiFault),
    wallMs,
  };
}

/** How many violations the seed had. */
export function violationCount(line: SeedLine): number {
  let n = 0;
  for (const count of Object.values(line.violationKinds)) n += count;
  return n;
}
