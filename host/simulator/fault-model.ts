/**
 * What a seed may throw at the pair, and the per-seed draws that pick it.
 *
 * The `classic` model is the first fault schedule (pulls, switches, short
 * cuts, noise, pushes) on a fixed topology: two paths, DSR and fence wired,
 * four clients, one clock. The `wide` model adds what real labs do (issue
 * 9): stalls of a board or of the wires for any length, clock drift and
 * skew, long, crossed and noisy one-way cuts, the topology as a seed
 * dimension, crowds of clients, small reply caches, pipelining clients, a
 * bus that loses replies, states of tens of kilobytes, mismatched partners,
 * app exceptions, joiners that cannot install their big checkpoint,
 * power pulls spread over the handover of a switch, and microcontroller-class
 * boards (their limits, on a core whose slices take time). With durable stores
 * (`retained`), power is also cut inside store writes and erases, and some
 * fail with the power on. Every choice comes from
 * a stream of its own, so adding one dimension leaves the others' draws as
 * they were.
 */
import { seededRandom } from '../../firmware/runtime/random.ts';

export type FaultModel = 'classic' | 'wide';
export const FAULT_MODELS: readonly FaultModel[] = ['classic', 'wide'];

export interface Topology {
  readonly pathCount: 1 | 2;
  readonly dsrWired: boolean;
  readonly fenceWired: boolean;
  /** Both boards hear the field bus (one multi-drop line); else each board has its own drop. */
  readonly busShared: boolean;
}

/** The classic topology: two cables, DSR and fence lines wired, a field bus drop per board. */
export const FULL_TOPOLOGY: Topology = {
  pathCount: 2,
  dsrWired: true,
  fenceWired: true,
  busShared: false,
};

/** A one-line name for a topology, as reports group seeds by it. */
export function topologyName(t: Topology): string {
  return `${t.pathCount} path${t.pathCount === 1 ? '' : 's'}, DSR ${t.dsrWired ? 'wired' : 'unwired'}, fence ${t.fenceWired ? 'wired' : 'unwired'}${t.busShared ? ', shared bus' : ''}`;
}

/** How the partner image differs from the pair's, in a mismatched-partner seed. */
export type Mismatch = 'other-model' | 'other-app';

/** Where injected app exceptions strike. */
export type AppFaultSite = 'handle' | 'apply';

/** Everything a seed draws once, before it starts. */
export interface SeedProfile {
  readonly topology: Topology;
  /** Per processor: clock rate error (200 ppm = 2e-4) and offset in ms. */
  readonly clocks: readonly [ClockSpec, ClockSpec];
  /** Extra clients that arrive in one burst, each sending a few requests (0 for none). */
  readonly crowdClients: number;
  /** The pair's reply cache size, when the seed shrinks it so clients are evicted. */
  readonly clientsMax: number | null;
  /** Requests each regular client keeps outstanding (1 = one at a time). */
  readonly pipeline: number;
  /** Share of replies the field bus loses (the client times out and retries). */
  readonly busLossRate: number;
  /** One client opens this many accounts, so the state grows (0 for the usual workload). */
  readonly bigStateAccounts: number;
  /** Processor (1 or 2) running a mismatched image, and how it differs. */
  readonly mismatch: { readonly processor: 1 | 2; readonly kind: Mismatch } | null;
  /** App exceptions on a share of inputs. */
  readonly appFaults: { readonly site: AppFaultSite; readonly rate: number } | null;
  /** Each board's converter from the prior state version throws the first time. */
  readonly installFaults: boolean;
  /**
   * Microcontroller-class boards (both, or one beside a Linux-class one, as
   * an XS board beside a Node board): the microcontroller limits (small
   * slices and batches), on a slow core whose work left for at once (the
   * next slice of an encoding or a compaction, held requests still to serve)
   * runs a call's time later, after what arrived meanwhile: `sliceMs` for a
   * call of SLICE_REFERENCE_BYTES, less for a board whose calls take smaller
   * shares (the limits size every share of a call, a slice, held requests,
   * replies, entries, to about the same work). Null: the default limits,
   * and such work runs at the same instant.
   */
  readonly microcontroller: {
    readonly sliceMs: number;
    /** Which boards, processor 1 first. */
    readonly boards: readonly [boolean, boolean];
  } | null;
}

export interface ClockSpec {
  readonly drift: number;
  readonly offsetMs: number;
}

/** What a seed's profile is before anything is drawn: the classic world. */
export function classicProfile(topology: Topology = FULL_TOPOLOGY): SeedProfile {
  return {
    topology,
    clocks: [
      { drift: 0, offsetMs: 0 },
      { drift: 0, offsetMs: 0 },
    ],
    crowdClients: 0,
    clientsMax: null,
    pipeline: 1,
    busLossRate: 0,
    bigStateAccounts: 0,
    mismatch: null,
    appFaults: null,
    installFaults: false,
    microcontroller: null,
  };
}

