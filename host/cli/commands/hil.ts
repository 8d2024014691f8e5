/**
 * `tandem hil ...`: hardware-in-the-loop commands on a rig (relays driven
 * through johnny-five over Firmata: the lab's relay controller or an
 * Arduino). Each subcommand registers through HIL_SUBCOMMANDS; the rig
 * options and opening a rig from them are shared (`addRigOptions`, `openRigFrom`).
 *
 *   tandem hil check --rig sim [--dir LAB] [--profile FILE] [--json]
 *   tandem hil check --rig firmata --port /dev/ttyACM0 --profile FILE --hosts /dev/ttyUSB0,/dev/ttyUSB1
 */
import { autoDetect } from '@serialport/bindings-cpp';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { checkRig, type RigCheckResult, type StatusSource } from '../../../hil/check.ts';
import { openFirmataRig, openSimRig } from '../../../hil/open-rig.ts';
import type { Rig } from '../../../hil/rig.ts';
import { RigNotAnsweringError, RigWiringError } from '../../../hil/rig.ts';
import { loadRigProfile, type RigProfile, RigProfileError } from '../../../hil/rig-profile.ts';
import { BoardClient } from '../../lab/board-client.ts';
import { DEFAULT_LAB_DIR } from '../../lab/lab.ts';
import { openLabBoard } from '../../lab/lab-boards.ts';
import type { RegisterCommand } from '../command-registration.ts';
import { ExitCode } from '../exit-codes.ts';
import { milliseconds, positiveInteger } from '../option-parsers.ts';

/** The options every `hil` subcommand takes to reach its rig and boards. */
export interface RigOptions {
  readonly rig: 'sim' | 'firmata';
  readonly dir: string;
  readonly port?: string;
  readonly profile?: string;
  readonly hosts?: readonly [string, string];
  readonly hostBaud: number;
}

/** A subcommand of `hil`: gets the `hil` command to add itself to. */
export type RegisterHilSubcommand = (hil: Command, finish: (code: ExitCode) => void) => void;

function hostPorts(text: string): readonly [string, string] {
  const parts = text.split(',').map((part) => part.trim());
  const [p1, p2] = parts;
  if (parts.length !== 2 || !p1 || !p2) {
    throw new InvalidArgumentError(
      'Must be two serial ports, P1 then P2: /dev/ttyUSB0,/dev/ttyUSB1.',
    );
  }
  return [p1, p2];
}

export function addRigOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--rig <kind>', "'sim': the lab's relay controller; 'firmata': an Arduino")
        .choices(['sim', 'firmata'])
        .default('sim'),
    )
    .option('--dir <dir>', 'lab directory (--rig sim)', DEFAULT_LAB_DIR)
    .option('--port <path>', 'serial port of the Arduino running StandardFirmata (--rig firmata)')
    .option(
      '--profile <file>',
      'rig profile (*.rig.json); --rig sim defaults to hil/profiles/sim.rig.json',
    )
    .addOption(
      new Option(
        '--hosts <p1,p2>',
        "the boards' management ports, P1 then P2 (--rig firmata)",
      ).argParser(hostPorts),
    )
    .addOption(
      new Option('--host-baud <rate>', 'line rate of the management ports (--rig firmata)')
        .argParser(positiveInteger)
        .default(115200),
    );
}

export interface OpenedRig {
  readonly rig: Rig;
  /** The boards' management ports, P1 then P2. */
  readonly boards: readonly [BoardClient, BoardClient];
  close(): Promise<void>;
}

/** Checks the options' combination; a message for the user, or null when they are usable. */
export function rigOptionsProblem(options: RigOptions): string | null {
  if (options.rig === 'firmata') {
    if (options.port === undefined) return '--rig firmata needs --port (e.g. /dev/ttyACM0)';
    if (options.profile === undefined) return '--rig firmata needs --profile (a *.rig.json)';
    if (options.hosts === undefined) {
      return "--rig firmata needs --hosts: the boards' management ports, P1 then P2";
    }
  }
  return null;
}

/**
 * Opens the boards' ports, then the rig. Throws LabNotRunningError (no lab),
 * RigProfileError (a bad --profile), RigNotAnsweringError or RigWiringError.
 */
