/**
 * The single faults a pair must survive (ARCHITECTURE principle 8, issue 9
 * section 1), as the lab makes them: each class, what one fault of it looks
 * like when drawn from a seed, and how it is done to a lab through
 * `FaultLab`. Which takeovers a fault explains is part of the fault: a
 * board really gone (power) or silent past the takeover time (a stall that
 * long) explains its partner's takeover; a one-path fault or a shorter stall
 * explains none.
 */
import { performance } from 'node:perf_hooks';
import { wallClockMs } from '../boards/wall-clock.ts';
import type { PowerEvent } from '../host/history/history-check.ts';
import type { Excuse } from '../host/history/takeover-excuses.ts';
import type {
  CableDirection,
  CableDirectionChoice,
  FaultRate,
  LineFaults,
} from '../host/lab/cable-faults.ts';
import type { FaultChange } from '../host/lab/hub/control.ts';

/** One kind of single fault. */
export type FaultClass =
  | 'power-primary'
  | 'power-backup'
  | 'stall-primary'
  | 'stall-backup'
  | 'stall-wires'
  | 'cut-one-way'
  | 'unplug-path'
  | 'crossed-cuts'
  | 'noise-and-cut'
  | 'store-fault-primary'
  | 'store-fault-backup';

/** Each class in one line, in the order the table lists them. */
export const FAULT_CLASSES: Readonly<Record<FaultClass, string>> = {
  'power-primary': "pull the primary's power, restore it after 0.2-2 s",
  'power-backup': "pull the backup's power, restore it after 0.2-2 s",
  'stall-primary': "stop the primary's board process (SIGSTOP) for 0.1-2 s",
  'stall-backup': "stop the backup's board process (SIGSTOP) for 0.1-2 s",
  'stall-wires':
    'stop the lab daemon (hub, DSR and fence lines) for 0.1-2 s, as a loaded machine does',
  'cut-one-way': 'cut one direction of one path for 1-10 s',
  'unplug-path': 'unplug one path (both directions and DSR) for 1-10 s',
  'crossed-cuts': 'cut path 0 from P1 to P2 and path 1 from P2 to P1 for 1-10 s',
  'noise-and-cut':
    'noise (loss, corruption, duplicates) on one path and the other cut one way, for 1-10 s',
  'store-fault-primary':
    "fail one of the primary's next 1-4 store writes or erases with the power on (worn flash), then wait 2-4 s",
  'store-fault-backup':
    "fail one of the backup's next 1-4 store writes or erases with the power on (worn flash), then wait 2-4 s",
};

export const FAULT_CLASS_NAMES = Object.keys(FAULT_CLASSES) as readonly FaultClass[];

export function isFaultClass(name: string): name is FaultClass {
  return Object.hasOwn(FAULT_CLASSES, name);
}

type Role = 'primary' | 'backup';
type Path = 0 | 1;

/** Rates of the noise on a path. */
export type Noise = Pick<LineFaults, FaultRate>;

/** One fault as the seed draws it; the processor in a role is found when it is done. */
export type PlannedFault = {
  /** Load runs this long on the whole pair before the fault: a random moment. */
  readonly leadMs: number;
  /** How long the fault lasts before it is put right. */
  readonly durationMs: number;
} & (
  | { readonly kind: 'power-primary' | 'stall-primary'; readonly role: 'primary' }
  | { readonly kind: 'power-backup' | 'stall-backup'; readonly role: 'backup' }
  | {
      readonly kind: 'store-fault-primary' | 'store-fault-backup';
      readonly role: Role;
      /** Which of the board's next store writes and erases fails (1: the next). */
      readonly operation: number;
    }
  | { readonly kind: 'stall-wires' | 'crossed-cuts' }
  | { readonly kind: 'cut-one-way'; readonly path: Path; readonly direction: CableDirection }
  | { readonly kind: 'unplug-path'; readonly path: Path }
  | {
      readonly kind: 'noise-and-cut';
      readonly noisyPath: Path;
      readonly noise: Noise;
      /** The other path is cut in this direction. */
      readonly direction: CableDirection;
    }
);

const between = (random: () => number, fromMs: number, toMs: number) =>
  Math.round(fromMs + random() * (toMs - fromMs));

/** Load before the fault: long enough for requests in flight, short enough for many runs. */
const LEAD_MS = [300, 2000] as const;
const POWER_OFF_MS = [200, 2000] as const;
const STALL_MS = [100, 2000] as const;
const CUT_MS = [1000, 10_000] as const;
/** Long enough for a loaded board's next store operations and its stop; a reboot is not waited for. */
const STORE_FAULT_WAIT_MS = [2000, 4000] as const;
const STORE_FAULT_OPERATIONS_MAX = 4;
/** Each noise rate is drawn up to this: enough to corrupt frames often, not to silence the path. */
const NOISE_RATE_MAX = 0.2;

