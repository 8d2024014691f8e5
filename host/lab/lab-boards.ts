/** Opens the host port of a lab board, the way a tool on the bench would. */
import { resolve } from 'node:path';
import { SimBinding } from '../../boards/sim/serial/sim-binding.ts';
import { BoardClient } from './board-client.ts';
import { LabClient } from './lab-client.ts';
import { endpoint, portPath, readLabConfig } from './lab-config.ts';

export async function openLabBoard(dir: string, processor: 1 | 2): Promise<BoardClient> {
  // Fails with a clear LabNotRunningError when no lab runs there.
  await new LabClient(resolve(dir)).boards();
  const config = readLabConfig(resolve(dir));
  return BoardClient.open(
    SimBinding,
    portPath(config, endpoint.host(processor)),
    config.baud,
    `processor ${processor}`,
  );
}
