/** Opens the host ports of lab boards, the way a tool on the bench would. */
import { resolve } from 'node:path';
import { BoardClient } from '../pair/board-client.ts';
import { LabClient } from './lab-client.ts';
import { endpoint, type LabConfig, portPath, readLabConfig } from './lab-config.ts';
import { SimBinding } from './serial/sim-binding.ts';

export async function openLabBoard(dir: string, processor: 1 | 2): Promise<BoardClient> {
  // Fails with a clear LabNotRunningError when no lab runs there.
  await new LabClient(resolve(dir)).boards();
  return openLabHost(readLabConfig(resolve(dir)), processor);
}

/** One board's host port in a lab known to run. */
export function openLabHost(config: LabConfig, processor: 1 | 2): Promise<BoardClient> {
  return BoardClient.open(
    SimBinding,
    portPath(config, endpoint.host(processor)),
    config.baud,
    `processor ${processor}`,
  );
}

/** Both boards' host ports, processor 1 first; if the second will not open, the first is closed. */
export async function openLabHosts(
  config: LabConfig,
): Promise<readonly [BoardClient, BoardClient]> {
  const first = await openLabHost(config, 1);
  try {
    return [first, await openLabHost(config, 2)];
  } catch (error) {
    await first.close().catch(() => {});
    throw error;
  }
}