/** A fault of class `kind` drawn from `random`; the same draws give the same fault. */
export function planFault(kind: FaultClass, random: () => number): PlannedFault {
  const leadMs = between(random, ...LEAD_MS);
  const path: Path = random() < 0.5 ? 0 : 1;
  const direction: CableDirection = random() < 0.5 ? 'a-to-b' : 'b-to-a';
  const rate = () => Math.round(random() * NOISE_RATE_MAX * 1000) / 1000;
  switch (kind) {
    case 'power-primary':
      return { kind, role: 'primary', leadMs, durationMs: between(random, ...POWER_OFF_MS) };
    case 'power-backup':
      return { kind, role: 'backup', leadMs, durationMs: between(random, ...POWER_OFF_MS) };
    case 'stall-primary':
      return { kind, role: 'primary', leadMs, durationMs: between(random, ...STALL_MS) };
    case 'stall-backup':
      return { kind, role: 'backup', leadMs, durationMs: between(random, ...STALL_MS) };
    case 'stall-wires':
      return { kind, leadMs, durationMs: between(random, ...STALL_MS) };
    case 'cut-one-way':
      return { kind, path, direction, leadMs, durationMs: between(random, ...CUT_MS) };
    case 'unplug-path':
      return { kind, path, leadMs, durationMs: between(random, ...CUT_MS) };
    case 'crossed-cuts':
      return { kind, leadMs, durationMs: between(random, ...CUT_MS) };
    case 'store-fault-primary':
    case 'store-fault-backup':
      return {
        kind,
        role: kind === 'store-fault-primary' ? 'primary' : 'backup',
        operation: 1 + Math.floor(random() * STORE_FAULT_OPERATIONS_MAX),
        leadMs,
        durationMs: between(random, ...STORE_FAULT_WAIT_MS),
      };
    case 'noise-and-cut':
      return {
        kind,
        noisyPath: path,
        noise: { lossRate: rate(), corruptRate: rate(), duplicateRate: rate() },
        direction,
        leadMs,
        durationMs: between(random, ...CUT_MS),
      };
  }
}

/** The fault in a few words, with what the seed drew. */
export function describeFault(fault: PlannedFault): string {
  const s = `${(fault.durationMs / 1000).toFixed(2)} s`;
  switch (fault.kind) {
    case 'power-primary':
    case 'power-backup':
      return `${fault.role} off for ${s}`;
    case 'stall-primary':
    case 'stall-backup':
      return `${fault.role} stopped for ${s}`;
    case 'stall-wires':
      return `wires stopped for ${s}`;
    case 'cut-one-way':
      return `path ${fault.path} cut ${fault.direction} for ${s}`;
    case 'unplug-path':
      return `path ${fault.path} unplugged for ${s}`;
    case 'crossed-cuts':
      return `path 0 cut a-to-b and path 1 cut b-to-a for ${s}`;
    case 'store-fault-primary':
    case 'store-fault-backup':
      return `${fault.role}'s store operation +${fault.operation} fails, then ${s}`;
    case 'noise-and-cut': {
      const n = fault.noise;
      return `path ${fault.noisyPath} noisy (loss ${n.lossRate}, corrupt ${n.corruptRate}, duplicate ${n.duplicateRate}), path ${otherPath(fault.noisyPath)} cut ${fault.direction}, for ${s}`;
    }
  }
}

const otherPath = (path: Path): Path => (path === 0 ? 1 : 0);

/** What a fault needs from the lab. */
export interface FaultLab {
  /** The processor in `role` now. */
  processorIn(role: Role): Promise<1 | 2>;
  power(processor: 1 | 2, on: boolean): Promise<void>;
  /** The process of a powered board. */
  boardPid(processor: 1 | 2): Promise<number>;
  /** The process that owns the hub, the DSR lines and the fence lines. */
  wiresPid(): number;
  /** Sets faults on one direction (or both) of a path's cable. */
  cable(path: Path, direction: CableDirectionChoice, faults: FaultChange): Promise<void>;
  /** Clears every fault of a path's cable. */
  restoreCable(path: Path): Promise<void>;
  /** Arms `processor`'s store to fail its `operation`-th next write or erase, once, with the power on. */
  storeFault(processor: 1 | 2, operation: number): Promise<void>;
  /** Stops or continues a process. */
  signal(pid: number, signal: 'SIGSTOP' | 'SIGCONT'): void;
  sleep(ms: number): Promise<void>;
}