/** Clock rate error of a board's oscillator, at most (a cheap crystal: +/-200 ppm). */
export const CLOCK_DRIFT_MAX = 200e-6;
/** Board clocks start anywhere up to this (a board clock is its own, not the world's). */
export const CLOCK_OFFSET_MAX_MS = 1e7;
/** A crowd: more clients than the default reply cache keeps (256). */
const CROWD_MIN = 260;
const CROWD_SPREAD = 140;
/** A reply cache this small evicts clients all the time. */
const SMALL_CLIENTS_MAX_MIN = 2;
const SMALL_CLIENTS_MAX_SPREAD = 14;
/** Pipelined clients keep 2 to this many requests outstanding (never more than the sync depth, 4). */
const PIPELINE_MAX = 4;
/** A bigger ledger: 1,500 to 3,500 accounts, 20 to 60 KB of state. */
const BIG_STATE_MIN_ACCOUNTS = 1500;
const BIG_STATE_SPREAD_ACCOUNTS = 2000;
/**
 * A slow core's slice: 1 to 20 ms. A 1 KiB slice of an encoding takes about
 * 33,000 XS units: 2 ms on this machine's x86, ten to twenty times that on a
 * 240 MHz microcontroller (20 to 40 ms, past the range drawn here).
 */
const SLICE_MIN_MS = 1;
const SLICE_SPREAD_MS = 19;
/** The slice `sliceMs` is drawn for: a board encoding less a call spends that much less on each. */
export const SLICE_REFERENCE_BYTES = 1024;

/**
 * The wide model's fault groups. A campaign may narrow the wide model to
 * some of them (`--fault-groups`), to see which group finds what: the
 * classic schedule and the new checks stay on, the other groups go off,
 * and a seed dimension of a chosen group is drawn in half the seeds.
 */
export const FAULT_GROUPS = [
  'stall-board',
  'stall-hub',
  'cuts',
  'clock-skew',
  'topology',
  'clients',
  'big-state',
  'mismatch',
  'app-exceptions',
  'install-failure',
  'handover-pulls',
  'store-cuts',
  'store-faults',
  'microcontroller',
] as const;
export type FaultGroup = (typeof FAULT_GROUPS)[number];

/** Share of a focused group's seed dimensions. */
const FOCUSED_SHARE = 0.5;

/** Share of wide seeds with each dimension. */
const SHARE = {
  onePath: 0.3,
  dsrUnwired: 0.2,
  fenceUnwired: 0.2,
  busShared: 0.35,
  clockSkew: 0.8,
  crowd: 0.08,
  smallClientsMax: 0.1,
  pipeline: 0.25,
  lossyBus: 0.2,
  bigState: 0.08,
  mismatch: 0.04,
  appFaults: 0.05,
  installFaults: 0.1,
  microcontroller: 0.15,
} as const;

/** Both boards half the time, else processor 1 or processor 2 alone. */
function drawMicrocontrollers(random: () => number): readonly [boolean, boolean] {
  const draw = random();
  if (draw < 0.5) return [true, true];
  return draw < 0.75 ? [true, false] : [false, true];
}

/**
 * The wide model's per-seed draws, from a stream of their own. `forced`
 * topology fields win over the draw (the draw is made either way, so
 * forcing one field leaves the rest of the profile as it was).
 */
