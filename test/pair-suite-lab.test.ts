import { endpoint, portPath } from '../host/lab/lab-config.ts';
import { SimBinding } from '../host/lab/serial/sim-binding.ts';
import { startLab } from './helpers/lab-pair.ts';
import { pairSuite } from './helpers/pair-suite.ts';

pairSuite({
  name: 'simulated lab',
  unavailable: null,
  async start() {
    const lab = await startLab({ flash: true });
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
