/**
 * One simulated world: two boards running the real pair core, cables
 * between them, clients on a bus that reaches both, a host that pushes
 * images into the boards' inactive slots, and a fault schedule, all in
 * virtual time and all driven by one seed. `runSeed` plays it out and
 * checks safety after every step, then liveness once the faults stop.
 */

import { isDeepStrictEqual } from 'node:util';
import { MICROCONTROLLER_LIMITS } from '../../boards/microcontroller-limits.ts';
import { PowerCutError, RetentiveMemory } from '../../boards/retentive-memory.ts';
import type { AnyApp, Durability } from '../../firmware/app.ts';
import type { StoreGeometry } from '../../firmware/hal.ts';
import { causeText, reasonText, storeFullEventText, unsaidPart } from '../../firmware/reasons.ts';
import { type PairConfig, pairConfig, suspectAfterMs } from '../../firmware/runtime/config.ts';
import {
  type ClientReply,
  type ClientRequest,
  REGISTER_SYNC_ID,
} from '../../firmware/runtime/messages.ts';
import type { Output, PairEvent } from '../../firmware/runtime/outputs.ts';
import { seededRandom } from '../../firmware/runtime/random.ts';
import { byteTimeMs } from '../../firmware/wire/frame.ts';
import { type ErrorAnswer, History, type Violation } from '../history/client-history.ts';
import type { SafetyCounts } from '../history/result-counts.ts';
import { isFaultFree, noFaults } from '../lab/cable-faults.ts';
import { SWITCH_ACTION_STEPS } from '../switch-procedure.ts';
import { BoardClock } from './board-clock.ts';
import { BusExecutions } from './bus-executions.ts';
import { Line } from './cable.ts';
import { EventQueue } from './event-queue.ts';
import {
  classicProfile,
  type FaultClass,
  type FaultCounts,
  type FaultGroup,
  type FaultModel,
  FULL_TOPOLOGY,
  noFaultCounts,
  profileCounts,
  type SeedProfile,
  SLICE_REFERENCE_BYTES,
  type Topology,
  wideProfile,
} from './fault-model.ts';
import { describeFaults, FaultWindows, POWER_FAULTS } from './fault-windows.ts';
import {
  type FaultTally,
  memoLoader,
  renamedApp,
  withAppFaults,
  withInstallFault,
} from './faulty-app.ts';
import { type AppLoader, IMAGE_BYTES, SimBoard } from './sim-board.ts';
import { baseClientId, SimClient } from './sim-client.ts';
import type { CoreEngine, SimCore } from './sim-core.ts';
import { StateCopies } from './state-copies.ts';
import { TakeoverJudge, type TakeoverVerdict } from './takeover-judge.ts';

/** Each simulated board's durable store: 64 blocks of 4 KiB (32 blocks an area), 16-byte writes. */
const SIM_STORE: StoreGeometry = {
  eraseBlockBytes: 4096,
  writeBytes: 16,
  blockCount: 64,
  enduranceCycles: 100_000,
};

export interface WorldOptions {
  readonly seed: number;
  /** Loads an app image by version, in the chosen checkpoint model. */
  readonly loadApp: (version: string) => AnyApp;
  /** What runs each board's core (PairCore in this process unless given); closed when the seed ends. */
  readonly coreEngine?: (processor: 1 | 2) => CoreEngine;
  /** The version every board starts on, and the one staged in the other slot. */
  readonly versions: readonly [string, string];
  /** Generates client requests from a random source. */
  readonly workload: (random: () => number) => () => unknown;
  readonly runMs: number;
  readonly baud: number;
  readonly clients: number;
  /**
   * Topology: forced where given; otherwise the classic model wires two
   * paths, DSR and fence, and the wide model draws each from the seed.
   */
  readonly pathCount?: 1 | 2;
  readonly dsrWired?: boolean;
  readonly fenceWired?: boolean;
  readonly busShared?: boolean;
  readonly config?: Partial<PairConfig>;
  /** Random faults from the seed. */
  readonly faults: boolean;
  /** Which faults the seed draws from (see fault-model.ts); classic by default. */
  readonly faultModel?: FaultModel;
  /** The wide model narrowed to these groups (all of them when absent). */
  readonly faultGroups?: readonly FaultGroup[];
  /** The same versions built for the other checkpoint model (for mismatched partners). */
  readonly otherModelLoadApp?: AppLoader;
  /** A client workload that opens `accounts` accounts first (for states of tens of KB). */
  readonly bigStateWorkload?: (random: () => number, accounts: number) => () => unknown;
  /**
   * The host pushes images from the seed: some seeds start with the other
   * slot of one or both boards empty, the host keeps every board's inactive
   * slot holding the version a switch (or fallback) would boot, resuming
   * pushes a power loss cut short, and now and then pushes again over a
   * whole image (while a switch is under way, among other times).
   */
  readonly pushes?: boolean;
  /** Processors whose other slot starts empty (instead of the seed's choice). */
  readonly emptyOtherSlot?: readonly (1 | 2)[];
  /** Faults and commands at fixed times, for scenarios that read like a script. */
  readonly script?: readonly ScriptStep[];
  /** Collect a readable trace of every event. */
  readonly trace: boolean;
  /**
   * `retained`: each board has a durable store that outlives its power
   * (a retained app logs to it); `memory` (the default): none.
   */
  readonly durability?: Durability;
  /**
   * With durable stores, store operations also fail now and then with the
   * power on (STORE_FAULT_EVERY_MIN_MS); false leaves them out, so a seed
   * runs as it did before they were drawn (the default: true).
   */
  readonly storeFaults?: boolean;
}

export type ScriptAction =
  | 'pull-primary'
  | 'pull-primary-mid-checkpoint'
  | 'pull-backup'
  | 'restore-power'
  | 'switch'
  | 'push-p1'
  | 'push-p2'
  | 'cut-path-0'
  | 'restore-cables';

export interface ScriptStep {
  readonly atMs: number;
  readonly action: ScriptAction;
}

/** Checks the world makes beside the history's. */
export type WorldViolationKind =
  | 'seed-threw'
  | 'false-takeover-one-path'
  | 'backup-state-differs'
  /** A processor that could take over lacked a transaction a client had been acknowledged. */
  | 'backup-lacks-acknowledged'
  | 'service-gap'
  /** A board's event gave a reason the host's table cannot say (an unknown code, a missing fact). */
  | 'reason-unsaid'
  /** A primary refused a request store-full while its journal had not said the store is full, with an alarm. */
  | 'refusal-unannounced';

export interface SeedViolation {
  readonly at: number;
  readonly kind: Violation['kind'] | WorldViolationKind;
  readonly detail: string;
  /** When the acknowledgement it is about was given, where it is about one. */
  readonly sinceMs?: number;
}

export interface SeedResult extends SafetyCounts {
  readonly seed: number;
  readonly faultModel: FaultModel;
  /** Whether the boards had durable stores (`retained`) or not. */
  readonly durability: Durability;
  readonly topology: Topology;
  readonly violations: readonly SeedViolation[];
  /**
   * Findings that two or more overlapping faults needed (wide model, see
   * fault-windows.ts): counted apart, never among `violations`, never passes.
   */
  readonly multiFault: readonly SeedViolation[];
  readonly takeovers: number;
  readonly switches: number;
  readonly fallbacks: number;
  readonly switchFailures: number;
  /** Switches the primary refused because an other slot lacked the image (also in switchFailures). */
  readonly switchesRefusedUnpushed: number;
  /** Image pushes into an inactive slot that completed. */
  readonly pushesCompleted: number;
  /** Pushes cut short by a power loss (the slot is left partial; a later push resumes it). */
  readonly pushesInterrupted: number;
  readonly doubleFailures: number;
  /**
   * Cold starts where a pull took the one copy a switch had left (its
   * backup stopped at step a, or its new version lost after the handover):
   * by design until the state is durable (issue 10), counted apart.
   */
  readonly switchWindowLosses: number;
  readonly lostToDoubleFailure: number;
  /** Requests refused `store-full` (the state had no room in the store): answered, never done, not lost. */
  readonly refusedStoreFull: number;
  readonly powerPulls: number;
  readonly faultsInjected: number;
  /** Faults per class, seed dimensions once per seed (see FAULT_CLASSES). */
  readonly faultCounts: FaultCounts;
  /** Takeovers with no failure behind them (see takeover-judge.ts). */
  readonly falseTakeovers: number;
  /** JSON length of the primary's state at the end (0 if the pair did not settle). */
  readonly finalStateBytes: number;
  readonly holdMsMax: number;
  readonly virtualMs: number;
  readonly trace: readonly string[];
  /** Versions of processor 1 and 2 at the end. */
  readonly finalVersions: readonly string[];
}

const BOOT_MS = 25;
const SERVING_ROLES: ReadonlySet<string> = new Set(['primary', 'primary-alone', 'switching']);
const BUS_LATENCY_MS = 0.5;
const REFORM_BOUND_MS = 10_000;
/** A core that keeps asking for a wake-up at the same instant is stuck: fail loudly. */
const WAKES_AT_ONE_INSTANT_MAX = 10_000;
/**
 * A push goes over the board's host line, the management UART at the
 * common 115200 baud, 10 bits a byte (8N1): an image of IMAGE_BYTES takes
 * about 6.1 s. The real figure, not a scaled one: a push costs the
 * simulator two events whatever it lasts, and its length is the window in
 * which faults and switches meet it.
 */
const HOST_BAUD = 115_200;
const PUSH_MS_PER_BYTE = byteTimeMs(HOST_BAUD);
/** The board acknowledges a push in chunks; an interrupted push resumes after the last whole one. */
const PUSH_CHUNK_BYTES = 512;
/** The host looks at each board's slots every 300 to 1000 ms. */
const HOST_POLL_MS = 300;
const HOST_POLL_SPREAD_MS = 700;
/** Share of seeds that start with the other slot of one or both boards empty. */
const EMPTY_START_SHARE = 0.3;
/** Share of started switches during which the host pushes again into some board's inactive slot. */
const PUSH_DURING_SWITCH_SHARE = 0.25;
/**
 * Between two pushes over a whole image, at random: 15 to 45 s. Each one
 * leaves a board without a staged image for 6 s or more, so more often
 * would crowd out the switches and fallbacks the schedule exists to test.
 */
const REPUSH_EVERY_MS = 15_000;
/**
 * Liveness under one fault: no acknowledged request for longer than this
 * while both boards are powered and running and a path works both ways is
 * a `service-gap` (well above the suspicion time, and above any takeover).
 */
export const SERVICE_GAP_MS = 2000;
const SERVICE_SAMPLE_MS = 50;
/** Share of the wide model's fault slots that draw a new fault class (the rest draw a classic one). */
const WIDE_FAULT_SHARE = 0.45;
/** The wide model's fault slots: group, class, weight. */
const WIDE_SLOTS: readonly (readonly [FaultGroup, FaultClass, number])[] = [
  ['stall-board', 'stall-board', 0.22],
  ['stall-hub', 'stall-hub', 0.18],
  ['cuts', 'cut-one-way-long', 0.18],
  ['cuts', 'cut-crossed', 0.15],
  ['cuts', 'cut-with-noise', 0.15],
  ['cuts', 'cut-one-way', 0.12],
];
/** Share of switches in the wide model with a pull spread over the handover. */
const HANDOVER_PULL_SHARE = 0.35;
/**
 * Step f to step g is the role-switch message's flight behind what the line
 * already carries (about 115 ms seen at 115200 baud); g to the pair whole
 * is a reboot and a big checkpoint.
 */