export async function openRigFrom(options: RigOptions): Promise<OpenedRig> {
  const profile: RigProfile | undefined =
    options.profile === undefined ? undefined : await loadRigProfile(options.profile);
  const boards: BoardClient[] = [];
  try {
    if (options.rig === 'sim') {
      boards.push(await openLabBoard(options.dir, 1), await openLabBoard(options.dir, 2));
    } else {
      const [p1, p2] = options.hosts ?? ['', ''];
      boards.push(
        await BoardClient.open(autoDetect(), p1, options.hostBaud, 'processor 1'),
        await BoardClient.open(autoDetect(), p2, options.hostBaud, 'processor 2'),
      );
    }
    const rig =
      options.rig === 'sim'
        ? await openSimRig(options.dir, profile)
        : await openFirmataRig(options.port ?? '', profile as RigProfile);
    const [b1, b2] = boards as [BoardClient, BoardClient];
    return {
      rig,
      boards: [b1, b2],
      close: async () => {
        await rig.close();
        for (const board of boards) await board.close();
      },
    };
  } catch (error) {
    for (const board of boards) await board.close();
    throw error;
  }
}

const registerHilCheck: RegisterHilSubcommand = (hil, finish) => {
  addRigOptions(
    hil
      .command('check')
      .description(
        'Check that a rig is wired as its profile says: pull each board in turn and see it go silent while the other keeps answering.',
      ),
  )
    .addOption(
      new Option('--boot-timeout <ms>', 'how long a board may take to answer after power-on')
        .argParser(milliseconds)
        .default(20_000),
    )
    .option('--json', 'print the result as one JSON object', false)
    .action(
      async (options: RigOptions & { bootTimeout: number; json: boolean }, command: Command) => {
        const problem = rigOptionsProblem(options);
        if (problem !== null) command.error(`error: ${problem}`, { exitCode: ExitCode.usage });
        let result: RigCheckResult;
        let opened: OpenedRig | null = null;
        try {
          opened = await openRigFrom(options);
          result = await checkRig(
            opened.rig,
            opened.boards as readonly [StatusSource, StatusSource],
            {
              bootTimeoutMs: options.bootTimeout,
              log: options.json ? undefined : (line) => process.stderr.write(`  ${line}\n`),
            },
          );
        } catch (error) {
          if (error instanceof RigProfileError) {
            process.stderr.write(`tandem: ${error.message}\n`);
            finish(ExitCode.usage);
            return;
          }
          if (!(error instanceof RigNotAnsweringError || error instanceof RigWiringError))
            throw error;
          result = {
            ok: false,
            rig: options.profile ?? options.rig,
            boards: [],
            problems: [{ code: 'rig', message: error.message }],
          };
        } finally {
          await opened?.close();
        }
        process.stdout.write(options.json ? `${JSON.stringify(result)}\n` : report(result));
        finish(result.ok ? ExitCode.ok : ExitCode.failure);
      },
    );
};

function report(result: RigCheckResult): string {
  const lines = result.boards.map(
    (b) =>
      `P${b.processor}: relay on ${b.answersWithRelayOn ? 'answers' : 'silent'}, relay off ${b.answersWithRelayOff ? 'answers' : 'silent'}, other board ${b.otherKeptAnswering ? 'kept answering' : 'went silent'}, back on ${b.answersAfterRestore ? 'answers' : 'silent'}`,
  );
  lines.push(
    result.ok
      ? `rig ${result.rig}: wired as the profile says`
      : `rig ${result.rig}: ${result.problems.length} problem(s)`,
    ...result.problems.map((p) => `  - ${p.message}`),
  );
  return `${lines.join('\n')}\n`;
}

/** The subcommands of `hil`, in help order. Add new ones here. */
const HIL_SUBCOMMANDS: readonly RegisterHilSubcommand[] = [registerHilCheck];

export const registerHil: RegisterCommand = (program, finish) => {
  const hil = program
    .command('hil')
    .description(
      'Hardware-in-the-loop: drive and check a rig of relays on the boards (johnny-five over Firmata).',
    );
  for (const register of HIL_SUBCOMMANDS) register(hil, finish);
};
