/**
 * Entry of one simulated board process:
 *   node --import tsx boards/sim/main.ts --lab DIR --processor N
 * The lab starts it at power-on and SIGKILLs it at power-off.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadPublicKey } from '../../host/image/keys.ts';
import { LabClient } from '../../host/lab/lab-client.ts';
import { endpoint, portPath, readLabConfig } from '../../host/lab/lab-config.ts';
import { Board } from './board.ts';
import { BootRom } from './boot-rom.ts';
import { FlashFile } from './flash-file.ts';
import { openPortLink } from './port-link.ts';
import { SimBinding } from './serial/sim-binding.ts';

const { values } = parseArgs({
  options: { lab: { type: 'string' }, processor: { type: 'string' } },
});
const dir = values.lab ?? '';
const processor = values.processor === '2' ? 2 : 1;
const config = readLabConfig(dir);
const logFile = join(dir, `p${processor}.log`);
const log = (line: string) =>
  appendFileSync(logFile, `${new Date().toISOString()} P${processor} ${line}\n`);

const flash = new FlashFile(join(dir, `p${processor}-flash.bin`), {
  slotBytes: config.slotBytes,
  nvmBytes: config.nvmBytes,
});
// The board holds the public key it trusts, as written by `tandem keys generate`.
const publicKey = loadPublicKey(config.publicKeyFile);
const bootRom = new BootRom(flash, [publicKey], config.board);
const open = (name: string) => openPortLink(SimBinding, portPath(config, name), config.baud);
const interconnect = await Promise.all(
  Array.from({ length: config.paths }, (_, path) => open(endpoint.path(processor, path))),
);
const ports = {
  interconnect,
  bus: await open(endpoint.bus(processor)),
  host: await open(endpoint.boardHost(processor)),
};
const lab = new LabClient(dir);
const board = new Board({
  processor,
  bootRom,
  ports,
  fencePartner: () =>
    void lab.fence(processor === 1 ? 2 : 1).catch((error) => log(`fence failed: ${error}`)),
  log,
  bootMs: config.bootMs,
  dsrPollMs: 1,
  pairOverrides: { heartbeatIntervalMs: config.heartbeatIntervalMs, baud: config.baud },
});
log('power on');
board.start();