export function wideProfile(
  seed: number,
  forced: Partial<Topology>,
  bigStateAvailable: boolean,
  groups?: readonly FaultGroup[],
): SeedProfile {
  const random = seededRandom((Math.imul(seed, 0x85ebca6b) ^ 0x3c6ef372) >>> 0);
  const shareOf = (group: FaultGroup, share: number) => {
    if (groups === undefined) return share;
    if (!groups.includes(group)) return 0;
    return group === 'topology' ? share : FOCUSED_SHARE;
  };
  const chance = (share: number) => random() < share;
  // Drawn whether forced or not, so forcing a field leaves every other draw as it was.
  const drawn = {
    pathCount: chance(shareOf('topology', SHARE.onePath)) ? 1 : 2,
    dsrWired: !chance(shareOf('topology', SHARE.dsrUnwired)),
    fenceWired: !chance(shareOf('topology', SHARE.fenceUnwired)),
  } as const;
  const skew = chance(shareOf('clock-skew', SHARE.clockSkew));
  const clock = (): ClockSpec => {
    const drift = (random() * 2 - 1) * CLOCK_DRIFT_MAX;
    const offsetMs = random() * CLOCK_OFFSET_MAX_MS;
    return skew ? { drift, offsetMs } : { drift: 0, offsetMs: 0 };
  };
  const clocks = [clock(), clock()] as const;
  const crowdClients = chance(shareOf('clients', SHARE.crowd))
    ? CROWD_MIN + Math.floor(random() * CROWD_SPREAD)
    : 0;
  const clientsMax = chance(shareOf('clients', SHARE.smallClientsMax))
    ? SMALL_CLIENTS_MAX_MIN + Math.floor(random() * SMALL_CLIENTS_MAX_SPREAD)
    : null;
  const pipeline = chance(shareOf('clients', SHARE.pipeline))
    ? 2 + Math.floor(random() * (PIPELINE_MAX - 1))
    : 1;
  const busLossRate = chance(shareOf('clients', SHARE.lossyBus)) ? 0.02 + random() * 0.18 : 0;
  const bigStateAccounts =
    chance(shareOf('big-state', SHARE.bigState)) && bigStateAvailable
      ? BIG_STATE_MIN_ACCOUNTS + Math.floor(random() * BIG_STATE_SPREAD_ACCOUNTS)
      : 0;
  const mismatch = chance(shareOf('mismatch', SHARE.mismatch))
    ? {
        processor: (random() < 0.5 ? 1 : 2) as 1 | 2,
        kind: (random() < 0.5 ? 'other-model' : 'other-app') as Mismatch,
      }
    : null;
  const appFaults = chance(shareOf('app-exceptions', SHARE.appFaults))
    ? {
        site: (random() < 0.5 ? 'handle' : 'apply') as AppFaultSite,
        rate: 0.005 + random() * 0.02,
      }
    : null;
  const installFaults = chance(shareOf('install-failure', SHARE.installFaults));
  // Drawn last, so the seeds from before the shared bus keep every other draw.
  const busShared = chance(shareOf('topology', SHARE.busShared));
  const topology: Topology = { ...drawn, busShared, ...forced };
  // Drawn after the shared bus, so the seeds from before keep every other draw.
  const microcontroller = chance(shareOf('microcontroller', SHARE.microcontroller))
    ? { sliceMs: SLICE_MIN_MS + random() * SLICE_SPREAD_MS, boards: drawMicrocontrollers(random) }
    : null;
  return {
    topology,
    clocks,
    crowdClients,
    clientsMax,
    pipeline,
    busLossRate,
    bigStateAccounts,
    mismatch,
    appFaults,
    installFaults,
    microcontroller,
  };
}

/**
 * Every kind of fault a seed can inject, counted per seed and per campaign.
 * Seed dimensions (topology, clocks, clients, states, images) count once per
 * seed that has them; faults count each time they strike.
 */
export const FAULT_CLASSES = [
  'pull',
  'pull-handover',
  'store-cut',
  'store-fault',
  'switch',
  'cut-two-way',
  'cut-one-way',
  'cut-one-way-long',
  'cut-crossed',
  'cut-with-noise',
  'noise',
  'stall-board',
  'stall-board-long',
  'stall-hub',
  'stall-hub-long',
  'clock-skew',
  'topology-one-path',
  'topology-dsr-unwired',
  'topology-fence-unwired',
  'topology-shared-bus',
  'clients-crowd',
  'clients-small-cache',
  'clients-pipelining',
  'bus-reply-lost',
  'bus-request-lost',
  'big-state',
  'mismatched-partner',
  'app-exception',
  'install-failure',
  'boards-microcontroller',
] as const;

export type FaultClass = (typeof FAULT_CLASSES)[number];

export type FaultCounts = Record<FaultClass, number>;

export function noFaultCounts(): FaultCounts {
  return Object.fromEntries(FAULT_CLASSES.map((c) => [c, 0])) as FaultCounts;
}

/** The seed dimensions of a profile, as fault counts. */
export function profileCounts(profile: SeedProfile, counts: FaultCounts): void {
  const [a, b] = profile.clocks;
  if (a.drift !== b.drift || a.offsetMs !== b.offsetMs) counts['clock-skew'] += 1;
  if (profile.topology.pathCount === 1) counts['topology-one-path'] += 1;
  if (!profile.topology.dsrWired) counts['topology-dsr-unwired'] += 1;
  if (!profile.topology.fenceWired) counts['topology-fence-unwired'] += 1;
  if (profile.topology.busShared) counts['topology-shared-bus'] += 1;
  if (profile.crowdClients > 0) counts['clients-crowd'] += 1;
  if (profile.clientsMax !== null) counts['clients-small-cache'] += 1;
  if (profile.pipeline > 1) counts['clients-pipelining'] += 1;
  if (profile.bigStateAccounts > 0) counts['big-state'] += 1;
  if (profile.mismatch !== null) counts['mismatched-partner'] += 1;
  if (profile.microcontroller !== null) counts['boards-microcontroller'] += 1;
}