const F_TO_G_SPREAD_MS = 200;
const G_TO_WHOLE_SPREAD_MS = 800;
/**
 * With durable stores, power is also cut inside a store operation: every 3
 * to 11 s a board (the serving one, the backup, or either) is armed to lose
 * power inside one of its next 1 to 4 writes or erases, or (a third of the
 * cuts) inside its k-th erase from now, anywhere among the erases of an
 * area (ahead of the next compaction, or in it for what is left). That
 * operation is torn: a prefix of its bytes lands, from none to all but the last.
 */
const STORE_CUT_EVERY_MIN_MS = 3000;
const STORE_CUT_EVERY_SPREAD_MS = 8000;
const STORE_CUT_OPERATIONS_MAX = 4;
const STORE_CUT_IN_COMPACTION_SHARE = 1 / 3;
/** A board whose power a store cut took is off for 20 to 1520 ms, as a pulled one. */
const STORE_CUT_OFF_MIN_MS = 20;
const STORE_CUT_OFF_SPREAD_MS = 1500;
/**
 * With durable stores, a store operation also fails with the power on, as
 * worn flash or a file error does: every 10 to 40 s a board (the serving
 * one, the backup, or either) is armed to fail one of its next 1 to 4
 * writes or erases, a prefix of its bytes programmed, or (a third of them)
 * its next read, which comes when it next boots. The processor must stop
 * without acknowledging what it could not keep, and come back.
 */
const STORE_FAULT_EVERY_MIN_MS = 10_000;
const STORE_FAULT_EVERY_SPREAD_MS = 30_000;
const STORE_READ_FAULT_SHARE = 1 / 3;
/** Stalls last 10 to 1500 ms, log-uniformly (as many short ones as long ones). */
const STALL_MIN_MS = 10;
const STALL_MAX_MS = 1500;
/** Long one-way cuts: 1 to 8 s (the lab's 30 s cut stalled writes for all of it). */
const LONG_CUT_MIN_MS = 1000;
const LONG_CUT_SPREAD_MS = 7000;
/** Crowd clients arrive in one burst of 1 to 4 s, each with 1 to 3 requests. */
const CROWD_BURST_MIN_MS = 1000;
const CROWD_BURST_SPREAD_MS = 3000;

/** Plays one seed. A seed whose world throws reports it as the violation `seed-threw`. */
export function runSeed(options: WorldOptions): SeedResult {
  // Building a world runs no app code; running it does, and the core's.
  const world = new World(options);
  try {
    return world.run();
  } catch (error) {
    return world.thrown(error);
  } finally {
    for (const board of world.boards) board.engine.close();
  }
}

class World {
  readonly queue = new EventQueue();
  readonly random: () => number;
  readonly boards: SimBoard[];
  /** lines[path][from board] carries bytes from that board to the other. */
  readonly lines: Line[][];
  /** A two-way cut unplugs the cable: data and DSR both ways. */
  readonly unplugged: boolean[];
  readonly clients: SimClient[] = [];
  /** Every session a client began (a client that registers again takes a new id). */
  readonly #sessionIds = new Set<string>();
  readonly #clientsById = new Map<string, SimClient>();
  readonly history: History;
  readonly trace: string[] = [];
  /** Per board: gave up its copy of the state since the pair was last whole (classic excuse rule). */
  readonly gaveUpState = [false, false];
  readonly wakeAt = [Infinity, Infinity];
  readonly #wakesNow = [0, 0];
  /**
   * How much later a slow core's work left for at once runs, per board:
   * the drawn slice's time scaled by its share a call (0 for a board that
   * is not slow).
   */
  readonly #callMs: readonly number[];
  counts = {
    takeovers: 0,
    falseTakeovers: 0,
    switches: 0,
    fallbacks: 0,
    switchFailures: 0,
    switchesRefusedUnpushed: 0,
    pushesCompleted: 0,
    pushesInterrupted: 0,
    doubleFailures: 0,
    switchWindowLosses: 0,
    splitBrain: 0,
  };
  /** Draws for the host's pushes: a stream of their own, so the fault draws stay as they were. */
  readonly pushRandom: () => number;
  /** Per board: the push under way, if any. */
  readonly pushing: (PushInFlight | null)[] = [null, null];
  /**
   * Per board and slot: the version whose push into that slot completed (or
   * that was there from the start); '' while none has, or while it is
   * pushed again. A board may only ever boot, or report, what this says.
   */
  readonly pushedImage: [string, string][];
  /** Pushes again into a board's inactive slot at a chosen step of the switch under way. */
  onSwitchStepPush: ((step: string) => void) | null = null;
  /** Pulls a board at a spread instant of the handover of the switch under way (wide model). */
  onSwitchStepHandover: ((step: string) => void) | null = null;
  powerPulls = 0;
  faultsInjected = 0;
  holdMsMax = 0;
  inFinalPhase = false;
  finalStateBytes = 0;

  // The wide model.
  readonly wide: boolean;
  readonly profile: SeedProfile;
  readonly faultCounts: FaultCounts = noFaultCounts();
  readonly #faultTally: FaultTally = { appExceptions: 0, installFailures: 0 };
  /** Draws of the wide model's fault classes and their parameters. */
  readonly wideRandom: () => number;
  /** Which replies the field bus loses. */
  readonly busRandom: () => number;
  readonly clocks: readonly [BoardClock, BoardClock];
  /** Per board: stalled (no input, no tick), and what arrived meanwhile, in order. */
  readonly #stalled = [false, false];
  readonly #stallUntil = [0, 0];
  readonly #stallHeld: (() => void)[][] = [[], []];
  /** The wires stalled: bytes, fence pulses and DSR changes wait for the end. */
  #hubStalled = false;
  #hubUntil = 0;
  #hubHeld: (() => void)[] = [];
  /** DSR levels as the boards saw them when the hub stalled. */
  #dsrFrozen: boolean[][] = [];
  readonly judge: TakeoverJudge;
  readonly copies: StateCopies;
  /** Each fault's window, from its strike until the pair is whole after it (wide model). */
  readonly windows: FaultWindows;
  /** Each board's durable store (`retained`), which the world can cut power inside. */
  readonly #stores: readonly [RetentiveMemory | null, RetentiveMemory | null];
  /** Draws of the store cuts: a stream of their own, so the other draws stay as they were. */
  readonly #storeRandom: () => number;
  /** Per board: power went inside a store operation during the input under way. */
  readonly #cutStruck = [false, false];
  /** Draws of the store faults: a stream of their own, so the other draws stay as they were. */
  readonly #storeFaultRandom: () => number;
  /** Per board: the store's failures already counted. */
  readonly #storeFailuresSeen = [0, 0];
  /** Per board: the window of the pull it is unpowered by, if any. */
  readonly #pullWindow: (number | null)[] = [null, null];
  /** Service gap found while two faults' windows overlapped (counted apart, reported once a gap). */
  #gapMultiReported = false;
  /** Eligible gap time with fewer than two counting faults' windows open. */
  #gapSingleMs = 0;
  readonly multiFaultFindings: SeedViolation[] = [];
  /** Second executions a lossy bus hides from the history. */
  readonly #executions: BusExecutions;
  /** Per core, what its journal said of its store's room since it last had room: the event, the alarm. */
  readonly #announcedFull = new WeakMap<SimCore, { event: boolean; alarm: boolean }>();
  /** Service-gap check: eligible time since the last acknowledgement. */
  #gapMs = 0;
  #gapReported = false;
  readonly worldViolations: SeedViolation[] = [];
  /** Board lives (index:incarnation) already found lacking an acknowledged transaction as a backup. */
  readonly #backupsFoundLacking = new Set<string>();

  constructor(readonly options: WorldOptions) {
    this.random = seededRandom(options.seed);
    this.pushRandom = seededRandom((Math.imul(options.seed, 0x9e3779b1) ^ 0x7f4a7c15) >>> 0);
    this.wideRandom = seededRandom((Math.imul(options.seed, 0xc2b2ae35) ^ 0x27d4eb2f) >>> 0);
    this.busRandom = seededRandom((Math.imul(options.seed, 0x165667b1) ^ 0x5bd1e995) >>> 0);
    this.#storeRandom = seededRandom((Math.imul(options.seed, 0x27d4eb2d) ^ 0x61c88647) >>> 0);
    this.#storeFaultRandom = seededRandom((Math.imul(options.seed, 0x2545f491) ^ 0x1b873593) >>> 0);
    this.wide = options.faultModel === 'wide';
    const forced: Partial<Topology> = {
      ...(options.pathCount !== undefined && { pathCount: options.pathCount }),
      ...(options.dsrWired !== undefined && { dsrWired: options.dsrWired }),
      ...(options.fenceWired !== undefined && { fenceWired: options.fenceWired }),
      ...(options.busShared !== undefined && { busShared: options.busShared }),
    };
    this.profile = this.wide
      ? wideProfile(
          options.seed,
          forced,
          options.bigStateWorkload !== undefined,
          options.faultGroups,
        )
      : classicProfile({ ...FULL_TOPOLOGY, ...forced });
    profileCounts(this.profile, this.faultCounts);
    const { topology } = this.profile;
    this.clocks = [new BoardClock(this.profile.clocks[0]), new BoardClock(this.profile.clocks[1])];
    const baseLoader = this.#baseLoader();
    this.history = new History(baseLoader, 'reported');
    this.#executions = new BusExecutions(this.history);
    const config = (p: 1 | 2) =>
      pairConfig(p, {
        pathCount: topology.pathCount,
        dsrWired: topology.dsrWired,
        fenceWired: topology.fenceWired,
        busShared: topology.busShared,
        baud: options.baud,
        ...(this.profile.microcontroller?.boards[p - 1] === true && MICROCONTROLLER_LIMITS),
        ...options.config,
        ...(this.profile.clientsMax !== null && { clientsMax: this.profile.clientsMax }),
      });
    const probe = config(1);
    this.judge = new TakeoverJudge(
      topology.pathCount,
      suspectAfterMs(probe),
      // A backup takes over on silence alone only after silenceTakeoverAfterMs, and
      // learns of a restarted primary at most that long after it went.
      probe.silenceTakeoverAfterMs + 2 * probe.heartbeatIntervalMs,
    );
    const empty = this.#emptyAtStart();
    const slots = (p: 1 | 2): [string, string] => [
      options.versions[0],
      empty.includes(p) ? '' : options.versions[1],
    ];
    this.pushedImage = [slots(1), slots(2)];
    const retained =
      options.durability === 'retained' &&
      options.loadApp(options.versions[0]).durability === 'retained';
    this.copies = new StateCopies(retained);
    // The stores cover any number of power losses: overlapping ones excuse nothing.
    this.windows = new FaultWindows(retained ? POWER_FAULTS : []);
    const store = (index: 0 | 1) =>
      options.durability === 'retained'
        ? new RetentiveMemory(SIM_STORE, () => this.#powerCut(index))
        : null;
    this.#stores = [store(0), store(1)];
    this.boards = [
      new SimBoard(
        1,
        config(1),
        this.#boardLoader(1, baseLoader),
        slots(1),
        options.seed,
        this.#stores[0],
        options.coreEngine?.(1),
      ),
      new SimBoard(
        2,
        config(2),
        this.#boardLoader(2, baseLoader),
        slots(2),
        options.seed + 1,
        this.#stores[1],
        options.coreEngine?.(2),
      ),
    ];
    const slow = this.profile.microcontroller;
    this.#callMs = this.boards.map((board, index) =>
      slow?.boards[index] === true
        ? slow.sliceMs * (board.config.encodeSliceBytes / SLICE_REFERENCE_BYTES)
        : 0,
    );
    this.lines = [];
    this.unplugged = [];
    for (let path = 0; path < topology.pathCount; path++) {
      this.lines.push([0, 1].map((from) => this.#line(path, from === 0 ? 1 : 0)));
      this.unplugged.push(false);
    }
  }

  get pathCount(): number {
    return this.profile.topology.pathCount;
  }

  /** The pair's image, with the seed's app exceptions in it if it has any. */
  #baseLoader(): AppLoader {
    return this.#withSeedAppFaults(this.options.loadApp);
  }

  /**
   * `load`'s images with the seed's app exceptions in them: they are in the
   * app's code, so every image of it has them, whichever checkpoint model
   * it was built for (the checker replays with the pair's image).
   */
  #withSeedAppFaults(load: AppLoader): AppLoader {
    const faults = this.profile.appFaults;
    if (faults === null) return load;
    return memoLoader((version) =>
      withAppFaults(load(version), faults.site, faults.rate, this.#faultTally),
    );
  }

  /** What processor `p` boots: the pair's image, or a mismatched one, with install faults if drawn. */
  #boardLoader(p: 1 | 2, base: AppLoader): AppLoader {
    const { mismatch, installFaults } = this.profile;
    let load = base;
    if (mismatch?.processor === p) {
      const other = this.options.otherModelLoadApp;
      if (mismatch.kind === 'other-app') load = (version) => renamedApp(base(version));
      else if (other !== undefined) load = this.#withSeedAppFaults(other);
    }
    if (!installFaults && load === base) return base;
    const inner = load;
    return memoLoader((version) =>
      installFaults ? withInstallFault(inner(version), this.#faultTally) : inner(version),
    );
  }

  /** Processors whose other slot starts empty: as the options say, or as the seed draws. */
  #emptyAtStart(): readonly (1 | 2)[] {
    if (this.options.emptyOtherSlot !== undefined) return this.options.emptyOtherSlot;
    if (this.options.pushes !== true || this.pushRandom() >= EMPTY_START_SHARE) return [];
    const r = this.pushRandom();
    return r < 0.5 ? [1, 2] : r < 0.75 ? [1] : [2];
  }

