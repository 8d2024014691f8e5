/**
 * Entry of a Linux-class board (Node on the board, e.g. a Raspberry Pi):
 * the same board support as the simulated board, on real UARTs through
 * @serialport/bindings-cpp, configured by a board profile.
 *   npx tandem board run --profile p1.board.json --flash /var/lib/tandem/flash.bin --key image-signing.pub
 *   node --import tsx boards/linux/main.ts --profile p1.board.json --flash /var/lib/tandem/flash.bin --key image-signing.pub
 */
import { appendFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { autoDetect } from '@serialport/bindings-cpp';
import { loadPublicKey } from '../image/public-key.ts';
import { loadBoardProfile } from '../profile.ts';
import { Board } from '../sim/board.ts';
import { BootRom } from '../sim/boot-rom.ts';
import { FlashFile } from '../sim/flash-file.ts';
import { openPortLink } from '../sim/port-link.ts';

export interface LinuxBoardOptions {
  /** The board profile (`*.board.json`). */
  readonly profile: string;
  /** The file that holds the board's flash (both slots and the boot state). */
  readonly flash: string;
  /** The public key file of the images the board trusts. */
  readonly key: string;
  /** Append log lines here instead of stderr. */
  readonly log?: string | undefined;
  /** The board name images must target (default 'linux'). */
  readonly board?: string | undefined;
}

/**
 * Opens the profile's ports and starts the board; it runs until the process
 * ends. Throws BoardProfileError, KeyFileError, or the port's open error.
 */
export async function runLinuxBoard(values: LinuxBoardOptions): Promise<Board> {
  const profile = await loadBoardProfile(values.profile);
  const log = (line: string) => {
    const text = `${new Date().toISOString()} P${profile.processor} ${line}\n`;
    if (values.log === undefined) process.stderr.write(text);
    else appendFileSync(values.log, text);
  };
  const binding = autoDetect();
  const open = (port: { path: string; baud: number }) =>
    openPortLink(binding, port.path, port.baud);
  const ports = {
    interconnect: await Promise.all(profile.interconnect.map(open)),
    bus: await open(profile.bus),
    host: await open(profile.host),
  };
  const board = new Board({
    processor: profile.processor,
    bootRom: new BootRom(
      new FlashFile(values.flash, profile.flash),
      [loadPublicKey(values.key)],
      values.board ?? 'linux',
    ),
    ports,
    // A fence line is a GPIO pulse on real hardware; this entry has no GPIO driver yet.
    fencePartner: () => log('fence requested, but this board has no fence driver'),
    log,
    bootMs: 50,
    dsrPollMs: profile.lines.dsrFromPartner ? 1 : 0,
    pairOverrides: {
      baud: profile.interconnect[0]?.baud ?? 115200,
      dsrWired: profile.lines.dsrFromPartner,
      fenceWired: false,
      ...(profile.timing?.heartbeatIntervalMs === undefined
        ? {}
        : { heartbeatIntervalMs: profile.timing.heartbeatIntervalMs }),
      ...(profile.timing?.suspectMissCount === undefined
        ? {}
        : { suspectMissCount: profile.timing.suspectMissCount }),
    },
  });
  log('power on');
  board.start();
  return board;
}

// Run as a script (not imported by `tandem board run`).
if (
  process.argv[1] !== undefined &&
  fileURLToPath(import.meta.url) === realpathSync(process.argv[1])
) {
  const { values } = parseArgs({
    options: {
      profile: { type: 'string' },
      flash: { type: 'string' },
      key: { type: 'string' },
      log: { type: 'string' },
      board: { type: 'string', default: 'linux' },
    },
  });
  if (values.profile === undefined || values.flash === undefined || values.key === undefined) {
    process.stderr.write(
      'usage: boards/linux/main.ts --profile FILE --flash FILE --key PUBLIC_KEY_FILE [--log FILE]\n',
    );
    process.exit(2);
  }
  await runLinuxBoard({ ...values, profile: values.profile, flash: values.flash, key: values.key });
}
