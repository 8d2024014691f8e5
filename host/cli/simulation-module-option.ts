/**
 * The --app option shared by commands that run the simulator: a path to a
 * simulation module, or the ledger example when it is left out.
 */

import { loadSimulationModule, type SimulationModule } from '../simulator/app-module.ts';
import ledgerSimulation from '../simulator/ledger-simulation.ts';

export const APP_OPTION_HELP =
  'simulation module to run: a .ts, .js or .mjs file in any folder, whose default export (or export `simulation`) has versions(model) and workload(random) (default: the ledger example, host/simulator/ledger-simulation.ts)';

export function simulationModuleFor(appPath: string | undefined): Promise<SimulationModule> {
  return appPath === undefined ? Promise.resolve(ledgerSimulation) : loadSimulationModule(appPath);
}
