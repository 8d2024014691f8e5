/** Ledger clients on a lab's field bus: the load `tandem load` and the demo run. */
import { SimBinding } from '../../boards/sim/serial/sim-binding.ts';
import { LEDGER_VERSIONS, ledgerWorkload } from '../../firmware/apps/ledger/index.ts';
import { endpoint, type LabConfig, portPath } from '../lab/lab-config.ts';
import { BusPort } from './bus-port.ts';
import { LoadGenerator, type LoadOptions } from './load-generator.ts';

export interface LabLoad {
  readonly load: LoadGenerator;
  readonly ports: readonly [BusPort, BusPort];
}

/** Per-run changes to the clients' pacing (a benchmark saturates with no think time). */
export type LabLoadPacing = Partial<Pick<LoadOptions, 'timeoutMs' | 'thinkMsMax'>>;

export async function openLabLoad(
  config: LabConfig,
  clients: number,
  seed: number,
  pacing: LabLoadPacing = {},
): Promise<LabLoad> {
  const load = new LoadGenerator({
    clients,
    seed,
    workload: (random) => ledgerWorkload(random),
    loadApp: (version) => LEDGER_VERSIONS[version as keyof typeof LEDGER_VERSIONS](),
    // Clients follow announcements; the timeout only covers a lost request.
    timeoutMs: 500,
    thinkMsMax: 5,
    clientPrefix: `load-${Date.now().toString(36)}`,
    ...pacing,
  });
  const open = (p: 1 | 2) =>
    BusPort.open(
      SimBinding,
      portPath(config, endpoint.client(p)),
      config.baud,
      load.handlersFor(p === 1 ? 0 : 1),
    );
  const ports = [await open(1), await open(2)] as const;
  load.attach(ports);
  return { load, ports };
}
