/**
 * A campaign: many seeds of the simulated pair, one after another on this
 * core, with their results added up. Every seed runs the same world shape
 * (the constants below), so a failing seed replays exactly with
 * `worldOptionsFor` and `trace: true`.
 */
import type { CheckpointModel } from '../../firmware/app.ts';
import { appVersions, loaderFor, type SimulationModule } from './app-module.ts';
import { bigStateWorkloadOf } from './big-state.ts';
import {
  type FaultCounts,
  type FaultGroup,
  type FaultModel,
  noFaultCounts,
  type Topology,
  topologyName,
} from './fault-model.ts';
import type { AppLoader } from './sim-board.ts';
import { runSeed, type SeedResult, type SeedViolation, type WorldOptions } from './world.ts';

/** Virtual milliseconds of faults and load per seed, before the fault-free final phase. */
export const DEFAULT_RUN_MS = 60_000;
/** The pair's cables run at a common UART speed. */
export const SEED_BAUD = 115_200;
/** Enough clients that requests overlap during takeovers. */
export const SEED_CLIENTS = 4;
/** Two cables, so a single cut never isolates the processors. */
export const SEED_PATH_COUNT = 2;
/** Fast heartbeats keep takeovers short in virtual time, so each seed packs in more faults. */
export const SEED_HEARTBEAT_INTERVAL_MS = 50;
/** How many violations a campaign keeps word for word; the rest are only counted. */
export const FIRST_VIOLATIONS_KEPT = 10;
/** `tandem simulate` runs the wide fault model unless told otherwise. */
export const DEFAULT_FAULT_MODEL: FaultModel = 'wide';

export interface SeedSpec {
  readonly seed: number;
  readonly mode: CheckpointModel;
  readonly module: SimulationModule;
  readonly runMs?: number;
  readonly trace?: boolean;
  /** The wide model by default; `classic` is the narrower schedule the corpus runs. */
  readonly faultModel?: FaultModel;
  /** Topology fields to force instead of drawing them (the classic model wires everything). */
  readonly topology?: Partial<Topology>;
  /** The wide model narrowed to these groups. */
  readonly faultGroups?: readonly FaultGroup[];
}

/** The world one seed of a campaign runs in; also how `simulate --seed` replays it. */
export function worldOptionsFor(spec: SeedSpec): WorldOptions {
  const [current, next] = appVersions(spec.module, spec.mode);
  const faultModel = spec.faultModel ?? DEFAULT_FAULT_MODEL;
  const forced = spec.topology ?? {};
  const bigStateWorkload = bigStateWorkloadOf(spec.module);
  const otherModelLoadApp = otherModelLoader(spec.module, spec.mode);
  return {
    seed: spec.seed,
    loadApp: loaderFor([current, next]),
    versions: [current.version, next.version],
    workload: (random) => spec.module.workload(random),
    runMs: spec.runMs ?? DEFAULT_RUN_MS,
    baud: SEED_BAUD,
    clients: SEED_CLIENTS,
    ...(faultModel === 'classic' && { pathCount: SEED_PATH_COUNT }),
    ...forced,
    faults: true,
    pushes: true,
    faultModel,
    ...(spec.faultGroups !== undefined && { faultGroups: spec.faultGroups }),
    ...(otherModelLoadApp !== undefined && { otherModelLoadApp }),
    ...(bigStateWorkload !== undefined && { bigStateWorkload }),
    trace: spec.trace ?? false,
    config: { heartbeatIntervalMs: SEED_HEARTBEAT_INTERVAL_MS },
  };
}

/** The module's versions built for the other checkpoint model, if it has them (mismatched partners). */
function otherModelLoader(module: SimulationModule, mode: CheckpointModel): AppLoader | undefined {
  try {
    return loaderFor(appVersions(module, mode === 'state' ? 'replay' : 'state'));
  } catch {
    return undefined;
  }
}

export interface CampaignOptions {
  readonly seeds: number;
  readonly startSeed: number;
  readonly mode: CheckpointModel;
  readonly module: SimulationModule;
  readonly runMs?: number;
  readonly faultModel?: FaultModel;
  readonly topology?: Partial<Topology>;
  readonly faultGroups?: readonly FaultGroup[];
  /** Called after each seed, e.g. to move a progress bar. */
  readonly onSeed?: (result: SeedResult) => void;
}

