/**
 * A resolved pair with the operations commands need: management clients for
 * processor 1 and 2, the field-bus ports, the image trust to check a push
 * against, and power and cable backends where the target has them. Commands
 * get their ports from here and never open one themselves.
 */
import { resolve } from 'node:path';
import { autoDetect } from '@serialport/bindings-cpp';
import type { BindingInterface } from '@serialport/bindings-interface';
import { loadPublicKey } from '../../boards/image/public-key.ts';
import type { CableDirectionChoice } from '../lab/cable-faults.ts';
import type { FaultChange } from '../lab/hub/control.ts';
import { openLabBoard } from '../lab/lab-boards.ts';
import { LabClient, LabNotRunningError } from '../lab/lab-client.ts';
import { cable, endpoint, portPath, readLabConfig } from '../lab/lab-config.ts';
import { SimBinding } from '../lab/serial/sim-binding.ts';
import { BoardClient } from '../pair/board-client.ts';
import type { PortsBoard, TargetSpec } from './resolve-target.ts';
import { PairTargetError } from './target-error.ts';

/** The clients' ends of both boards' field-bus ports. */
export interface BusEnds {
  readonly binding: BindingInterface;
  /** Processor 1, then processor 2. */
  readonly paths: readonly [string, string];
  readonly baud: number;
}

/** What a push checks an image against before it writes a byte. */
export interface ImageTrust {
  readonly publicKeys: readonly Uint8Array[];
  /** The board name the image must target. */
  readonly board: string;
}

/** A board's power as the backend sees it. */
export interface PowerState {
  readonly processor: 1 | 2;
  readonly on: boolean;
  /** The board's process on this machine, where the board is one (a lab board); else null. */
  readonly pid: number | null;
}

export interface PowerBackend {
  set(processor: 1 | 2, on: boolean): Promise<void>;
  /** Both boards' power now; null where the backend cannot tell (a relay without feedback). */
  read(): Promise<readonly PowerState[] | null>;
}

export interface CableChange {
  readonly path: 0 | 1;
  readonly direction: CableDirectionChoice;
  readonly faults: FaultChange;
  readonly restore: boolean;
}

export interface CableBackend {
  change(change: CableChange): Promise<void>;
  /** How many interconnect paths there are to cut. */
  paths(): Promise<number>;
}

export interface PairTarget {
  readonly spec: TargetSpec;
  /** For messages: 'the lab in /x/.tandem/lab', 'ports /dev/a, /dev/b'. */
  readonly label: string;
  /** One board's management client; throws PairTargetError 'port-unopenable' or LabNotRunningError. */
  openBoard(processor: 1 | 2): Promise<BoardClient>;
  /** Both boards' clients; if the second will not open, the first is closed. */
  openBoards(): Promise<readonly [BoardClient, BoardClient]>;
  /** The field-bus ports; throws PairTargetError 'no-bus-ports' where the target names none. */
  bus(): Promise<BusEnds>;
  /** Throws PairTargetError 'no-public-key' where the key cannot be read. */
  imageTrust(): Promise<ImageTrust>;
  /** Null where the target cannot switch the boards' power. */
  readonly power: PowerBackend | null;
  /** Null where the target cannot cut or disturb the interconnect. */
  readonly cable: CableBackend | null;
}

export function openPairTarget(spec: TargetSpec): PairTarget {
  return spec.kind === 'lab' ? labTarget(spec) : portsTarget(spec);
}

/** The power backend, or a PairTargetError saying the target has none. */
export function powerOf(target: PairTarget): PowerBackend {
  if (target.power !== null) return target.power;
  throw new PairTargetError(
    'no-power-backend',
    `${target.label} has no power backend: tandem cannot switch these boards' power`,
    'switch them by hand, or through a HIL rig (`tandem hil check --help`); `tandem power` works on a lab (--lab DIR)',
  );
}

/** The cable backend, or a PairTargetError saying the target has none. */
export function cableOf(target: PairTarget): CableBackend {
  if (target.cable !== null) return target.cable;
  throw new PairTargetError(
    'no-cable-backend',
    `${target.label} has no cable backend: tandem cannot cut or disturb real interconnect cables`,
    'unplug the cable by hand; `tandem cable` works on a lab (--lab DIR)',
  );
}

async function bothOrNone(
  open: (processor: 1 | 2) => Promise<BoardClient>,
): Promise<readonly [BoardClient, BoardClient]> {
  const first = await open(1);
  try {
    return [first, await open(2)];
  } catch (error) {
    await first.close().catch(() => {});
    throw error;
  }
}

