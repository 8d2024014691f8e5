/**
 * `tandem board run --profile FILE --flash FILE [--store FILE]`: the board side of a
 * Linux-class board (boards/linux/main.ts) in this process, until it is
 * stopped (a systemd unit, say). What can be checked before the ports open
 * is: a bad profile, a missing key or port exits 2 with a hint.
 */
import { existsSync } from 'node:fs';
import { KeyFileError } from '../../../boards/image/errors.ts';
import { loadPublicKey } from '../../../boards/image/public-key.ts';
import { runLinuxBoard } from '../../../boards/linux/main.ts';
import { StoreFileError } from '../../../boards/node/store-file.ts';
import { BoardProfileError, loadBoardProfile } from '../../../boards/profile.ts';
import { PUBLIC_KEY_FILE } from '../../image/keys.ts';
import { projectPath } from '../../project-dir.ts';
import type { RegisterCommand } from '../command-registration.ts';
import { ExitCode } from '../exit-codes.ts';
import { userFileErrorFrom } from '../user-file.ts';

interface BoardRunOptions {
  readonly profile: string;
  readonly flash: string;
  readonly store?: string;
  readonly key: string;
  readonly log?: string;
  readonly imageBoard: string;
}

export const registerBoard: RegisterCommand = (program, finish) => {
  const board = program
    .command('board')
    .description('Run this machine as one board of a pair (a Linux-class board).');
  board
    .command('run')
    .description(
      "Start the board side: open the profile's ports, boot the image in flash (or wait for one), and answer the host until stopped.",
    )
    .requiredOption('--profile <file>', "this board's profile (*.board.json)")
    .requiredOption('--flash <file>', "the file that holds the board's flash (created if missing)")
    .option(
      '--store <file>',
      "the file that holds the board's durable store, of the profile's store geometry (created if missing); without it a retained app runs in memory only",
    )
    .option(
      '--key <file>',
      'the public key of the images the board trusts',
      projectPath(process.cwd(), 'keys', PUBLIC_KEY_FILE),
    )
    .option('--log <file>', 'append log lines here (default: stderr)')
    .option('--image-board <name>', 'the board name images must target', 'linux')
    .action(async (options: BoardRunOptions) => {
      const problem = await problemBeforeStart(options);
      if (problem !== null) {
        process.stderr.write(`tandem: ${problem.message}\n  hint: ${problem.hint}\n`);
        finish(ExitCode.usage);
        return;
      }
      try {
        await runLinuxBoard({
          profile: options.profile,
          flash: options.flash,
          ...(options.store === undefined ? {} : { store: options.store }),
          key: options.key,
          log: options.log,
          board: options.imageBoard,
        });
      } catch (error) {
        // Checked before any port or line opens: nothing was changed.
        if (!(error instanceof StoreFileError)) throw error;
        process.stderr.write(
          `tandem: ${error.message}\n  hint: give the profile the geometry the store was written with, or move the file away to start an empty store (its retained state is then gone)\n`,
        );
        finish(ExitCode.usage);
        return;
      }
      // The open ports keep the process running.
      finish(ExitCode.ok);
    });
};

async function problemBeforeStart(
  options: BoardRunOptions,
): Promise<{ message: string; hint: string } | null> {
  let profile: Awaited<ReturnType<typeof loadBoardProfile>>;
  try {
    profile = await loadBoardProfile(options.profile);
  } catch (error) {
    if (!(error instanceof BoardProfileError)) throw error;
    return {
      message: error.message,
      hint: 'see boards/README.md and boards/profiles/board-profile.schema.json',
    };
  }
  if (profile.kind !== 'linux') {
    return {
      message: `${options.profile}: kind is '${profile.kind}'; \`board run\` runs a 'linux' board`,
      hint: "simulated boards run in a lab (`tandem lab up`); use a profile of kind 'linux'",
    };
  }
  if (options.store !== undefined && profile.store === undefined) {
    return {
      message: `${options.profile}: --store is given, but the profile has no "store" geometry`,
      hint: 'add "store": { "eraseBlockBytes", "writeBytes", "blockCount", "enduranceCycles" } to the profile (see boards/README.md), or leave --store out',
    };
  }
  try {
    loadPublicKey(options.key);
  } catch (error) {
    const fileError = userFileErrorFrom(error, options.key, 'the public key file', '');
    if (fileError !== null) {
      return {
        message: fileError.message,
        hint: 'name the public key file (image-signing.pub) with --key',
      };
    }
    if (!(error instanceof KeyFileError)) throw error;
    return {
      message: error.message,
      hint: 'copy the public key (image-signing.pub) from the machine that signs images, and name it with --key',
    };
  }
  const ports = [...profile.interconnect, profile.host, profile.bus];
  const missing = ports.find((port) => !existsSync(port.path));
  if (missing !== undefined) {
    return {
      message: `${options.profile}: serial port ${missing.path} does not exist`,
      hint: 'check the profile against `tandem ports` (and that the UART is enabled)',
    };
  }
  return null;
}