export interface CampaignViolation {
  readonly seed: number;
  readonly kind: SeedViolation['kind'];
  readonly detail: string;
  /** Virtual time of the violation within its seed. */
  readonly atMs: number;
}

export interface CampaignResult {
  readonly app: string;
  readonly versions: readonly [string, string];
  readonly mode: CheckpointModel;
  readonly faultModel: FaultModel;
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
  readonly acknowledged: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly splitBrain: number;
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
  readonly wallMs: number;
  readonly seedsPerMinute: number;
  readonly firstViolations: readonly CampaignViolation[];
}

type Counted = Extract<
  keyof SeedResult,
  | 'takeovers'
  | 'falseTakeovers'
  | 'switches'
  | 'fallbacks'
  | 'switchFailures'
  | 'switchesRefusedUnpushed'
  | 'pushesCompleted'
  | 'pushesInterrupted'
  | 'acknowledged'
  | 'lost'
  | 'duplicated'
  | 'splitBrain'
  | 'doubleFailures'
  | 'switchWindowLosses'
  | 'lostToDoubleFailure'
  | 'powerPulls'
  | 'faultsInjected'
  | 'virtualMs'
>;

const COUNTED: readonly Counted[] = [
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
  'powerPulls',
  'faultsInjected',
  'virtualMs',
];

/** Failing seeds kept per violation kind. */
export const FIRST_SEEDS_PER_KIND = 5;

export function runCampaign(options: CampaignOptions): CampaignResult {
  const { seeds, startSeed, mode, module } = options;
  const runMs = options.runMs ?? DEFAULT_RUN_MS;
  const faultModel = options.faultModel ?? DEFAULT_FAULT_MODEL;
  // Check the module's versions once, up front, rather than failing inside the first seed.
  const [current, next] = appVersions(module, mode);
  const totals = Object.fromEntries(COUNTED.map((key) => [key, 0])) as Record<Counted, number>;
  const faultCounts = noFaultCounts();
  const topologies: Record<string, number> = {};
  const violationKinds: Record<string, number> = {};
  const firstSeedsByKind: Record<string, number[]> = {};
  const failingSeeds: number[] = [];
  const firstViolations: CampaignViolation[] = [];
  let violations = 0;
  let holdMsMax = 0;
  let finalStateBytesMax = 0;

  const started = performance.now();
  for (let seed = startSeed; seed < startSeed + seeds; seed++) {
    const result = runSeed(
      worldOptionsFor({
        seed,
        mode,
        module,
        runMs,
        faultModel,
        ...(options.topology !== undefined && { topology: options.topology }),
        ...(options.faultGroups !== undefined && { faultGroups: options.faultGroups }),
      }),
    );
    for (const key of COUNTED) totals[key] += result[key];
    for (const [kind, n] of Object.entries(result.faultCounts))
      faultCounts[kind as keyof FaultCounts] += n;
    const topology = topologyName(result.topology);
    topologies[topology] = (topologies[topology] ?? 0) + 1;
    holdMsMax = Math.max(holdMsMax, result.holdMsMax);
    finalStateBytesMax = Math.max(finalStateBytesMax, result.finalStateBytes);
    if (result.violations.length > 0) {
      violations += result.violations.length;
      failingSeeds.push(seed);
      for (const violation of result.violations) {
        violationKinds[violation.kind] = (violationKinds[violation.kind] ?? 0) + 1;
        const kindSeeds = firstSeedsByKind[violation.kind] ?? [];
        firstSeedsByKind[violation.kind] = kindSeeds;
        if (kindSeeds.length < FIRST_SEEDS_PER_KIND && !kindSeeds.includes(seed))
          kindSeeds.push(seed);
        if (firstViolations.length >= FIRST_VIOLATIONS_KEPT) continue;
        const { kind, detail, at } = violation;
        firstViolations.push({ seed, kind, detail, atMs: at });
      }
    }
    options.onSeed?.(result);
  }
  const wallMs = performance.now() - started;

  return {
    app: current.name,
    versions: [current.version, next.version],
    mode,
    faultModel,
    startSeed,
    runMs,
    seeds,
    violations,
    violationKinds,
    firstSeedsByKind,
    failingSeeds,
    ...totals,
    faultCounts,
    topologies,
    finalStateBytesMax,
    holdMsMax,
    wallMs,
    seedsPerMinute: wallMs > 0 ? (seeds * 60_000) / wallMs : 0,
    firstViolations,
  };
}
