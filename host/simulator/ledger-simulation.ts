/**
 * The ledger as the simulator runs it (`tandem simulate` without --app):
 * boards start on v1 and upgrade online to v2, whose converters carry the
 * balances across. The workload sticks to v1 requests, which both versions
 * accept, so clients keep working through upgrades and fallbacks.
 */

import { ledgerV1, ledgerV2, ledgerWorkload } from '../../firmware/apps/ledger/index.ts';
import type { SimulationModule } from './app-module.ts';

export const ledgerSimulation: SimulationModule = {
  versions: (model) => [ledgerV1(model), ledgerV2(model)],
  workload: (random) => ledgerWorkload(random),
};

export default ledgerSimulation;