/** A fault as it was done. Times are performance.now(). */
export interface DoneFault {
  readonly planned: PlannedFault;
  /** The board the fault was done to, for the classes that pick one by role. */
  readonly processor: 1 | 2 | null;
  readonly startedAtMs: number;
  /** When it was put right. */
  readonly endedAtMs: number;
  /** The power switched, for the split-brain check (times performance.now()). */
  readonly power: readonly PowerEvent[];
  /** The spans in which a board was gone or silent long enough to explain a takeover. */
  readonly excuses: readonly Excuse[];
}

/**
 * Does `fault` to the lab and puts it right after its duration.
 * `takeoverAfterMs`: how long a backup waits on silence alone before it
 * takes over (a stall at least this long explains a takeover).
 */
export async function doFault(
  fault: PlannedFault,
  lab: FaultLab,
  takeoverAfterMs: number,
): Promise<DoneFault> {
  const power: PowerEvent[] = [];
  const excuses: Excuse[] = [];
  const excuse = (absent: 1 | 2, fromMs: number, toMs: number) =>
    excuses.push({ absent, fromWallMs: wallClockMs(fromMs), toWallMs: wallClockMs(toMs) });
  const switchPower = async (processor: 1 | 2, on: boolean) => {
    const requestedAtMs = performance.now();
    await lab.power(processor, on);
    power.push({ processor, on, requestedAtMs, atMs: performance.now() });
    return requestedAtMs;
  };
  /** Stops `pid` for the fault's duration; the stop and the continuation times. */
  const stall = async (pid: number): Promise<[number, number]> => {
    const from = performance.now();
    lab.signal(pid, 'SIGSTOP');
    try {
      await lab.sleep(fault.durationMs);
    } finally {
      lab.signal(pid, 'SIGCONT');
    }
    return [from, performance.now()];
  };
  /** Holds the cables' faults for the duration, then restores every path named. */
  const cables = async (
    faults: readonly (readonly [Path, CableDirectionChoice, FaultChange])[],
  ) => {
    try {
      for (const [path, direction, change] of faults) await lab.cable(path, direction, change);
      await lab.sleep(fault.durationMs);
    } finally {
      for (const path of new Set(faults.map(([path]) => path))) await lab.restoreCable(path);
    }
  };

  const startedAtMs = performance.now();
  let processor: 1 | 2 | null = null;
  switch (fault.kind) {
    case 'power-primary':
    case 'power-backup': {
      const victim = await lab.processorIn(fault.role);
      processor = victim;
      const offAt = await switchPower(victim, false);
      try {
        await lab.sleep(fault.durationMs);
      } finally {
        excuse(victim, offAt, await switchPower(victim, true));
      }
      break;
    }
    case 'stall-primary':
    case 'stall-backup': {
      const victim = await lab.processorIn(fault.role);
      processor = victim;
      const [from, to] = await stall(await lab.boardPid(victim));
      if (to - from >= takeoverAfterMs) excuse(victim, from, to);
      break;
    }
    case 'store-fault-primary':
    case 'store-fault-backup': {
      // The board stops and reboots of itself when the operation fails: its partner's takeover is explained.
      const victim = await lab.processorIn(fault.role);
      processor = victim;
      const armedAt = performance.now();
      await lab.storeFault(victim, fault.operation);
      await lab.sleep(fault.durationMs);
      excuse(victim, armedAt, performance.now());
      break;
    }
    case 'stall-wires': {
      const [from, to] = await stall(lab.wiresPid());
      if (to - from >= takeoverAfterMs) {
        excuse(1, from, to);
        excuse(2, from, to);
      }
      break;
    }
    case 'cut-one-way':
      await cables([[fault.path, fault.direction, { cut: true }]]);
      break;
    case 'unplug-path':
      await cables([[fault.path, 'both', { cut: true }]]);
      break;
    case 'crossed-cuts':
      await cables([
        [0, 'a-to-b', { cut: true }],
        [1, 'b-to-a', { cut: true }],
      ]);
      break;
    case 'noise-and-cut':
      await cables([
        [fault.noisyPath, 'both', fault.noise],
        [otherPath(fault.noisyPath), fault.direction, { cut: true }],
      ]);
      break;
  }
  return {
    planned: fault,
    processor,
    startedAtMs,
    endedAtMs: performance.now(),
    power,
    excuses,
  };
}
