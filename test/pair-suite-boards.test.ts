import { autoDetect } from '@serialport/bindings-cpp';
import { BoardClient } from '../host/pair/board-client.ts';
import { pairSuite } from './helpers/pair-suite.ts';

// Real boards, flashed with ledger 1.0.0 and wired as boards/README.md says:
//   TANDEM_HOST_PORTS=/dev/ttyUSB0,/dev/ttyUSB1 TANDEM_BUS_PORTS=/dev/ttyUSB2,/dev/ttyUSB3 [TANDEM_BAUD=115200] npm test
// Power cannot be cut from here without the HIL rig, so the takeover check passes over them.
const hostPorts = process.env.TANDEM_HOST_PORTS?.split(',') ?? [];
const busPorts = process.env.TANDEM_BUS_PORTS?.split(',') ?? [];
const baud = Number(process.env.TANDEM_BAUD ?? 115200);

pairSuite({
  name: 'real boards',
  unavailable:
    hostPorts.length === 2 && busPorts.length === 2
      ? null
      : "set TANDEM_HOST_PORTS and TANDEM_BUS_PORTS to two serial paths each (the boards' host and bus ports) to run against real boards",
  async start() {
    const binding = autoDetect();
    const hosts = [
      await BoardClient.open(binding, hostPorts[0] ?? '', baud, 'processor 1'),
      await BoardClient.open(binding, hostPorts[1] ?? '', baud, 'processor 2'),
    ] as const;
    return {
      hosts,
      binding,
      busPaths: [busPorts[0] ?? '', busPorts[1] ?? ''],
      baud,
      powerOff: null,
      close: async () => {
        for (const host of hosts) await host.close();
      },
    };
  },
});