  #line(path: number, to: 0 | 1): Line {
    return new Line(
      this.queue,
      this.options.baud,
      seededRandom(this.options.seed * 7 + path * 2 + to),
      (bytes) => this.#carry(path, to, bytes),
    );
  }

  /** Bytes reach the end of a cable: through the hub (held while it stalls), into the board's UART. */
  #carry(path: number, to: 0 | 1, bytes: Uint8Array): void {
    if (this.#hubStalled) {
      this.#hubHeld.push(() => this.#carry(path, to, bytes));
      return;
    }
    if (this.#stalled[to]) this.#stallHeld[to]?.push(() => this.#receive(path, to, bytes));
    else this.#receive(path, to, bytes);
  }

  /** The board's UART hands it bytes. */
  #receive(path: number, to: 0 | 1, bytes: Uint8Array): void {
    const core = this.boards[to]?.core;
    if (core == null) return;
    this.#drive(to, () => core.receiveBytes(path, bytes, this.#local(to)));
    this.#pump(to);
  }

  /** The board's own clock now. */
  #local(index: 0 | 1, floorMs?: number): number {
    return (this.clocks[index] as BoardClock).at(this.queue.now, floorMs);
  }

  /** Runs `run` now, or when the board's stall ends (input waits in its UART meanwhile). */
  #whenRunning(index: 0 | 1, run: () => void): void {
    if (this.#stalled[index]) (this.#stallHeld[index] as (() => void)[]).push(run);
    else run();
  }

  #count(kind: FaultClass): void {
    this.faultCounts[kind] += 1;
  }

  /** Opens a fault's window now; its fault ends `durationMs` later (see fault-windows.ts). */
  #window(fault: FaultClass, what: string, durationMs: number, minor = false): void {
    const id = this.windows.open(fault, this.queue.now, what, minor);
    this.queue.at(this.queue.now + durationMs, () => this.#faultEnded(id));
  }

  #faultEnded(id: number): void {
    this.windows.end(id, this.queue.now);
    this.#checkWhole();
  }

  /** Closes the windows of faults that ended, once the pair is whole. */
  #checkWhole(): void {
    if (this.wide && this.windows.awaitingWhole && this.#pairWhole())
      this.windows.pairWhole(this.queue.now);
  }

  /**
   * The pair is whole: both boards powered and running, a primary and its
   * backup on one version with every checkpoint acknowledged. A mismatched
   * partner can never join, so there one board serving is as whole as the
   * pair gets. Stricter than the host's `isWhole` (host/pair-whole.ts), which
   * sees only statuses, not checkpoint lag or a stalled process.
   */
  #pairWhole(): boolean {
    if (!this.#bothRunning()) return false;
    const cores = this.boards.map((b) => b.core);
    if (this.profile.mismatch !== null) return cores.some((c) => c?.serving === true);
    const primary = cores.find((c) => c?.role === 'primary');
    const backup = cores.find((c) => c?.role === 'backup');
    return (
      primary != null &&
      backup != null &&
      primary.hello.version === backup.hello.version &&
      primary.checkpointLag === 0
    );
  }

  run(): SeedResult {
    const { options, queue } = this;
    for (const index of [0, 1] as const) this.#powerOn(index);
    const { pipeline, bigStateAccounts } = this.profile;
    for (let c = 0; c < options.clients; c++) {
      const random = seededRandom(options.seed * 13 + c);
      const bigWorkload = options.bigStateWorkload;
      const workload =
        c === 0 && bigStateAccounts > 0 && bigWorkload !== undefined
          ? bigWorkload(random, bigStateAccounts)
          : options.workload(random);
      // A pipelined client thinks longer per request, so it does not multiply the load
      // (several requests stay outstanding while a fault holds them up, which is the point).
      const client = new SimClient(`c${c}`, this.#clientEnvironment(), workload, random, {
        timeoutMs: 150,
        thinkMsMax: pipeline === 1 ? 20 : 40 * pipeline,
        pipeline,
      });
      this.#addClient(client);
      queue.at(200, () => client.start());
    }
    if (this.profile.crowdClients > 0) this.#crowd(this.profile.crowdClients);
    if (options.faults) this.#scheduleFaults();
    if (options.faults && this.#groupOn('store-cuts')) this.#scheduleStoreCuts();
    if (options.faults && options.storeFaults !== false && this.#groupOn('store-faults')) {
      this.#scheduleStoreFaults();
    }
    if (options.pushes === true) this.#scheduleHost();
    for (const step of options.script ?? []) queue.at(step.atMs, () => this.#scripted(step.action));
    if (this.wide) queue.at(200, () => this.#sampleService());
    queue.advanceTo(options.runMs);
    this.#finalPhase();
    return this.#result();
  }

  /** The seed threw: what it got to, with the exception as a violation. */
  thrown(error: unknown): SeedResult {
    const message = error instanceof Error ? error.message : String(error);
    this.trace.push(`${this.#time()}  SEED THREW: ${message}`);
    this.worldViolations.push({ at: this.queue.now, kind: 'seed-threw', detail: message });
    return this.#result();
  }

  #addClient(client: SimClient): void {
    this.clients.push(client);
    this.#clientsById.set(client.baseId, client);
  }

  /** More clients than the reply cache keeps, arriving in one burst, each with a few requests. */
  #crowd(count: number): void {
    const w = this.wideRandom;
    const burstMs = CROWD_BURST_MIN_MS + w() * CROWD_BURST_SPREAD_MS;
    const startMs = 500 + w() * Math.max(0, this.options.runMs * 0.7 - burstMs);
    for (let k = 0; k < count; k++) {
      const random = seededRandom((Math.imul(this.options.seed, 131) + 7919 + k) >>> 0);
      const client = new SimClient(
        `k${k}`,
        this.#clientEnvironment(),
        this.options.workload(random),
        random,
        { timeoutMs: 150, thinkMsMax: burstMs / 3, requestsMax: 1 + Math.floor(random() * 3) },
      );
      this.#addClient(client);
      this.queue.at(startMs + random() * burstMs, () => client.start());
    }
  }

  // ------------------------------------------------------------- boards

  #powerOn(index: 0 | 1): void {
    const board = this.boards[index] as SimBoard;
    board.powered = true;
    // Power is back: the store works again (a cut armed before the loss is gone with it).
    this.#stores[index]?.powerOn();
    this.#updateDsr();
    this.queue.at(this.queue.now + BOOT_MS, () =>
      this.#whenRunning(index, () => this.#boot(index)),
    );
  }

  #boot(index: 0 | 1): void {
    const board = this.boards[index] as SimBoard;
    if (!board.powered || board.core !== null) return;
    const core = this.#drive(index, () => board.boot(this.#local(index)));
    if (core === null) return;
    this.wakeAt[index] = Infinity;
    if (board.bootNote !== '') this.#log(index, board.bootNote);
    this.#log(
      index,
      `boots ${board.version}${board.trial ? ' (trial)' : ''}, incarnation ${core.incarnation}`,
    );
    this.#checkImages(index, core);
    this.#updateDsr();
  }

  /**
   * Power lost (pull) or reset line pulled (fence): the core is gone at
   * once, and so is a stall and whatever waited in the board's UART.
   * `byFault` says whether the fault schedule took the board's copy of the
   * state (see state-copies.ts).
   */
  #reset(index: 0 | 1, why: string, byFault: boolean): void {
    const board = this.boards[index] as SimBoard;
    if (board.core === null && !board.powered) return;
    this.copies.taken(index, byFault ? 'fault' : 'core', why);
    board.reset();
    this.gaveUpState[index] = true;
    this.judge.reset(index, this.queue.now);
    if (this.#stalled[index]) {
      this.#stalled[index] = false;
      this.#stallHeld[index] = [];
      this.judge.stallEnded(index, this.queue.now);
    }
    this.#log(index, why);
    this.#dsrFellAfterStep();
    this.#afterStep();
  }

  /** A board went into reset inside another's step: its partner sees DSR fall once that step's outputs are out. */
  #dsrFellAfterStep(): void {
    this.queue.at(this.queue.now, () => this.#updateDsr());
  }

  /**
   * Runs an input of board `index`'s core. Power may go inside one of its
   * store operations (an armed store cut): the operation is torn, the core
   * stops where it was, and nothing it had not yet put out leaves, for the
   * board is pulled. Returns what `run` returned, or null after such a cut.
   */
  #drive<T>(index: 0 | 1, run: () => T): T | null {
    let result: T | null = null;
    try {
      result = run();
    } catch (error) {
      if (!(error instanceof PowerCutError)) throw error;
    }
    this.#countStoreFailures(index);
    // The core may have caught the cut itself (it logs a fault in an input
    // and goes on): the store's flag says power went, whatever the core did after.
    if (!this.#cutStruck[index]) return result;
    this.#cutStruck[index] = false;
    this.#executedBeforeCut(index);
    this.#storeCutStruck(index);
    return null;
  }

  /**
   * What the core executed in the input a cut ended is history, not output:
   * the store write under way may have landed whole (cut after its last
   * programmed byte), and a recovered board then answers a retry of it from
   * its reply cache. Its replies, bytes and effects never leave.
   */
  #executedBeforeCut(index: 0 | 1): void {
    const core = (this.boards[index] as SimBoard).core;
    if (core == null) return;
    for (const output of core.takeOutputs()) {
      if (output.kind !== 'event' || output.event.kind !== 'executed') continue;
      this.#log(index, `${describe(output.event)} (power went in that input)`);
      this.history.executed(output.event, core.term);
    }
  }

  /** The store's power-cut hook: the board's power is gone (the world pulls it once the input returns). */
  #powerCut(index: 0 | 1): never {
    this.#cutStruck[index] = true;
    throw new PowerCutError('power cut during a store operation');
  }

  #storeCutStruck(index: 0 | 1): void {
    const store = this.#stores[index] as RetentiveMemory;
    this.faultsInjected += 1;
    this.#count('store-cut');
    this.trace.push(
      `${this.#time()}  fault: P${index + 1} loses power inside its store operation ${store.operations} (${(store.tornShare * 100).toFixed(0)}% of it done)`,
    );
    this.#pullPower(index, 'store-cut');
    this.queue.at(
      this.queue.now + STORE_CUT_OFF_MIN_MS + this.#storeRandom() * STORE_CUT_OFF_SPREAD_MS,
      () => this.#restorePower(index),
    );
  }

  /** Store cuts through the run, each drawn up front from their own stream (see STORE_CUT_EVERY_MIN_MS). */
  #scheduleStoreCuts(): void {
    if (this.#stores[0] === null) return;
    const r = this.#storeRandom;
    const end = this.options.runMs * 0.85;
    let at = 300 + r() * STORE_CUT_EVERY_SPREAD_MS;
    while (at < end) {
      const victim = r();
      const inCompaction = r() < STORE_CUT_IN_COMPACTION_SHARE;
      const nth = inCompaction
        ? 1 + Math.floor(r() * (SIM_STORE.blockCount / 2))
        : 1 + Math.floor(r() * STORE_CUT_OPERATIONS_MAX);
      const share = r();
      this.queue.at(at, () => this.#armStoreCut(victim, inCompaction, nth, share));
      at += STORE_CUT_EVERY_MIN_MS + r() * STORE_CUT_EVERY_SPREAD_MS;
    }
  }

  /** Store faults through the run, each drawn up front from their own stream (see STORE_FAULT_EVERY_MIN_MS). */
  #scheduleStoreFaults(): void {
    if (this.#stores[0] === null) return;
    const r = this.#storeFaultRandom;
    const end = this.options.runMs * 0.85;
    let at = 300 + r() * STORE_FAULT_EVERY_SPREAD_MS;
    while (at < end) {
      const victim = r();
      // 0: the next read.
      const nth = r() < STORE_READ_FAULT_SHARE ? 0 : 1 + Math.floor(r() * STORE_CUT_OPERATIONS_MAX);
      const share = r();
      this.queue.at(at, () => this.#armStoreFault(victim, nth, share));
      at += STORE_FAULT_EVERY_MIN_MS + r() * STORE_FAULT_EVERY_SPREAD_MS;
    }
  }

  /**
   * Arms a board's store to fail its `nth` write or erase from now, `share`
   * of it done, or its next read (`nth` 0), the power staying on.
   */
  #armStoreFault(victim: number, nth: number, share: number): void {
    const index = this.#victim(victim);
    if (index === null || !(this.boards[index] as SimBoard).powered) return;
    const store = this.#stores[index] as RetentiveMemory;
    if (nth === 0) store.failNextRead = true;
    else {
      store.failAtOperation = store.operations + nth;
      store.tornShare = share;
    }
    this.trace.push(
      `${this.#time()}  fault: P${index + 1}'s store to fail its ${nth === 0 ? 'next read' : `operation ${nth} from now`}`,
    );
  }

  /** Counts the store failures of board `index`'s last input (the core caught them, as it must). */
  #countStoreFailures(index: 0 | 1): void {
    const store = this.#stores[index];
    if (store === null || store.failures === this.#storeFailuresSeen[index]) return;
    const struck = store.failures - (this.#storeFailuresSeen[index] as number);
    this.faultsInjected += struck;
    this.faultCounts['store-fault'] += struck;
    this.#storeFailuresSeen[index] = store.failures;
    const what =
      store.lastFailure === 'read'
        ? 'a read'
        : `a ${store.lastFailure} (${(store.tornShare * 100).toFixed(0)}% of it done)`;
    this.trace.push(`${this.#time()}  fault: P${index + 1}'s store fails ${what}, the power on`);
  }

  /** Arms a board's store to lose power inside its `nth` operation (or erase) from now, `share` of it done. */
  #armStoreCut(victim: number, inCompaction: boolean, nth: number, share: number): void {
    const index = this.#victim(victim);
    if (index === null || !(this.boards[index] as SimBoard).powered) return;
    const store = this.#stores[index] as RetentiveMemory;
    if (inCompaction) store.cutAtErase = store.erasesDone + nth;
    else store.cutAtOperation = store.operations + nth;
    store.tornShare = share;
    this.trace.push(
      `${this.#time()}  fault: P${index + 1} to lose power inside its ${inCompaction ? 'erase' : 'store operation'} ${nth} from now`,
    );
  }

  /** The board a store fault strikes, by a draw: the serving one half the time, the backup 3 in 10, else either. */
  #victim(draw: number): 0 | 1 | null {
    if (draw < 0.5) return this.#roleIndex('serving');
    if (draw < 0.8) return this.#roleIndex('backup');
    return draw < 0.9 ? 0 : 1;
  }

  #pullPower(index: 0 | 1, fault: FaultClass = 'pull'): void {
    const board = this.boards[index] as SimBoard;
    if (!board.powered) return;
    this.powerPulls += 1;
    this.#pullWindow[index] = this.windows.openPowerLoss(
      fault,
      this.queue.now,
      `pull P${index + 1}`,
      board.core?.role === 'primary-alone',
    );
    board.powered = false;
    this.#interruptPush(index);
    this.#reset(index, 'power pulled', true);
    this.#updateDsr();
  }

  #restorePower(index: 0 | 1): void {
    const board = this.boards[index] as SimBoard;
    if (board.powered) return;
    this.#log(index, 'power restored');
    const pulled = this.#pullWindow[index];
    this.#pullWindow[index] = null;
    this.#powerOn(index);
    if (pulled != null) this.#faultEnded(pulled);
  }

  /** The partner's DTR as the board sees it: live, or as it was when the hub stalled. */
  #dsrLevel(index: 0 | 1, path: number): boolean {
    if (this.#hubStalled) return this.#dsrFrozen[index]?.[path] ?? true;
    return this.#liveDsr(index, path);
  }

  #liveDsr(index: 0 | 1, path: number): boolean {
    const partner = this.boards[index === 0 ? 1 : 0] as SimBoard;
    // A board in reset (booting) does not drive its DTR.
    return partner.powered && partner.core !== null && !this.unplugged[path];
  }

  #applyDsr(index: 0 | 1): void {
    const core = this.boards[index]?.core;
    if (core == null || this.#stalled[index]) return;
    const now = this.#local(index);
    this.#drive(index, () => {
      for (let path = 0; path < this.pathCount; path++)
        core.setDsr(path, this.#dsrLevel(index, path), now);
    });
  }

  #updateDsr(): void {
    for (const index of [0, 1] as const) {
      if (this.boards[index]?.core != null && !this.#stalled[index]) {
        this.#applyDsr(index);
        this.#pump(index);
      }
    }
  }

  // ------------------------------------------------------------- stalls

  /** A board's process stalls: no input, no tick, silence on its lines, until it resumes. */
  #stallBoard(index: 0 | 1, lengthMs: number): void {
    const board = this.boards[index] as SimBoard;
    if (!board.powered) return;
    const until = this.queue.now + lengthMs;
    this.trace.push(`${this.#time()}  fault: P${index + 1} stalls for ${lengthMs.toFixed(0)} ms`);
    // A stall shorter than the suspicion time is jitter the pair must ride out: never a second fault.
    this.#window(
      'stall-board',
      `P${index + 1} stalls`,
      lengthMs,
      lengthMs < this.judge.suspicionMs,
    );
    this.judge.stalled(index, this.queue.now, until);
    this.#stallUntil[index] = Math.max(
      this.#stalled[index] ? (this.#stallUntil[index] ?? 0) : 0,
      until,
    );
    this.#stalled[index] = true;
    this.queue.at(until, () => this.#endBoardStall(index));
  }

  /** The board resumes: it reads what waited in its UARTs, sees its DSR lines, then its timers. */
  #endBoardStall(index: 0 | 1): void {
    if (!this.#stalled[index] || (this.#stallUntil[index] ?? 0) > this.queue.now) return;
    this.#stalled[index] = false;
    const held = this.#stallHeld[index] as (() => void)[];
    this.#stallHeld[index] = [];
    this.#log(index, `resumes (${held.length} inputs waited)`);
    for (const run of held) run();
    const core = this.boards[index]?.core;
    if (core == null || this.#stalled[index]) return;
    this.#applyDsr(index);
    if (this.boards[index]?.core !== core) return;
    this.#drive(index, () => core.tick(this.#local(index)));
    this.#pump(index);
  }

  /** The wires stall: every byte on every path, the fence lines and DSR changes wait. */
  #stallHub(lengthMs: number): void {
    const until = this.queue.now + lengthMs;
    this.trace.push(`${this.#time()}  fault: the wires stall for ${lengthMs.toFixed(0)} ms`);
    this.#window('stall-hub', 'the wires stall', lengthMs, lengthMs < this.judge.suspicionMs);
    if (!this.#hubStalled) {
      this.#dsrFrozen = [0, 1].map((i) =>
        Array.from({ length: this.pathCount }, (_, path) => this.#liveDsr(i as 0 | 1, path)),
      );
      this.#hubStalled = true;
    }
    this.#hubUntil = Math.max(this.#hubUntil, until);
    for (let path = 0; path < this.pathCount; path++) this.judge.pathTouched(path, this.queue.now);
    this.queue.at(until, () => this.#endHubStall());
  }

  #endHubStall(force = false): void {
    if (!this.#hubStalled || (!force && this.#hubUntil > this.queue.now)) return;
    this.#hubStalled = false;
    for (let path = 0; path < this.pathCount; path++) this.judge.pathTouched(path, this.queue.now);
    const held = this.#hubHeld;
    this.#hubHeld = [];
    this.trace.push(`${this.#time()}  the wires resume (${held.length} deliveries waited)`);
    for (const run of held) run();
    this.#updateDsr();
  }

  /** Carries out what a core asked for, then checks the invariants. */
  #pump(index: 0 | 1): void {
    const board = this.boards[index] as SimBoard;
    const core = board.core;
    if (core === null) return;
    for (const output of core.takeOutputs()) this.#output(index, core, output);
    if (board.core === core) this.#scheduleWake(index, core);
    this.#afterStep();
  }

  #output(index: 0 | 1, core: SimCore, output: Output): void {
    const board = this.boards[index] as SimBoard;
    switch (output.kind) {
      case 'bytes':
        if (board.core === core) this.lines[output.path]?.[index]?.write(output.bytes);
        return;
      case 'reply':
        this.#busReply(output.reply, index);
        return;
      case 'effect':
        this.#effect(index, core, output.effect);
        return;
      case 'event':
        this.#event(index, core, output.event);
        return;
    }
  }

  /** A primary refuses for want of room only once its journal said the store is full, with an alarm. */
  #checkFullAnnounced(index: 0 | 1, core: SimCore, txn: number): void {
    const announced = this.#announcedFull.get(core);
    if (announced?.event === true && announced.alarm) return;
    this.worldViolations.push({
      at: this.queue.now,
      kind: 'refusal-unannounced',
      detail: `P${index + 1} refused txn ${txn} store-full, but its journal has ${announced?.event === true ? 'no alarm' : 'no store-full event'} since its store last had room`,
    });
  }

  /** What a board says why goes to operators as a sentence: the host's table must say it in full. */
  #checkSaid(why: unknown, where: string): void {
    const unsaid = unsaidPart(why);
    if (unsaid !== null)
      this.worldViolations.push({
        at: this.queue.now,
        kind: 'reason-unsaid',
        detail: `${where}: ${unsaid}`,
      });
  }

  /** A reply on the field bus: it may be lost (the client retries); a second execution is caught here. */
  #busReply(reply: ClientReply, from: 0 | 1): void {
    if (!reply.ok)
      this.#checkSaid(reply.why, `the ${reply.error} reply to ${reply.clientId}#${reply.syncId}`);
    const lost =
      this.profile.busLossRate > 0 &&
      !this.inFinalPhase &&
      this.busRandom() < this.profile.busLossRate;
    // Only a bus that loses replies can hide a second execution from the history.
    // A registration may run twice (see History.record): that changes nothing.
    if (reply.ok && reply.syncId !== REGISTER_SYNC_ID && this.profile.busLossRate > 0)
      this.#executions.replied(reply, lost, this.queue.now);
    if (lost) {
      this.#count('bus-reply-lost');
      return;
    }
    const client = this.#clientsById.get(baseClientId(reply.clientId));
    this.queue.at(this.queue.now + BUS_LATENCY_MS, () => client?.onReply(reply, from));
  }

  #effect(
    index: 0 | 1,
    core: SimCore,
    effect: Extract<Output, { kind: 'effect' }>['effect'],
  ): void {
    const board = this.boards[index] as SimBoard;
    if (board.core !== core) return;
    const partner = index === 0 ? 1 : 0;
    switch (effect.kind) {
      case 'fence': {
        // A fence answers a fault when a fault explains the takeover it comes with
        // (judged now, before the pulse lands), or the line that holds it stalled.
        const explained = this.#explainedNow(index) || this.#hubStalled;
        const fence = () => {
          // A pulse held by a stalled line, from a board that a pulse before it reset, never happened.
          if (board.core !== core) return;
          const target = this.boards[partner] as SimBoard;
          if (target.core === null) return;
          // Fencing a board that is itself stalled answers that board's failure.
          const byFault = explained || this.#stalled[partner] === true;
          this.#reset(partner, `fenced by processor ${board.processor}`, byFault);
          this.queue.at(this.queue.now + BOOT_MS, () =>
            this.#whenRunning(partner, () => this.#boot(partner)),
          );
        };
        // The fence line runs through the stalled hub too: the pulse lands when it resumes.
        if (this.#hubStalled) this.#hubHeld.push(fence);
        else fence();
        return;
      }
      case 'reboot':
        this.gaveUpState[index] = true;
        // Booting the other slot on trial is a switch's doing (steps a and h).
        this.copies.taken(
          index,
          effect.boot === 'other-test' ? 'switch' : 'core',
          `its core rebooted it (${effect.boot})`,
        );
        this.judge.reset(index, this.queue.now);
        board.scheduleReboot(effect.boot);
        this.#log(index, `reboots (${effect.boot})`);
        this.#dsrFellAfterStep();
        this.queue.at(this.queue.now + BOOT_MS, () =>
          this.#whenRunning(index, () => this.#boot(index)),
        );
        return;
      case 'confirm':
        board.confirm();
        this.#log(index, `confirms ${board.version}`);
        return;
      case 'announce':
        this.queue.at(this.queue.now + BUS_LATENCY_MS, () => {
          for (const client of this.clients) client.onAnnounce(index);
        });
        return;
    }
  }

  #event(index: 0 | 1, core: SimCore, event: PairEvent): void {
    if (this.options.trace) this.#log(index, describe(event, core.hello.version));
    if ('why' in event && event.why !== undefined)
      this.#checkSaid(event.why, `P${index + 1}'s ${event.kind} event`);
    switch (event.kind) {
      case 'takeover':
        this.counts.takeovers += 1;
        this.#judgeTakeover(index);
        return;
      case 'cold-start':
        this.#onColdStart();
        return;
      case 'executed':
        this.history.executed(event, core.term);
        if (event.refused === 'store-full') this.#checkFullAnnounced(index, core, event.txn);
        return;
      case 'store-full':
        this.#announcedFull.set(core, { event: event.full, alarm: false });
        return;
      case 'alarm':
        if (event.why.code === 'no-room') {
          const announced = this.#announcedFull.get(core);
          if (announced !== undefined) announced.alarm = true;
        }
        return;
      case 'role':
        if (event.role === 'primary') {
          // The pair is whole again: each board that holds the state has a copy.
          this.boards.forEach((board, i) => {
            if (board.core?.hasState === true) this.gaveUpState[i] = false;
          });
        }
        if (SERVING_ROLES.has(event.role)) this.history.servingFrom(event.txn, core.hello.version);
        if (event.cause === 'roles-offered') this.gaveUpState[index] = true;
        // A stop the partner asked for is a switch's (steps a and h): by design until the state is durable.
        if (event.cause === 'stopped') this.copies.taken(index, 'switch', 'a switch stopped it');
        // Stepping down for a partner that took over: the copy went with the fault behind that takeover.
        if (event.cause === 'stepped-down')
          this.copies.taken(
            index,
            this.#lastTakeoverExplained[index === 0 ? 1 : 0] ? 'fault' : 'core',
            'it stepped down for a newer primary',
          );
        if (event.cause === 'new-primary-lost')
          this.copies.taken(index, 'switch', 'the new version it handed its roles to was lost');
        return;
      case 'store-refused':
        // The room the primary judges requests by (store-room.ts) exists so that this never happens.
        if (event.code === 'full')
          this.history.violation(
            this.queue.now,
            'store-outgrown',
            `P${index + 1} stopped: ${reasonText(event.why)}`,
          );
        return;
      case 'switch':
        // f: the old version's whole state went to the new one; its converters must carry it both ways.
        if (event.step === 'f' && event.ok)
          this.history.checkHandover(
            this.queue.now,
            core.hello.version,
            core.state,
            this.options.versions,
          );
        if (event.step === 'done' && event.ok) {
          if (core.hello.version === this.options.versions[1]) this.counts.switches += 1;
          else this.counts.fallbacks += 1;
        }
        if (!event.ok) this.counts.switchFailures += 1;
        this.onSwitchStep?.(event.step);
        this.onSwitchStepPush?.(event.step);
        this.onSwitchStepHandover?.(event.step);
        return;
      default:
        return;
    }
  }

  onSwitchStep: ((step: string) => void) | null = null;

  #scheduleWake(index: 0 | 1, core: SimCore): void {
    const clock = this.clocks[index] as BoardClock;
    const localAt = core.nextWakeMs();
    const asked = clock.worldAt(localAt);
    // A slow core's work left for at once runs a call later, after what arrived meanwhile.
    const at = asked <= this.queue.now ? this.queue.now + (this.#callMs[index] as number) : asked;
    this.#wakesNow[index] = at <= this.queue.now ? (this.#wakesNow[index] ?? 0) + 1 : 0;
    if ((this.#wakesNow[index] ?? 0) > WAKES_AT_ONE_INSTANT_MAX) {
      throw new Error(
        `processor ${index + 1} asks to be woken again and again at ${this.queue.now} ms (a core bug)`,
      );
    }
    if (at >= (this.wakeAt[index] ?? Number.POSITIVE_INFINITY)) return;
    this.wakeAt[index] = at;
    this.queue.at(at, () => {
      if (this.wakeAt[index] !== at || this.boards[index]?.core !== core) return;
      this.wakeAt[index] = Infinity;
      // A stalled board has no timers; it ticks when it resumes.
      if (this.#stalled[index]) return;
      // The board's clock reads at least what the core asked for (rounding aside).
      this.#drive(index, () => core.tick(this.#local(index, localAt)));
      this.#pump(index);
    });
  }

  // ------------------------------------------------------------- checks

  /**
   * Split brain: two processors that could each acknowledge what the other
   * does not hold. A `primary` acknowledges only what a processor that said
   * it was its backup acknowledged (even in frames a stalled line delivers
   * late, that processor held those entries before anything else), so a
   * `primary` beside a processor serving alone is not one; two serving
   * alone, or two primaries, are. A switching primary that holds every new
   * request counts as a `primary`: it releases only replies its backup
   * acknowledged.
   */
  #afterStep(): void {
    const first = (this.boards[0] as SimBoard).core;
    const second = (this.boards[1] as SimBoard).core;
    // A stalled board acknowledges nothing, and its readings are as of its last input: on
    // resuming it judges the time it lost before it serves (a silent backup may have taken over).
    const running = !this.#stalled[0] && !this.#stalled[1];
    if (first?.serving === true && second?.serving === true && running) {
      // A switching primary that holds every request acknowledges only what its backup holds, as a primary does.
      const withBackup =
        (first.role === 'primary' || first.holdingRequests ? 1 : 0) +
        (second.role === 'primary' || second.holdingRequests ? 1 : 0);
      if (withBackup !== 1) {
        this.counts.splitBrain += 1;
        this.history.violation(this.queue.now, 'split-brain', 'both processors serve');
      }
    }
    this.#checkBackupHolds(0, first);
    this.#checkBackupHolds(1, second);
    this.copies.observe(0, first?.hasState === true, first?.role ?? 'off');
    this.copies.observe(1, second?.hasState === true, second?.role ?? 'off');
    this.#checkWhole();
  }

  /**
   * A backup may take over at any moment: it holds (applied or queued) every
   * transaction a client was acknowledged, or a pull of the primary right
   * now would lose some. Checked at every step, so that no pull has to
   * strike at the right moment to show it; said once for each life of a board.
   */
  #checkBackupHolds(index: 0 | 1, core: SimCore | null | undefined): void {
    if (core?.role !== 'backup' || this.#stalled[index]) return;
    const newest = this.history.newestAcknowledged;
    if (newest === null || core.txnHeld >= newest.txn) return;
    const life = `${index}:${core.incarnation}`;
    if (this.#backupsFoundLacking.has(life)) return;
    this.#backupsFoundLacking.add(life);
    this.worldViolations.push({
      at: this.queue.now,
      kind: 'backup-lacks-acknowledged',
      detail: `P${index + 1}, a backup, holds up to txn ${core.txnHeld}; txn ${newest.txn} was acknowledged`,
      sinceMs: newest.atMs,
    });
  }

  /** Both boards powered and not stalled. */
  #bothRunning(): boolean {
    const [first, second] = this.boards as [SimBoard, SimBoard];
    return first.powered && !this.#stalled[0] && second.powered && !this.#stalled[1];
  }

  /** Some path has no fault on it at this moment. */
  #somePathClean(): boolean {
    for (let path = 0; path < this.pathCount; path++) if (this.#pathClean(path)) return true;
    return false;
  }

  /** A path with no fault on it at this moment: both directions clean and the hub running. */
  #pathClean(path: number): boolean {
    if (this.#hubStalled || this.unplugged[path]) return false;
    return (this.lines[path] ?? []).every(({ faults }) => isFaultFree(faults));
  }

  /** The judge's verdict on a takeover by `by` now (see takeover-judge.ts). */
  #verdict(by: 0 | 1): TakeoverVerdict {
    const old = by === 0 ? 1 : 0;
    const clean = Array.from({ length: this.pathCount }, (_, p) => this.#pathClean(p));
    return this.judge.judge(by, this.queue.now, (this.boards[old] as SimBoard).powered, clean);
  }

  /** Per board: a fault explained its last takeover. */
  readonly #lastTakeoverExplained = [false, false];

  #explainedNow(by: 0 | 1): boolean {
    return this.#verdict(by) === 'failure-behind';
  }

  /** Counts a takeover with no failure behind it (see takeover-judge.ts). */
  #judgeTakeover(by: 0 | 1): void {
    const old = by === 0 ? 1 : 0;
    const verdict = this.#verdict(by);
    this.#lastTakeoverExplained[by] = verdict === 'failure-behind';
    if (verdict === 'failure-behind') return;
    this.counts.falseTakeovers += 1;
    this.trace.push(`${this.#time()}  false takeover by P${by + 1} (${verdict})`);
    if (verdict === 'false-one-path') {
      this.worldViolations.push({
        at: this.queue.now,
        kind: 'false-takeover-one-path',
        detail: `P${by + 1} took over from a powered, running P${old + 1} while a path worked both ways; another path had a fault`,
      });
    }
  }

  /**
   * A cold start means no processor had the state. The classic model
   * excuses it whenever both boards gave up their copy since the pair was
   * last whole; the wide model only where the fault schedule took both
   * copies (see state-copies.ts).
   */
  #onColdStart(): void {
    this.history.forgetExecutions();
    if (!this.history.hasAcknowledged) return;
    // A retained app's stores outlive every power loss: no cold start is excused.
    const excused =
      !this.copies.retained &&
      (this.wide
        ? this.copies.doubleFault
        : this.gaveUpState[0] === true && this.gaveUpState[1] === true);
    if (excused) {
      this.counts.doubleFailures += 1;
      this.trace.push(`${this.#time()}  cold start after both copies were lost: double failure`);
    } else if (this.wide && this.copies.inSwitchWindow) {
      this.counts.switchWindowLosses += 1;
      this.trace.push(
        `${this.#time()}  cold start in a switch's window: ${this.copies.describe()} (counted apart until the state is durable)`,
      );
    } else {
      this.history.violation(
        this.queue.now,
        'state-lost',
        this.copies.retained
          ? `cold start of a retained app: the stores held the state (${this.copies.describe()})`
          : this.wide
            ? `cold start, yet the faults did not take both copies: ${this.copies.describe()}`
            : 'cold start, yet only one board lost its copy',
      );
    }
    this.history.newEpoch();
    this.#executions.clear();
  }

  /**
   * Liveness under one fault: while both boards are powered and running
   * and some path works both ways, an acknowledgement must come at least
   * every SERVICE_GAP_MS (time under a wider fault does not count).
   */
  #sampleService(): void {
    if (this.queue.now >= this.options.runMs) return;
    if (this.#bothRunning() && this.#somePathClean()) {
      this.#gapMs += SERVICE_SAMPLE_MS;
      // Time while two faults' windows overlap counts only toward a gap counted apart.
      const overlap = this.wide && this.windows.overlapAt(this.queue.now);
      if (!overlap) this.#gapSingleMs += SERVICE_SAMPLE_MS;
      const detail = () =>
        `no request acknowledged for ${this.#gapMs} ms while both boards ran and a path worked both ways`;
      if (this.#gapSingleMs > SERVICE_GAP_MS && !this.#gapReported) {
        this.#gapReported = true;
        this.worldViolations.push({ at: this.queue.now, kind: 'service-gap', detail: detail() });
      } else if (this.#gapMs > SERVICE_GAP_MS && !this.#gapReported && !this.#gapMultiReported) {
        this.#gapMultiReported = true;
        const faults = describeFaults(this.windows.openAt(this.queue.now));
        this.multiFaultFindings.push({
          at: this.queue.now,
          kind: 'service-gap',
          detail: `${detail()}, ${this.#gapMs - this.#gapSingleMs} ms of it with faults overlapping: ${faults}`,
        });
      }
    }
    this.queue.at(this.queue.now + SERVICE_SAMPLE_MS, () => this.#sampleService());
  }

  #acknowledged(): void {
    this.#gapMs = 0;
    this.#gapSingleMs = 0;
    this.#gapReported = false;
    this.#gapMultiReported = false;
  }

  // ------------------------------------------------------------- clients

  /**
   * The pair forgot the session of `clientId`. The reply cache forgets one
   * only to make room for a new one, so with no more sessions in the whole
   * run than it keeps, a session begun in this life of the state must still
   * be there.
   */
  #checkSessionKept(clientId: string): void {
    const begunAt = this.history.sessionBegunAt(clientId);
    const kept = (this.boards[0] as SimBoard).config.clientsMax;
    if (begunAt === undefined || this.#sessionIds.size > kept) return;
    this.history.violation(
      this.queue.now,
      'session-forgotten',
      `${clientId}: told its session expired, begun at ${begunAt.toFixed(0)} ms; ${this.#sessionIds.size} sessions in the whole run, and the reply cache keeps ${kept}`,
      begunAt,
    );
  }

  #clientEnvironment() {
    return {
      now: () => this.queue.now,
      later: (delayMs: number, run: () => void) => this.queue.at(this.queue.now + delayMs, run),
      send: (board: 0 | 1, request: ClientRequest) => {
        if (request.syncId === REGISTER_SYNC_ID) this.#sessionIds.add(request.clientId);
        const { busShared } = this.profile.topology;
        for (const drop of busShared ? ([0, 1] as const) : [board]) {
          // A noisy bus loses a request at one drop as well as a reply.
          if (
            busShared &&
            this.profile.busLossRate > 0 &&
            this.busRandom() < this.profile.busLossRate
          ) {
            this.#count('bus-request-lost');
            continue;
          }
          this.queue.at(this.queue.now + BUS_LATENCY_MS, () => {
            if (this.#stalled[drop])
              this.#stallHeld[drop]?.push(() => this.#requestArrives(drop, request));
            else this.#requestArrives(drop, request);
          });
        }
      },
      acknowledged: (
        request: ClientRequest,
        reply: { reply: unknown; txn: number; syncId: number },
      ) => {
        this.#acknowledged();
        this.history.acknowledge(this.queue.now, request, reply);
      },
      refused: (request: ClientRequest, reply: ErrorAnswer) => {
        // A refusal the pair recorded as a transaction is an answer: the pair serves.
        if (reply.txn !== undefined) this.#acknowledged();
        if (reply.error === 'session-expired') this.#checkSessionKept(request.clientId);
        this.history.refuse(this.queue.now, request, reply);
      },
      waited: (ms: number) => {
        if (!this.inFinalPhase) this.holdMsMax = Math.max(this.holdMsMax, ms);
      },
    };
  }

  /** A client's request reaches the board's client port. */
  #requestArrives(board: 0 | 1, request: ClientRequest): void {
    const core = this.boards[board]?.core;
    if (core == null) return;
    this.#drive(board, () => core.request(request, this.#local(board)));
    this.#pump(board);
  }

  // -------------------------------------------------------------- faults

  #scheduleFaults(): void {
    const { runMs } = this.options;
    const end = runMs * 0.85;
    let at = 300 + this.random() * 700;
    while (at < end) {
      const when = at;
      this.queue.at(when, () => this.#injectFault());
      at += 400 + this.random() * 1600;
    }
  }

  #roleIndex(role: 'serving' | 'backup'): 0 | 1 | null {
    for (const index of [0, 1] as const) {
      const core = this.boards[index]?.core;
      if (core == null) continue;
      if (role === 'serving' ? core.serving : core.role === 'backup') return index;
    }
    return null;
  }

  #injectFault(): void {
    this.faultsInjected += 1;
    if (this.wide && this.wideRandom() < WIDE_FAULT_SHARE && this.#injectWideFault()) return;
    const r = this.random();
    // Mostly pull a board of a whole pair, so that most pulls test the
    // nothing-lost promise; now and then a second failure on purpose.
    const pairWhole = this.boards.some((b) => b.core?.role === 'primary');
    if (r < 0.25 && (pairWhole || this.random() < 0.1)) {
      // Pull a board: the primary or the backup, now or at a chosen moment.
      const victimRole = this.random() < 0.6 ? 'serving' : 'backup';
      const moment = this.random();
      if (moment < 0.4) this.#pullWhen(() => this.#roleIndex(victimRole), `${victimRole} at once`);
      else if (moment < 0.7) {
        // Mid-checkpoint: the primary has replies waiting for the backup.
        this.#pullWhen(() => {
          const i = this.#roleIndex('serving');
          return i !== null && (this.boards[i]?.core?.checkpointLag ?? 0) > 0 ? i : null;
        }, 'primary mid-checkpoint');
      } else {
        // Mid-state-transfer: while a processor is joining, pull either one.
        const pullJoiner = this.random() < 0.8;
        this.#pullWhen(
          () => {
            const joiner = this.boards.findIndex((b) => b.core?.role === 'joining');
            if (joiner < 0) return null;
            return (pullJoiner ? joiner : 1 - joiner) as 0 | 1;
          },
          pullJoiner ? 'joiner mid-transfer' : 'primary mid-transfer',
        );
      }
    } else if (r < 0.45) {
      this.#count('switch');
      this.#switch();
    } else if (r < 0.6) {
      this.#cut(this.random() < 0.5);
    } else {
      this.#count('noise');
      this.#noise();
    }
  }

  /** Whether the wide model's group `group` is on in this seed. */
  #groupOn(group: FaultGroup): boolean {
    return this.options.faultGroups === undefined || this.options.faultGroups.includes(group);
  }

  /** The wide model's own fault classes, drawn from their own stream (false when none is on). */
  #injectWideFault(): boolean {
    const w = this.wideRandom;
    const twoPaths = this.pathCount === 2;
    const slots = WIDE_SLOTS.filter(
      ([group, kind]) =>
        this.#groupOn(group) && (twoPaths || (kind !== 'cut-crossed' && kind !== 'cut-with-noise')),
    );
    const total = slots.reduce((sum, [, , weight]) => sum + weight, 0);
    if (total === 0) return false;
    let r = w() * total;
    let kind: FaultClass | undefined;
    for (const [, slotKind, weight] of slots) {
      kind = slotKind;
      r -= weight;
      if (r < 0) break;
    }
    const stallMs = () => STALL_MIN_MS * (STALL_MAX_MS / STALL_MIN_MS) ** w();
    const suspicion = this.judge.suspicionMs;
    if (kind === 'stall-board') {
      const victim = w() < 0.5 ? 0 : 1;
      const length = stallMs();
      this.#count('stall-board');
      if (length >= suspicion) this.#count('stall-board-long');
      this.#stallBoard(victim, length);
    } else if (kind === 'stall-hub') {
      const length = stallMs();
      this.#count('stall-hub');
      if (length >= suspicion) this.#count('stall-hub-long');
      this.#stallHub(length);
    } else if (kind === 'cut-one-way-long') {
      const path = Math.floor(w() * this.pathCount);
      const from = w() < 0.5 ? 0 : 1;
      const durationMs = LONG_CUT_MIN_MS + w() * LONG_CUT_SPREAD_MS;
      this.#count('cut-one-way-long');
      this.#window('cut-one-way-long', `cut path ${path} from P${from + 1}`, durationMs);
      this.#cutOneWay(path, from, durationMs);
    } else if (kind === 'cut-crossed') {
      // Crossed: path 0 cut one way, path 1 the other.
      const from = w() < 0.5 ? 0 : 1;
      const durationMs = 20 + w() * 5000;
      this.#count('cut-crossed');
      // One fault: the issue counts crossed cuts among those the pair must survive alone.
      this.#window('cut-crossed', 'crossed cut of both paths', durationMs);
      this.#cutOneWay(0, from, durationMs);
      this.#cutOneWay(1, from === 0 ? 1 : 0, durationMs);
    } else if (kind === 'cut-with-noise') {
      // A cut on one path (one way or both) and noise on the other.
      const path = w() < 0.5 ? 0 : 1;
      const durationMs = 20 + w() * 3000;
      this.#count('cut-with-noise');
      this.#window('cut-with-noise', `cut path ${path} with noise on the other`, durationMs);
      if (w() < 0.5) this.#cutOneWay(path, w() < 0.5 ? 0 : 1, durationMs);
      else this.#cutTwoWay(path, durationMs);
      this.#noiseOn(path === 0 ? 1 : 0, w, durationMs);
    } else {
      const path = Math.floor(w() * this.pathCount);
      const from = w() < 0.5 ? 0 : 1;
      const durationMs = 20 + w() * 3000;
      this.#count('cut-one-way');
      this.#window('cut-one-way', `cut path ${path} from P${from + 1}`, durationMs);
      this.#cutOneWay(path, from, durationMs);
    }
    return true;
  }

  /** Data from board `from` on `path` stops for `durationMs` (DSR stays up: the cable is plugged). */
  #cutOneWay(path: number, from: 0 | 1, durationMs: number): void {
    const line = (this.lines[path] as Line[])[from] as Line;
    this.trace.push(
      `${this.#time()}  fault: cut path ${path} from P${from + 1} for ${durationMs.toFixed(0)} ms`,
    );
    line.faults.cut = true;
    this.judge.pathTouched(path, this.queue.now);
    this.queue.at(this.queue.now + durationMs, () => {
      if (!this.unplugged[path]) line.faults.cut = false;
      this.judge.pathTouched(path, this.queue.now);
    });
  }

  #cutTwoWay(path: number, durationMs: number): void {
    this.trace.push(
      `${this.#time()}  fault: cut path ${path} both ways for ${durationMs.toFixed(0)} ms`,
    );
    this.#plug(path, false);
    this.queue.at(this.queue.now + durationMs, () => this.#plug(path, true));
  }

  /** Pulls the board `pick` names as soon as it names one (checked every millisecond, up to a second). */
  #pullWhen(
    pick: () => 0 | 1 | null,
    label: string,
    restore = true,
    kind: FaultClass = 'pull',
  ): void {
    const deadline = this.queue.now + 1000;
    const attempt = () => {
      const index = pick();
      if (index !== null) {
        if (this.options.faults) this.#count(kind);
        this.trace.push(`${this.#time()}  fault: pull ${label}`);
        this.#pullPower(index, kind);
        if (restore)
          this.queue.at(this.queue.now + 20 + this.random() * 1500, () =>
            this.#restorePower(index),
          );
      } else if (this.queue.now < deadline) {
        this.queue.at(this.queue.now + 1, attempt);
      }
    };
    attempt();
  }

  #switch(withFaults = true): void {
    const index = this.#roleIndex('serving');
    const core = index === null ? null : this.boards[index]?.core;
    // A stalled primary does not answer the host's switch command.
    if (core == null || index === null || this.#stalled[index]) return;
    const refusal = this.#drive(index, () => core.switchToOther(this.#local(index)));
    if (this.boards[index]?.core !== core) return;
    this.trace.push(
      `${this.#time()}  host: switch on P${index + 1}${refusal ? ` refused: ${reasonText(refusal)}` : ''}`,
    );
    // The core's refusals for want of an image name the slot.
    if (refusal?.code === 'no-image' || refusal?.code === 'partner-lacks-image')
      this.counts.switchesRefusedUnpushed += 1;
    this.#pump(index);
    if (refusal === null && withFaults) this.#pushDuringSwitch();
    if (refusal === null && withFaults && this.wide && this.#groupOn('handover-pulls'))
      this.#pullAroundHandover();
    if (refusal !== null || !withFaults || this.random() < 0.5) return;
    // Power-pull at a chosen step of this switch.
    const steps = SWITCH_ACTION_STEPS;
    const target = steps[Math.floor(this.random() * steps.length)];
    const victim = this.random() < 0.5 ? 0 : 1;
    const delayMs = this.random() * 5;
    this.onSwitchStep = (step) => {
      if (step !== target) return;
      this.onSwitchStep = null;
      this.queue.at(this.queue.now + delayMs, () =>
        this.#pullWhen(() => victim, `P${victim + 1} at switch step ${step}`),
      );
    };
  }

  /**
   * Now and then a pull at a spread instant of the handover: between step f
   * (big checkpoint acknowledged) and g (the new version takes the roles),
   * or between g and the pair being whole again, of either board.
   */
  #pullAroundHandover(): void {
    const w = this.wideRandom;
    if (w() >= HANDOVER_PULL_SHARE) return;
    const afterG = w() < 0.6;
    const step = afterG ? 'g' : 'f';
    const delayMs = w() * (afterG ? G_TO_WHOLE_SPREAD_MS : F_TO_G_SPREAD_MS);
    const victim = w() < 0.5 ? 0 : 1;
    this.onSwitchStepHandover = (seen) => {
      if (seen !== step) return;
      this.onSwitchStepHandover = null;
      this.queue.at(this.queue.now + delayMs, () =>
        this.#pullWhen(
          () => victim,
          `P${victim + 1} ${delayMs.toFixed(1)} ms after switch step ${step}`,
          true,
          'pull-handover',
        ),
      );
    };
  }

  // -------------------------------------------------------------- pushes

  /** The host: one loop per board keeping its inactive slot staged, and pushes over whole images now and then. */
  #scheduleHost(): void {
    for (const index of [0, 1] as const) {
      const loop = () => {
        this.#stage(index);
        this.queue.at(
          this.queue.now + HOST_POLL_MS + this.pushRandom() * HOST_POLL_SPREAD_MS,
          loop,
        );
      };
      this.queue.at(200 + this.pushRandom() * 500, loop);
    }
    if (!this.options.faults) return;
    const end = this.options.runMs * 0.85;
    let at = REPUSH_EVERY_MS * (1 + this.pushRandom() * 2);
    while (at < end) {
      const index = this.pushRandom() < 0.5 ? 0 : 1;
      this.queue.at(at, () => this.#push(index, true, 'push again'));
      at += REPUSH_EVERY_MS * (1 + this.pushRandom() * 2);
    }
  }

  /** The version a switch (or fallback) from what the board runs would boot. */
  #otherVersionFor(index: 0 | 1): string {
    const [current, next] = this.options.versions;
    return this.boards[index]?.version === current ? next : current;
  }

  /** Pushes into the board's inactive slot if it lacks the image a switch would need. */
  #stage(index: 0 | 1): void {
    const board = this.boards[index] as SimBoard;
    if (board.otherVersion !== this.#otherVersionFor(index)) this.#push(index, false, 'staging');
  }

  /** Now and then a switch meets a push: at a chosen step, the host pushes into some board again. */
  #pushDuringSwitch(): void {
    if (this.options.pushes !== true || this.pushRandom() >= PUSH_DURING_SWITCH_SHARE) return;
    const steps = SWITCH_ACTION_STEPS;
    const target = steps[Math.floor(this.pushRandom() * steps.length)];
    const index = this.pushRandom() < 0.5 ? 0 : 1;
    this.onSwitchStepPush = (step) => {
      if (step !== target) return;
      this.onSwitchStepPush = null;
      this.#push(index, true, `during switch step ${step}`);
    };
  }

  /**
   * The host writes the version a switch would boot into the board's
   * inactive slot, resuming a partial image of it unless `fresh`. Needs
   * power; refused while another push to the board is under way, or while
   * the board runs a trial image (its inactive slot is what it reverts to).
   */
  #push(index: 0 | 1, fresh: boolean, why: string): boolean {
    const board = this.boards[index] as SimBoard;
    if (!board.powered || this.pushing[index] !== null || board.trial) return false;
    const version = this.#otherVersionFor(index);
    const slot = board.otherIndex;
    const fromByte = board.beginPush(version, fresh);
    const push: PushInFlight = { version, slot, startMs: this.queue.now, fromByte };
    this.pushing[index] = push;
    (this.pushedImage[index] as [string, string])[slot] = '';
    this.trace.push(
      `${this.#time()}  host: push ${version} to P${index + 1} slot ${slot}${fromByte > 0 ? ` from byte ${fromByte}` : ''} (${why})`,
    );
    // The slot is erased first: the running core no longer has an image there.
    this.#whenRunning(index, () => {
      const core = board.core;
      if (core === null || core.hello.otherVersion === '') return;
      this.#drive(index, () => core.otherImageChanged('', this.#local(index)));
      this.#pump(index);
    });
    this.queue.at(this.queue.now + (IMAGE_BYTES - fromByte) * PUSH_MS_PER_BYTE, () =>
      this.#pushDone(index, push),
    );
    return true;
  }

  #pushDone(index: 0 | 1, push: PushInFlight): void {
    if (this.pushing[index] !== push) return;
    const board = this.boards[index] as SimBoard;
    this.pushing[index] = null;
    board.pushedTo(push.slot, IMAGE_BYTES);
    (this.pushedImage[index] as [string, string])[push.slot] = push.version;
    this.counts.pushesCompleted += 1;
    this.trace.push(
      `${this.#time()}  host: push ${push.version} to P${index + 1} slot ${push.slot} complete`,
    );
    this.#whenRunning(index, () => {
      const core = board.core;
      if (core === null) return;
      this.#drive(index, () => core.otherImageChanged(push.version, this.#local(index)));
      this.#pump(index);
    });
  }

  /** Power lost mid-push: the slot keeps the chunks the board acknowledged, and stays partial. */
  #interruptPush(index: 0 | 1): void {
    const push = this.pushing[index];
    if (push == null) return;
    this.pushing[index] = null;
    const sent = (this.queue.now - push.startMs) / PUSH_MS_PER_BYTE;
    const offset = push.fromByte + Math.floor(sent / PUSH_CHUNK_BYTES) * PUSH_CHUNK_BYTES;
    (this.boards[index] as SimBoard).pushedTo(push.slot, offset);
    this.counts.pushesInterrupted += 1;
    this.trace.push(
      `${this.#time()}  host: push ${push.version} to P${index + 1} interrupted at byte ${Math.min(offset, IMAGE_BYTES)} of ${IMAGE_BYTES}`,
    );
  }

  /** A board runs, and reports in its other slot, only images whose push completed. */
  #checkImages(index: 0 | 1, core: SimCore): void {
    const board = this.boards[index] as SimBoard;
    const pushed = this.pushedImage[index] as [string, string];
    const running = pushed[board.active];
    if (core.hello.version !== running) {
      this.history.violation(
        this.queue.now,
        'unpushed-image',
        `P${index + 1} boots ${core.hello.version} from slot ${board.active}, where ${running === '' ? 'no push completed' : `the completed push is ${running}`}`,
      );
    }
    const other = pushed[board.otherIndex];
    if (core.hello.otherVersion !== other) {
      this.history.violation(
        this.queue.now,
        'unpushed-image',
        `P${index + 1} reports ${core.hello.otherVersion || 'nothing'} in slot ${board.otherIndex}, where ${other === '' ? 'no push completed' : `the completed push is ${other}`}`,
      );
    }
  }

  #scripted(action: ScriptAction): void {
    this.trace.push(`${this.#time()}  script: ${action}`);
    const primary = () => this.#roleIndex('serving');
    switch (action) {
      case 'pull-primary':
        this.#pullPower(primary() ?? 0);
        return;
      case 'pull-primary-mid-checkpoint':
        this.#pullWhen(
          () => {
            const i = primary();
            return i !== null && (this.boards[i]?.core?.checkpointLag ?? 0) > 0 ? i : null;
          },
          'primary mid-checkpoint',
          false,
        );
        return;
      case 'pull-backup':
        this.#pullPower(this.#roleIndex('backup') ?? 1);
        return;
      case 'restore-power':
        for (const index of [0, 1] as const) this.#restorePower(index);
        return;
      case 'switch':
        this.#switch(false);
        return;
      case 'push-p1':
      case 'push-p2':
        this.#push(action === 'push-p1' ? 0 : 1, false, 'script');
        return;
      case 'cut-path-0':
        this.#plug(0, false);
        return;
      case 'restore-cables':
        for (let path = 0; path < this.pathCount; path++) this.#plug(path, true);
        return;
    }
  }

  #cut(twoWay: boolean): void {
    const path = Math.floor(this.random() * this.pathCount);
    const direction = this.random() < 0.5 ? 0 : 1;
    const durationMs = 20 + this.random() * 800;
    const lines = this.lines[path] as Line[];
    this.#count(twoWay ? 'cut-two-way' : 'cut-one-way');
    this.#window(
      twoWay ? 'cut-two-way' : 'cut-one-way',
      `cut path ${path} ${twoWay ? 'both ways' : `from P${direction + 1}`}`,
      durationMs,
    );
    this.trace.push(
      `${this.#time()}  fault: cut path ${path} ${twoWay ? 'both ways' : `from P${direction + 1}`} for ${durationMs.toFixed(0)} ms`,
    );
    if (twoWay) {
      this.#plug(path, false);
    } else {
      (lines[direction] as Line).faults.cut = true;
      this.judge.pathTouched(path, this.queue.now);
      this.#updateDsr();
    }
    this.queue.at(this.queue.now + durationMs, () => this.#plug(path, true));
  }

  /** Unplugs a cable (data and DSR both ways) or plugs it back in. */
  #plug(path: number, plugged: boolean): void {
    for (const line of this.lines[path] as Line[]) line.faults.cut = !plugged;
    this.unplugged[path] = !plugged;
    this.judge.pathTouched(path, this.queue.now);
    this.#updateDsr();
  }

  #noise(): void {
    const path = Math.floor(this.random() * this.pathCount);
    const direction = this.random() < 0.5 ? 0 : 1;
    const kind = Math.floor(this.random() * 4);
    const durationMs = 50 + this.random() * 1500;
    this.#window('noise', `noise on path ${path}`, durationMs);
    this.#noiseKind(path, direction, kind, this.random, durationMs);
  }

  /** Noise on one direction of `path`, from the wide model's draws. */
  #noiseOn(path: number, random: () => number, durationMs: number): void {
    const direction = random() < 0.5 ? 0 : 1;
    this.#noiseKind(path, direction, Math.floor(random() * 4), random, durationMs);
  }

  #noiseKind(
    path: number,
    direction: 0 | 1,
    kind: number,
    random: () => number,
    durationMs: number,
  ): void {
    const faults = ((this.lines[path] as Line[])[direction] as Line).faults;
    if (kind === 0) faults.lossRate = 0.01 + random() * 0.3;
    else if (kind === 1) faults.corruptRate = 0.01 + random() * 0.3;
    else if (kind === 2) faults.duplicateRate = 0.01 + random() * 0.3;
    else faults.delayMs = 1 + random() * 15;
    this.judge.pathTouched(path, this.queue.now);
    this.trace.push(
      `${this.#time()}  fault: ${['loss', 'corruption', 'duplication', 'delay'][kind]} on path ${path} for ${durationMs.toFixed(0)} ms`,
    );
    this.queue.at(this.queue.now + durationMs, () => {
      Object.assign(faults, { ...noFaults(), cut: faults.cut });
      this.judge.pathTouched(path, this.queue.now);
    });
  }

  // --------------------------------------------------------- final phase

  /** Faults stop; everything is restored; the pair must re-form and every client be answered. */
  #finalPhase(): void {
    this.inFinalPhase = true;
    this.onSwitchStep = null;
    this.onSwitchStepPush = null;
    this.onSwitchStepHandover = null;
    for (const client of this.clients) client.stop();
    for (const store of this.#stores) {
      if (store === null) continue;
      store.cutAtOperation = 0;
      store.cutAtErase = 0;
      store.failAtOperation = 0;
      store.failNextRead = false;
    }
    this.#endHubStall(true);
    for (const index of [0, 1] as const) {
      this.#stallUntil[index] = this.queue.now;
      this.#endBoardStall(index);
    }
    for (const index of [0, 1] as const) this.#restorePower(index);
    for (let path = 0; path < this.pathCount; path++) {
      this.unplugged[path] = false;
      for (const line of this.lines[path] as Line[]) line.faults = noFaults();
    }
    this.#updateDsr();
    const deadline = this.queue.now + REFORM_BOUND_MS;
    this.windows.endAll(this.queue.now);
    this.#checkWhole();
    // A mismatched partner can never join: the pair settles with one board serving alone.
    const alone = this.profile.mismatch !== null;
    // Settled: whole, on a confirmed image, every client answered, and the
    // backup caught up (it applies what it acknowledged a batch a call).
    const caughtUp = () => {
      const primary = this.boards.find((b) => b.core?.role === 'primary')?.core;
      const backup = this.boards.find((b) => b.core?.role === 'backup')?.core;
      return primary == null || backup == null || backup.txn >= primary.txn;
    };
    const settled = () =>
      this.#pairWhole() &&
      (alone || this.boards.some((b) => b.core?.role === 'primary' && !b.core.hello.testMode)) &&
      this.clients.every((c) => c.idle) &&
      caughtUp();
    while (!settled() && this.queue.now < deadline) this.queue.advanceTo(this.queue.now + 10);
    if (!settled()) {
      const roles = this.boards.map(
        (b) =>
          `P${b.processor} ${b.core?.role ?? 'off'} ${b.version}${b.trial ? ' (trial)' : ''} at txn ${b.core?.txn ?? '-'}`,
      );
      const waiting = this.clients.filter((c) => !c.idle).length;
      this.history.violation(
        this.queue.now,
        'not-reformed',
        `after ${REFORM_BOUND_MS} ms without faults: ${roles.join(', ')}; ${waiting} clients unanswered`,
      );
      return;
    }
    const cores = this.boards.map((b) => b.core);
    const primary = cores.find((c) => (alone ? c?.serving : c?.role === 'primary')) as SimCore;
    this.finalStateBytes = JSON.stringify(primary.state)?.length ?? 0;
    this.history.checkSequential(this.queue.now, primary.state, primary.hello.version, primary.txn);
    const room = primary.durable?.room;
    if (room !== undefined)
      this.history.checkRoom(this.queue.now, primary.state, room.snapshotBytesMax);
    const backup = cores.find((c) => c?.role === 'backup');
    if (this.wide && backup != null && !isDeepStrictEqual(backup.state, primary.state)) {
      this.worldViolations.push({
        at: this.queue.now,
        kind: 'backup-state-differs',
        detail: `at txn ${primary.txn} (backup at ${backup.txn}): primary ${short(primary.state)}, backup ${short(backup.state)}`,
      });
    }
  }

  #result(): SeedResult {
    const h = this.history;
    const faultCounts = {
      ...this.faultCounts,
      'app-exception': this.#faultTally.appExceptions,
      'install-failure': this.#faultTally.installFailures,
    };
    const found: SeedViolation[] = [...h.violations, ...this.worldViolations].sort(
      (a, b) => a.at - b.at,
    );
    const violations: SeedViolation[] = [];
    const multiFault: SeedViolation[] = [...this.multiFaultFindings];
    for (const v of found) {
      // Service gaps were judged as they were found, sample by sample.
      const judged =
        this.wide && v.kind !== 'service-gap'
          ? this.windows.classify(v.kind, v.at, v.sinceMs)
          : null;
      if (judged?.multiFault === true)
        multiFault.push({ ...v, detail: `${v.detail} [faults: ${describeFaults(judged.faults)}]` });
      else violations.push(v);
    }
    multiFault.sort((a, b) => a.at - b.at);
    return {
      seed: this.options.seed,
      faultModel: this.wide ? 'wide' : 'classic',
      durability: this.options.durability ?? 'memory',
      topology: this.profile.topology,
      violations,
      multiFault,
      acknowledged: h.acknowledged,
      lost: h.lost,
      duplicated: h.duplicated,
      splitBrain: this.counts.splitBrain,
      takeovers: this.counts.takeovers,
      switches: this.counts.switches,
      fallbacks: this.counts.fallbacks,
      switchFailures: this.counts.switchFailures,
      switchesRefusedUnpushed: this.counts.switchesRefusedUnpushed,
      pushesCompleted: this.counts.pushesCompleted,
      pushesInterrupted: this.counts.pushesInterrupted,
      doubleFailures: this.counts.doubleFailures,
      switchWindowLosses: this.counts.switchWindowLosses,
      lostToDoubleFailure: h.lostToDoubleFailure,
      refusedStoreFull: h.refusedStoreFull,
      powerPulls: this.powerPulls,
      faultsInjected: this.faultsInjected,
      faultCounts,
      falseTakeovers: this.counts.falseTakeovers,
      finalStateBytes: this.finalStateBytes,
      holdMsMax: this.holdMsMax,
      virtualMs: this.queue.now,
      trace: this.trace,
      finalVersions: this.boards.map((b) => b.version),
    };
  }

  #time(): string {
    return `${this.queue.now.toFixed(3).padStart(10)} ms`;
  }

  #log(index: 0 | 1, text: string): void {
    if (this.options.trace) this.trace.push(`${this.#time()}  P${index + 1}  ${text}`);
  }
}

