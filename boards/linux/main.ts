/**
 * Entry of a Linux-class board (Node on the board, e.g. a Raspberry Pi):
 * the same board support as the simulated board, on real UARTs through
 * @serialport/bindings-cpp, and the fence and DSR-substitute lines on GPIO
 * through the libgpiod tools, all configured by a board profile.
 *   node --import tsx boards/linux/main.ts --profile p1.board.json --flash /var/lib/tandem/flash.bin --store /var/lib/tandem/store.bin --key image-signing.pub
 * `runLinuxBoard` is the same entry for a caller (the `tandem board run` command).
 */
import { appendFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { autoDetect } from '@serialport/bindings-cpp';
import { KeyFileError } from '../image/errors.ts';
import { loadPublicKey } from '../image/public-key.ts';
import { Board, type PortLink } from '../node/board.ts';
import { BootRom } from '../node/boot-rom.ts';
import { FlashFile } from '../node/flash-file.ts';
import { openPortLink } from '../node/port-link.ts';
import { StoreFile, StoreFileError, storeLine } from '../node/store-file.ts';
import {
  type BoardPort,
  type BoardProfile,
  BoardProfileError,
  isBoardProfileError,
  loadBoardProfile,
} from '../profile.ts';
import { profilePairConfig } from '../profile-pair-config.ts';
import { type Gpio, isGpioError } from './gpio.ts';
import { gpioFence, gpioLiveness } from './gpio-lines.ts';
import { GpiodTools } from './gpiod-tools.ts';

export interface LinuxBoardOptions {
  /** The board profile (`*.board.json`). */
  readonly profile: string;
  /** The file that stands for the board's flash (image slots and boot state). */
  readonly flash: string;
  /**
   * The file that holds the durable store of the profile's `store` geometry
   * (created erased if missing, synced on every write); without it a
   * retained app runs in memory only, and says so.
   */
  readonly store?: string;
  /** The public key images must be signed with. */
  readonly key: string;
  /** Where log lines go; stderr when absent. */
  readonly log?: string;
  /** The board name images must target; 'linux' by default. */
  readonly board?: string;
  /** GPIO access; by default the libgpiod tools, opened only when the profile names GPIO lines. */
  readonly gpio?: Gpio;
  /** Opens one of the profile's ports; by default through @serialport/bindings-cpp. */
  readonly openPort?: (port: BoardPort) => Promise<PortLink>;
}

export interface LinuxBoard {
  readonly board: Board;
  readonly profile: BoardProfile;
  /** Releases the GPIO lines (the process ending releases them too). */
  close(): Promise<void>;
}

/**
 * Starts a Linux board from its profile. Throws BoardProfileError (a bad
 * profile, or a store file for a profile without a store), KeyFileError (no
 * key), StoreFileError (a store file of another geometry), all before
 * anything opens; GpioError (GPIO lines that cannot be used), or the serial
 * port's error when a port cannot open.
 */
export async function runLinuxBoard(options: LinuxBoardOptions): Promise<LinuxBoard> {
  const profile = await loadBoardProfile(options.profile);
  const publicKey = loadPublicKey(options.key);
  if (options.store !== undefined && profile.store === undefined) {
    throw new BoardProfileError(
      'bad-profile',
      options.profile,
      'store',
      `${options.profile}: field "store" is missing, yet a store file is given; expected the store's geometry { "eraseBlockBytes", "writeBytes", "blockCount", "enduranceCycles" }`,
    );
  }
  const store =
    options.store === undefined || profile.store === undefined
      ? null
      : new StoreFile(options.store, profile.store);
  const log = (line: string) => {
    const text = `${new Date().toISOString()} P${profile.processor} ${line}\n`;
    if (options.log === undefined) process.stderr.write(text);
    else appendFileSync(options.log, text);
  };
  const { lines } = profile;
  const needsGpio = lines.fenceGpio !== undefined || lines.dsrGpio !== undefined;
  const gpio: Gpio | null =
    options.gpio ??
    (needsGpio ? await GpiodTools.open({ onFault: (message) => log(`gpio: ${message}`) }) : null);
  const open =
    options.openPort ?? ((port: BoardPort) => openPortLink(autoDetect(), port.path, port.baud));
  const serial = await Promise.all(profile.interconnect.map(open));
  const liveness =
    lines.dsrGpio !== undefined && gpio !== null
      ? await gpioLiveness(serial, lines.dsrGpio, gpio)
      : null;
  const ports = {
    interconnect: liveness?.interconnect ?? serial,
    bus: await open(profile.bus),
    host: await open(profile.host),
  };
  const board = new Board({
    processor: profile.processor,
    store,
    bootRom: new BootRom(
      new FlashFile(options.flash, profile.flash),
      [publicKey],
      options.board ?? 'linux',
    ),
    ports,
    fence: gpio === null ? { wired: false } : gpioFence(lines, gpio, log),
    log,
    bootMs: 50,
    dsrPollMs: lines.dsrFromPartner ? 1 : 0,
    pairOverrides: profilePairConfig(profile),
  });
  log(
    `power on (${profile.name}; fence ${board.status().fence}; DSR ${lines.dsrGpio ? 'on GPIO' : lines.dsrFromPartner ? 'on the modem lines' : 'not wired'})`,
  );
  log(storeLine(store));
  board.start();
  return { board, profile, close: async () => liveness?.close() };
}

const USAGE =
  'usage: boards/linux/main.ts --profile FILE --flash FILE --key PUBLIC_KEY_FILE [--store FILE] [--log FILE] [--board NAME]\n';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      profile: { type: 'string' },
      flash: { type: 'string' },
      store: { type: 'string' },
      key: { type: 'string' },
      log: { type: 'string' },
      board: { type: 'string' },
    },
  });
  const { profile, flash, key } = values;
  if (profile === undefined || flash === undefined || key === undefined) {
    process.stderr.write(USAGE);
    process.exitCode = 2;
    return;
  }
  try {
    await runLinuxBoard({
      profile,
      flash,
      key,
      ...(values.store === undefined ? {} : { store: values.store }),
      ...(values.log === undefined ? {} : { log: values.log }),
      ...(values.board === undefined ? {} : { board: values.board }),
    });
  } catch (error) {
    if (isGpioError(error)) {
      process.stderr.write(`tandem board: ${error.message}\n  hint: ${error.hint}\n`);
    } else if (
      isBoardProfileError(error) ||
      error instanceof KeyFileError ||
      error instanceof StoreFileError
    ) {
      process.stderr.write(`tandem board: ${error.message}\n`);
    } else {
      throw error;
    }
    process.exitCode = 2;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
