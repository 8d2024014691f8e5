/**
 * Ledger clients on a pair's two bus ports: the load `tandem load`, the
 * demos, the benchmarks and the HIL campaign run, on the lab or on real
 * boards.
 */
import type { BindingInterface } from '@serialport/bindings-interface';
import type { AnyApp } from '../../firmware/app.ts';
import { LEDGER_VERSIONS, ledgerWorkload } from '../../firmware/apps/ledger/index.ts';
import type { History } from '../history/client-history.ts';
import { endpoint, type LabConfig, portPath } from '../lab/lab-config.ts';
import { SimBinding } from '../lab/serial/sim-binding.ts';
import { BusPort } from './bus-port.ts';
import { LoadGenerator, type LoadOptions } from './load-generator.ts';

export interface LabLoad {
  readonly load: LoadGenerator;
  readonly ports: readonly [BusPort, BusPort];
}

/** Per-run changes to the clients' pacing (a benchmark saturates with no think time). */
export type LabLoadPacing = Partial<Pick<LoadOptions, 'timeoutMs' | 'thinkMsMax'>>;

/** The ledger versions the clients and the history checks know. */
export function loadLedger(version: string): AnyApp {
  const factory = LEDGER_VERSIONS[version as keyof typeof LEDGER_VERSIONS];
  if (factory === undefined) throw new Error(`no ledger ${version} to check the history with`);
  return factory();
}

export interface BusLoadOptions {
  readonly binding: BindingInterface;
  /** The bus ports of P1, then P2. */
  readonly paths: readonly [string, string];
  readonly baud: number;
  readonly clients: number;
  /** Accounts the clients open and use (the ledger workload's default unless given). */
  readonly accounts?: number;
  readonly seed: number;
  /** Starts the clients' sync ids ('load', 'hil'); the time is added to it. */
  readonly clientPrefix: string;
  readonly pacing?: LabLoadPacing;
  /** The history the clients answer into; a new one if not given. */
  readonly history?: History;
  /** Each client's requests; the ledger workload by default. */
  readonly workload?: LoadOptions['workload'];
  /** Both boards hear the field bus (LoadOptions.busShared). */
  readonly busShared?: boolean;
}

/** Ledger clients over two bus ports; a port that fails to open closes the one opened before. */
export async function openBusLoad(options: BusLoadOptions): Promise<LabLoad> {
  const load = new LoadGenerator({
    clients: options.clients,
    seed: options.seed,
    workload: options.workload ?? ((random) => ledgerWorkload(random, options.accounts)),
    loadApp: loadLedger,
    // Clients follow announcements; the timeout only covers a lost request.
    timeoutMs: 500,
    thinkMsMax: 5,
    // A pair remembers clients' sync ids: a new run must not reuse an old run's ids.
    clientPrefix: `${options.clientPrefix}-${Date.now().toString(36)}`,
    history: options.history,
    busShared: options.busShared === true,
    ...options.pacing,
  });
  const ports: BusPort[] = [];
  try {
    for (const board of [0, 1] as const) {
      ports.push(
        await BusPort.open(
          options.binding,
          options.paths[board],
          options.baud,
          load.handlersFor(board),
        ),
      );
    }
  } catch (error) {
    for (const port of ports) await port.close().catch(() => {});
    throw error;
  }
  const both = ports as unknown as readonly [BusPort, BusPort];
  load.attach(both);
  return { load, ports: both };
}

/** Ledger clients on a lab's field bus. */
export async function openLabLoad(
  config: LabConfig,
  clients: number,
  seed: number,
  pacing: LabLoadPacing = {},
  accounts?: number,
  workload?: LoadOptions['workload'],
): Promise<LabLoad> {
  return openBusLoad({
    ...(accounts === undefined ? {} : { accounts }),
    binding: SimBinding,
    paths: [portPath(config, endpoint.client(1)), portPath(config, endpoint.client(2))],
    baud: config.busBaud,
    clients,
    seed,
    clientPrefix: 'load',
    pacing,
    busShared: config.busShared,
    ...(workload === undefined ? {} : { workload }),
  });
}