function labTarget(spec: Extract<TargetSpec, { kind: 'lab' }>): PairTarget {
  const dir = resolve(spec.dir);
  const client = new LabClient(dir);
  const open = async (processor: 1 | 2) => {
    try {
      return await openLabBoard(dir, processor);
    } catch (cause) {
      if (cause instanceof LabNotRunningError) throw cause;
      // A lab port has one owner: most often a demo, a monitor or a dashboard holds it.
      throw new PairTargetError(
        'port-unopenable',
        `cannot open processor ${processor}'s management port in the lab in ${dir}: ${cause instanceof Error ? cause.message : String(cause)}`,
        "a running `tandem demo`, `tandem monitor` or `tandem dashboard` holds the boards' ports: use its page, keys or buttons, or stop it first",
        { cause },
      );
    }
  };
  return {
    spec,
    label: `the lab in ${dir}`,
    openBoard: open,
    openBoards: () => bothOrNone(open),
    async bus() {
      // Fails with LabNotRunningError when no lab runs there.
      await client.boards();
      const config = readLabConfig(dir);
      return {
        binding: SimBinding,
        paths: [portPath(config, endpoint.client(1)), portPath(config, endpoint.client(2))],
        baud: config.busBaud,
      };
    },
    async imageTrust() {
      await client.boards();
      const config = readLabConfig(dir);
      return { publicKeys: [readKey(config.publicKeyFile)], board: config.board };
    },
    power: {
      async set(processor, on) {
        await client.power(processor, on);
      },
      async read() {
        const rails = await client.boards();
        return rails.map((rail) => ({
          processor: rail.processor,
          on: rail.powered,
          pid: rail.pid,
        }));
      },
    },
    cable: {
      async change(change) {
        await client.request({
          op: 'cable',
          cable: cable.path(change.path),
          direction: change.direction,
          faults: change.faults,
          restore: change.restore,
        });
      },
      async paths() {
        await client.boards();
        return readLabConfig(dir).paths;
      },
    },
  };
}

function portsTarget(spec: Extract<TargetSpec, { kind: 'ports' }>): PairTarget {
  const binding = openCheckedBinding(autoDetect());
  const board = (processor: 1 | 2): PortsBoard => spec.boards[processor - 1] as PortsBoard;
  const open = (processor: 1 | 2) => {
    const { host } = board(processor);
    return BoardClient.open(binding, host.path, host.baud, `processor ${processor}`);
  };
  const named = spec.pairName === undefined ? '' : `pair ${spec.pairName}: `;
  return {
    spec,
    label: `${named}ports ${spec.boards.map((b) => b.host.path).join(', ')}`,
    openBoard: open,
    openBoards: () => bothOrNone(open),
    async bus() {
      const [p1, p2] = spec.boards.map((b) => b.bus);
      if (p1 === undefined || p2 === undefined) {
        throw new PairTargetError(
          'no-bus-ports',
          "this command runs clients on the boards' field-bus ports, and the target names none",
          'add --bus B1,B2 (with --port), or "bus" to each board of the pair file',
        );
      }
      return { binding, paths: [p1.path, p2.path], baud: p1.baud };
    },
    async imageTrust() {
      return { publicKeys: [readKey(spec.publicKeyFile)], board: spec.imageBoard };
    },
    power: null,
    cable: null,
  };
}

function readKey(file: string): Uint8Array {
  try {
    return loadPublicKey(file);
  } catch (cause) {
    throw new PairTargetError(
      'no-public-key',
      `cannot read the public key the boards trust (${(cause as Error).message})`,
      'create one with `tandem keys generate`, or name the key in the pair file ("publicKey")',
      { cause },
    );
  }
}

/**
 * A binding whose open failures are PairTargetErrors naming the port: a
 * path that does not exist or cannot be opened is bad input, not a bug.
 */
function openCheckedBinding(binding: BindingInterface): BindingInterface {
  return {
    list: () => binding.list(),
    async open(options) {
      try {
        return await binding.open(options);
      } catch (cause) {
        const reason = (cause instanceof Error ? cause.message : String(cause)).replace(
          /^Error: /,
          '',
        );
        throw new PairTargetError(
          'port-unopenable',
          `cannot open serial port ${options.path}: ${reason}`,
          'check the path with `tandem ports` (a /dev/serial/by-id/ name survives replugging), that nothing else holds the port, and that you may open it (the dialout group)',
          { cause },
        );
      }
    },
  };
}
