/**
 * Entry of one simulated board process of the lab (the board support it
 * runs lives in boards/node; this entry reads the lab's files and reaches
 * its daemon, so it is the lab's):
 *   node --import tsx host/lab/board-process.ts --lab DIR --processor N
 * Its ports, lines and flash come from its profile in the lab directory.
 * The lab starts it at power-on and SIGKILLs it at power-off.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadPublicKey } from '../../boards/image/public-key.ts';
import type { ImageRunner } from '../../boards/image-engine.ts';
import { Board } from '../../boards/node/board.ts';
import { BootRom } from '../../boards/node/boot-rom.ts';
import { FlashFile } from '../../boards/node/flash-file.ts';
import { openPortLink } from '../../boards/node/port-link.ts';
import { StoreFile, storeLine } from '../../boards/node/store-file.ts';
import { loadBoardProfile } from '../../boards/profile.ts';
import { profilePairConfig } from '../../boards/profile-pair-config.ts';
import { runImageInXs } from '../../boards/xs/xs-image.ts';
import { findXsnap } from '../../boards/xs/xsnap-cache.ts';
import { LabClient } from './lab-client.ts';
import { boardLogFile, portPath, profileFile, readLabConfig, storeFile } from './lab-config.ts';
import { SimBinding } from './serial/sim-binding.ts';

const { values } = parseArgs({
  options: {
    lab: { type: 'string' },
    processor: { type: 'string' },
    // The store fails its first read (see the lab's 'store-fault-at', operation 0).
    'fail-first-store-read': { type: 'boolean' },
    // Every read of the store fails (the lab's 'store-reads-fail').
    'store-reads-fail': { type: 'boolean' },
  },
});
const dir = values.lab ?? '';
const processor = values.processor === '2' ? 2 : 1;
const config = readLabConfig(dir);
const logFile = join(dir, boardLogFile(processor));
const log = (line: string) =>
  appendFileSync(logFile, `${new Date().toISOString()} P${processor} ${line}\n`);

const profile = await loadBoardProfile(join(dir, profileFile(processor)));
const flash = new FlashFile(join(dir, `p${processor}-flash.bin`), profile.flash);
// The durable store keeps its file across power pulls (and `lab up --keep`).
const store =
  profile.store === undefined
    ? null
    : new StoreFile(join(dir, storeFile(processor)), profile.store);
if (store !== null && values['fail-first-store-read'] === true) store.failNextRead = true;
if (store !== null && values['store-reads-fail'] === true) store.readsFail = true;
// The board holds the public key it trusts, as written by `tandem keys generate`.
const publicKey = loadPublicKey(config.publicKeyFile);
const bootRom = new BootRom(flash, [publicKey], config.board);
const open = (port: { path: string; baud: number }) =>
  openPortLink(SimBinding, portPath(config, port.path), port.baud);
const ports = {
  interconnect: await Promise.all(profile.interconnect.map(open)),
  bus: await open(profile.bus),
  host: await open(profile.host),
};
const lab = new LabClient(dir);
const engine = config.engines[processor - 1] ?? 'node';
let runImage: ImageRunner | undefined;
if (engine === 'xs') {
  const xs = findXsnap();
  if (!xs.available) {
    log(`cannot run images in XS: ${xs.reason}`);
    process.exit(1);
  }
  runImage = (payload, hal, overrides, calls) =>
    runImageInXs(payload, hal, overrides, xs.path, config.xsHeapBytes, calls);
}
log(`images run in ${engine === 'xs' ? 'XS (xsnap)' : 'Node (sandbox)'}`);
log(storeLine(store));
// The lab may watch for a switch step (to cut a board's power at that instant): report it at once.
let reportSwitchStep: string | null = null;
process.on(
  'message',
  (message: {
    reportSwitchStep?: unknown;
    cutInStoreOperation?: unknown;
    failInStoreOperation?: unknown;
  }) => {
    const step = message?.reportSwitchStep;
    if (typeof step === 'string' || step === null) reportSwitchStep = step;
    // Power dies inside the n-th store operation from now: torn, then the process is killed.
    const nth = message?.cutInStoreOperation;
    if (store !== null && typeof nth === 'number' && Number.isInteger(nth) && nth > 0) {
      store.cutAtOperation = store.operations + nth;
    }
    // The n-th write or erase from now fails (torn), the power staying on.
    const failing = message?.failInStoreOperation;
    if (store !== null && typeof failing === 'number' && Number.isInteger(failing) && failing > 0) {
      store.failAtOperation = store.operations + failing;
    }
  },
);
const board = new Board({
  processor,
  bootRom,
  ports,
  fence: profile.lines.fenceToPartnerReset
    ? {
        wired: true,
        // A pin's pulse costs the processor nothing; the lab's request to its
        // daemon (a socket opened) took 0.4 to 0.6 ms of the takeover that
        // fences, ahead of the replies it serves. It goes once they are out.
        pulse: () =>
          setImmediate(() =>
            lab
              .fence(processor === 1 ? 2 : 1, process.pid)
              .catch((error) => log(`fence failed: ${error}`)),
          ),
      }
    : { wired: false },
  log,
  onJournal: (entry) => {
    if (entry.kind === 'switch' && entry.ok && entry.step === reportSwitchStep) {
      process.send?.({ switchStep: entry.step });
    }
  },
  bootMs: config.bootMs,
  store,
  ...(runImage === undefined ? {} : { runImage }),
  dsrPollMs: profile.lines.dsrFromPartner ? 1 : 0,
  pairOverrides: profilePairConfig(profile),
});
log('power on');
board.start();
