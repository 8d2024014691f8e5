/**
 * What a failover campaign runs against: a pair's two host ports, the rig
 * that switches their power, and ledger clients on the pair's bus ports.
 * The simulated lab and real boards differ only in the serial binding and
 * the paths; the campaign sees the same `CampaignTarget` either way.
 */
import { join } from 'node:path';
import { autoDetect } from '@serialport/bindings-cpp';
import { startDemoPair } from '../host/demo/demo-pair.ts';
import type { History } from '../host/history/client-history.ts';
import { boardLogFile, endpoint, portPath } from '../host/lab/lab-config.ts';
import { SimBinding } from '../host/lab/serial/sim-binding.ts';
import { type BusLoadOptions, openBusLoad } from '../host/load/lab-load.ts';
import type { LoadGenerator } from '../host/load/load-generator.ts';
import type { BoardClient } from '../host/pair/board-client.ts';
import { readBoardStatuses } from '../host/pair/board-watch.ts';
import { pushImage } from '../host/pair/push.ts';
import type { Rig } from './rig.ts';

export interface CampaignLoad {
  readonly load: LoadGenerator;
  close(): Promise<void>;
}

export interface CampaignTarget {
  /** For reports: 'sim' or the rig profile's name. */
  readonly rigName: string;
  readonly rig: Rig;
  /** The boards' host (management) ports, P1 then P2. */
  readonly hosts: readonly [BoardClient, BoardClient];
  /** Clients on the pair's bus ports, answering into `history`. */
  openLoad(options: { clients: number; seed: number; history: History }): Promise<CampaignLoad>;
  /**
   * Makes sure both boards' other slots hold the image a switch goes to
   * (scenarios upgrade and mixed); throws with what is missing.
   */
  prepareSwitch(): Promise<void>;
  /** The boards' log files where the rig keeps them (the lab's); none for real boards. */
  readonly boardLogs?: readonly BoardLog[];
}

/** A log file of the run, for the report to link. */
export interface BoardLog {
  /** What it is, e.g. "P1". */
  readonly name: string;
  readonly path: string;
}

/** Ledger clients over the pair's two bus ports, with sync ids of their own ('hil'). */
async function openCampaignLoad(
  options: Omit<BusLoadOptions, 'clientPrefix' | 'pacing'>,
): Promise<CampaignLoad> {
  const { load, ports } = await openBusLoad({ ...options, clientPrefix: 'hil' });
  return {
    load,
    close: async () => {
      for (const port of ports) await port.close().catch(() => {});
    },
  };
}

/**
 * A fresh simulated lab in `dir` (erased), ledger 1.0.0 in both boards and
 * the pair formed, with the rig `openRig` opens (the lab's relay controller,
 * or power commands pointed at the lab's rails). `close` takes it all down.
 */
export async function openSimCampaignTarget(options: {
  readonly dir: string;
  readonly baud: number;
  /** One field bus both boards hear (LabConfig.busShared); a drop per board unless set. */
  readonly busShared?: boolean;
  readonly publicKeyFile: string;
  readonly v1: Uint8Array;
  /** What a switch goes to, pushed by `prepareSwitch`. */
  readonly v2: Uint8Array | null;
  /** The rig that powers the lab's boards, once the lab runs in `labDir`. */
  readonly openRig: (labDir: string) => Promise<Rig>;
  readonly say: (line: string) => void;
}): Promise<CampaignTarget & { close(): Promise<void> }> {
  const pair = await startDemoPair({ ...options, image: options.v1 });
  let rig: Rig;
  try {
    rig = await options.openRig(pair.config.dir);
  } catch (error) {
    await pair.close();
    throw error;
  }
  const { config } = pair;
  return {
    rigName: rig.profile.name,
    rig,
    hosts: pair.hosts,
    boardLogs: ([1, 2] as const).map((processor) => ({
      name: `P${processor}`,
      path: join(config.dir, boardLogFile(processor)),
    })),
    openLoad: ({ clients, seed, history }) =>
      openCampaignLoad({
        binding: SimBinding,
        paths: [portPath(config, endpoint.client(1)), portPath(config, endpoint.client(2))],
        baud: config.busBaud,
        busShared: config.busShared,
        clients,
        seed,
        history,
      }),
    prepareSwitch: async () => {
      if (options.v2 === null) throw new Error('no image to switch to');
      await pushImage(
        pair.hosts.map((client, index) => ({ processor: index === 0 ? 1 : 2, client })),
        options.v2,
        { publicKeys: pair.publicKeys, board: config.board },
      );
    },
    close: async () => {
      await rig.close().catch(() => {});
      await pair.close();
    },
  };
}

/**
 * Real boards: the rig (relays or commands) and host ports `openRigFrom`
 * opened, and the boards' client bus ports. The pair must already run ledger
 * 1.0.0; for a switch, the other version must already be in both other
 * slots (`tandem push`).
 */
export function boardsCampaignTarget(options: {
  readonly rig: Rig;
  readonly hosts: readonly [BoardClient, BoardClient];
  readonly bus: readonly [string, string];
  readonly baud: number;
}): CampaignTarget {
  return {
    rigName: options.rig.profile.name,
    rig: options.rig,
    hosts: options.hosts,
    openLoad: ({ clients, seed, history }) =>
      openCampaignLoad({
        binding: autoDetect(),
        paths: options.bus,
        baud: options.baud,
        clients,
        seed,
        history,
      }),
    prepareSwitch: async () => {
      const statuses = await readBoardStatuses(options.hosts);
      statuses.forEach((status, index) => {
        const other = status?.slots.find((slot) => !slot.active);
        if (other?.status !== 'valid' || other.version === status?.pair?.version) {
          throw new Error(
            `processor ${index + 1}'s other slot holds no other valid version to switch to: \`tandem push\` one first`,
          );
        }
      });
    },
  };
}
