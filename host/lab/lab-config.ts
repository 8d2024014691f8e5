/**
 * The shape of one lab, written to `<dir>/lab.json` by `tandem lab up` and
 * read by every process of the lab: the daemon, the boards and the CLI.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageEngine } from '../../boards/image-engine.ts';

export interface LabConfig {
  readonly dir: string;
  readonly paths: 1 | 2;
  /** Line rate of the interconnect and host ports. */
  readonly baud: number;
  /** Line rate of the field bus (the clients' ports); the same as `baud` unless set apart. */
  readonly busBaud: number;
  /**
   * The field bus is shared (one multi-drop line both boards hear). The lab
   * wires it as the two boards' drops driven together from the clients'
   * side: each request reaches both boards in the same line time, and each
   * board answers on its own drop (only the serving one answers).
   */
  readonly busShared: boolean;
  readonly board: string;
  readonly publicKeyFile: string;
  readonly slotBytes: number;
  readonly nvmBytes: number;
  readonly bootMs: number;
  readonly heartbeatIntervalMs: number;
  /** The engine each board runs its image in, processor 1 first (labs written before: both 'node'). */
  readonly engines: readonly [ImageEngine, ImageEngine];
  /** The heap an XS board's engine may take, fixed as a microcontroller's (bytes); null for none. */
  readonly xsHeapBytes: number | null;
}

export const LAB_FILE = 'lab.json';

/** Each lab board's profile, in the lab directory. */
export function profileFile(processor: 1 | 2): string {
  return `p${processor}.board.json`;
}

/** Each lab board's durable store (its `store` region), in the lab directory. */
export function storeFile(processor: 1 | 2): string {
  return `p${processor}-store.bin`;
}

/** Each lab board's log (what its process says about boot, power and faults), in the lab directory. */
export function boardLogFile(processor: 1 | 2): string {
  return `p${processor}.log`;
}

/** Endpoint names on the hub, by role. */
export const endpoint = {
  path: (processor: 1 | 2, path: number) => `p${processor}-path${path}`,
  bus: (processor: 1 | 2) => `p${processor}-bus`,
  client: (processor: 1 | 2) => `client-p${processor}`,
  boardHost: (processor: 1 | 2) => `p${processor}-host`,
  host: (processor: 1 | 2) => `host-p${processor}`,
  /** The relay controller's end of the `relay` cable (host/lab/relay-controller.ts). */
  relayBoard: 'relay-board',
  /** Where a HIL rig opens the relay controller (hil/open-rig.ts). */
  relayHost: 'relay-host',
};

/** Cable names on the hub: a cable joins two endpoints (`a` is processor 1's end, or the board's). */
export const cable = {
  /** Interconnect path `path` between the boards. */
  path: (path: number) => `path${path}`,
  /** Processor `processor`'s field bus to its clients. */
  bus: (processor: 1 | 2) => `bus-p${processor}`,
  /** Processor `processor`'s management port to the host. */
  host: (processor: 1 | 2) => `host-p${processor}`,
};

/** The serial path a SerialPortStream opens for an endpoint of this lab. */
export function portPath(config: LabConfig, name: string): string {
  return `sim:${join(config.dir, 'hub.sock')}#${name}`;
}

export function readLabConfig(dir: string): LabConfig {
  const config = JSON.parse(readFileSync(join(dir, LAB_FILE), 'utf8')) as LabConfig;
  // Labs written before the field bus had a rate of its own.
  return {
    ...config,
    busBaud: config.busBaud ?? config.baud,
    busShared: config.busShared ?? false,
    engines: config.engines ?? ['node', 'node'],
    xsHeapBytes: config.xsHeapBytes ?? null,
  };
}
