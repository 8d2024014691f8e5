import { SimBinding } from '../boards/sim/serial/sim-binding.ts';
import { findXsnap } from '../boards/xs/xsnap-cache.ts';
import { endpoint, portPath } from '../host/lab/lab-config.ts';
import { startLab } from './helpers/lab-pair.ts';
import { pairSuite } from './helpers/pair-suite.ts';

// The pair suite on a lab whose processor 1 runs its image in XS (an xsnap
// worker) and processor 2 in Node: checkpoints cross between the engines, and
// whichever board is primary loses power. Skips where XS is not built.
const xs = findXsnap();

pairSuite({
  name: 'simulated lab, P1 on XS and P2 on Node',
  unavailable: xs.available ? null : xs.reason,
  async start() {
    const lab = await startLab({ flash: true, engines: ['xs', 'node'] });
    return {
      hosts: lab.hosts,
      binding: SimBinding,
      busPaths: [
        portPath(lab.config, endpoint.client(1)),
        portPath(lab.config, endpoint.client(2)),
      ],
      baud: lab.config.busBaud,
      powerOff: async (board) => {
        await lab.lab.power(board === 0 ? 1 : 2, false);
      },
      close: () => lab.close(),
    };
  },
});