/** A value for a violation's detail: its JSON, cut short. */
function short(value: unknown): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > 160 ? `${text.slice(0, 160)}...` : text;
}

interface PushInFlight {
  readonly version: string;
  readonly slot: 0 | 1;
  readonly startMs: number;
  /** Where it resumed: 0 for a push from the start. */
  readonly fromByte: number;
}

/** One event as a trace line; `version` is the image of the board that gave it. */
function describe(event: PairEvent, version?: string): string {
  switch (event.kind) {
    case 'role':
      return `role ${event.role} (term ${event.term}): ${event.cause === 'boot' ? `boot ${version}` : causeText(event.cause, event.why)}`;
    case 'takeover':
      return `TAKEOVER${event.fenced ? ' after fencing the partner' : ''}: ${reasonText(event.why)}`;
    case 'path':
      return `path ${event.path} ${event.up ? 'up' : 'down'}`;
    case 'switch':
      return `switch step ${event.step} ${event.ok ? 'ok' : 'FAILED'}${event.why === undefined ? '' : `: ${reasonText(event.why)}`}`;
    case 'bad-input':
      return `bad input on path ${event.path}: ${event.code}: ${reasonText(event.why)}`;
    case 'cold-start':
      return `cold start on ${event.version}`;
    case 'executed':
      return `${event.refused === undefined ? 'executed' : `refused (${event.refused})`} ${event.clientId}#${event.syncId} as txn ${event.txn}`;
    case 'alarm':
      return `ALARM: ${reasonText(event.why)}`;
    case 'recovered':
      return `recovered txn ${event.txn} (term ${event.storedTerm}) from the durable store${event.alone ? ', no partner heard' : ''}`;
    case 'store-refused':
      return `durable store refused (${event.code}): ${reasonText(event.why)}`;
    case 'store-full':
      return storeFullEventText(event);
    case 'awaiting-partner':
      return `store holds txn ${event.storedTxn} (term ${event.storedTerm}); waiting for the partner, whose history may be newer`;
    case 'fence':
      return 'fences the partner';
    case 'false-suspicion':
      return `false suspicion: the partner was silent for ${event.silentMs.toFixed(0)} ms with DSR high`;
  }
}
