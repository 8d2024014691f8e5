/**
 * The ledger as the simulator runs it (`tandem simulate` without --app):
 * boards start on v1 and upgrade online to v2, whose converters carry the
 * balances across. The workload sticks to v1 requests, which both versions
 * accept, so clients keep working through upgrades and fallbacks. Its
 * big-state workload opens thousands of accounts, for states of tens of KB.
 */

import { ledgerV1, ledgerV2, ledgerWorkload } from '../../firmware/apps/ledger/index.ts';
import type { BigStateModule } from './big-state.ts';

export const ledgerSimulation: BigStateModule = {
  versions: (model) => [ledgerV1(model), ledgerV2(model)],
  workload: (random) => ledgerWorkload(random),
  // Opens `accounts` accounts first, then moves money among them.
  bigStateWorkload: (random, accounts) => ledgerWorkload(random, accounts),
};

export default ledgerSimulation;
