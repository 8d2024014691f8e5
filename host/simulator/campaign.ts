/**
 * A campaign: many seeds of the simulated pair, one after another on this
 * thread (campaign-pool.ts spreads them over worker threads), with their
 * results added up in seed order (campaign-tally.ts). Every seed runs the same world shape
 * (the constants below), so a failing seed replays exactly with
 * `worldOptionsFor` and `trace: true`.
 */
import type { ImageEngine } from '../../boards/image-engine.ts';
import { findXsnap } from '../../boards/xs/xsnap-cache.ts';
import type { CheckpointModel, Durability } from '../../firmware/app.ts';
import { appVersions, loaderFor, type SimulationModule } from './app-module.ts';
import { bigStateWorkloadOf } from './big-state.ts';
import { type CampaignResult, CampaignTally } from './campaign-tally.ts';
import type { FaultGroup, FaultModel, Topology } from './fault-model.ts';
import { type CampaignIdentity, type SeedLine, seedLineOf } from './seed-line.ts';
import type { AppLoader } from './sim-board.ts';
import type { CoreEngine } from './sim-core.ts';
import { runSeed, type WorldOptions } from './world.ts';
import { coreEnginesFor } from './xs-core/xs-core.ts';

export type { CampaignResult, CampaignViolation } from './campaign-tally.ts';

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
/** `tandem simulate` runs the wide fault model unless told otherwise. */
export const DEFAULT_FAULT_MODEL: FaultModel = 'wide';
/** Boards without durable stores unless told otherwise (a retained app then runs in memory). */
export const DEFAULT_DURABILITY: Durability = 'memory';
export const DURABILITIES: readonly Durability[] = ['memory', 'retained'];

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
  /** `retained`: each board has a durable store (memory by default). */
  readonly durability?: Durability;
  /** Where each board's core runs, processor 1 first (both in this process by default). */
  readonly engines?: readonly [ImageEngine, ImageEngine];
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
    durability: spec.durability ?? DEFAULT_DURABILITY,
    config: { heartbeatIntervalMs: SEED_HEARTBEAT_INTERVAL_MS },
    ...(spec.engines?.includes('xs') && { coreEngine: coresIn(spec.engines) }),
  };
}

/** Each board's core where `engines` says, XS from the worker this machine built (`npm run build:xs`). */
function coresIn(engines: readonly [ImageEngine, ImageEngine]): (processor: 1 | 2) => CoreEngine {
  const xs = findXsnap();
  if (!xs.available) throw new Error(xs.reason);
  return coreEnginesFor(engines, xs.path);
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
  readonly durability?: Durability;
  readonly engines?: readonly [ImageEngine, ImageEngine];
  /** Called after each seed, in seed order, e.g. to move a progress bar or write a line. */
  readonly onSeed?: (line: SeedLine) => void;
}

/** The identity every seed of this campaign carries (checks the module's versions once, up front). */
export function campaignIdentity(
  options: Omit<CampaignOptions, 'seeds' | 'startSeed' | 'onSeed'>,
): CampaignIdentity {
  const [current, next] = appVersions(options.module, options.mode);
  return {
    app: current.name,
    versions: [current.version, next.version],
    mode: options.mode,
    faultModel: options.faultModel ?? DEFAULT_FAULT_MODEL,
    runMs: options.runMs ?? DEFAULT_RUN_MS,
    topology: options.topology ?? {},
    faultGroups: options.faultGroups ?? null,
    durability: options.durability ?? DEFAULT_DURABILITY,
    engines: options.engines ?? ['node', 'node'],
  };
}

/** Runs one seed of the campaign `campaign` names, and times it. */
export function runCampaignSeed(
  campaign: CampaignIdentity,
  module: SimulationModule,
  seed: number,
): SeedLine {
  const started = performance.now();
  const result = runSeed(
    worldOptionsFor({
      seed,
      mode: campaign.mode,
      module,
      runMs: campaign.runMs,
      faultModel: campaign.faultModel,
      topology: campaign.topology,
      ...(campaign.faultGroups !== null && { faultGroups: campaign.faultGroups }),
      durability: campaign.durability,
      engines: campaign.engines,
    }),
  );
  return seedLineOf(campaign, result, performance.now() - started);
}

/** Runs the seeds one after another on this thread. */
export function runCampaign(options: CampaignOptions): CampaignResult {
  const campaign = campaignIdentity(options);
  const tally = new CampaignTally();
  const started = performance.now();
  for (let seed = options.startSeed; seed < options.startSeed + options.seeds; seed++) {
    const line = runCampaignSeed(campaign, options.module, seed);
    tally.add(line);
    options.onSeed?.(line);
  }
  return tally.result(campaign, options.startSeed, performance.now() - started);
}
