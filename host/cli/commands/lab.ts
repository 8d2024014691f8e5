/**
 * `tandem lab up` / `tandem lab down`: start or stop a simulated lab (two
 * board processes, their cables and power rails) kept in one directory.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Option } from 'commander';
import { PUBLIC_KEY_FILE } from '../../image/keys.ts';
import { labDown, labUp } from '../../lab/lab.ts';
import { projectPath } from '../../project-dir.ts';
import type { RegisterCommand } from '../command-registration.ts';
import {
  type BoardEngines,
  engineOption,
  enginesUnavailable,
  xsHeapOption,
} from '../engine-option.ts';
import { ExitCode } from '../exit-codes.ts';
import { standardBaud } from '../option-parsers.ts';
import { onUserPath } from '../user-file.ts';

export const registerLab: RegisterCommand = (program, finish) => {
  const lab = program.command('lab').description('Start and stop a simulated lab of two boards.');
  lab
    .command('up')
    .description(
      'Start two simulated boards (separate processes), their interconnect cables, field bus and power rails.',
    )
    .option('--dir <dir>', 'lab directory (holds all its state)', projectPath(process.cwd(), 'lab'))
    .addOption(new Option('--paths <n>', 'interconnect paths').choices(['1', '2']).default('2'))
    .addOption(
      new Option('--baud <rate>', 'line rate of every UART (the field bus too, unless --bus-baud)')
        .argParser(standardBaud)
        .default(115200),
    )
    .addOption(
      new Option('--bus-baud <rate>', "line rate of the field bus (the clients' ports)").argParser(
        standardBaud,
      ),
    )
    .option(
      '--shared-bus',
      'one field bus both boards hear (RS-485): a backup that takes over answers the requests in flight',
      false,
    )
    .addOption(engineOption())
    .addOption(xsHeapOption())
    .option(
      '--key <dir>',
      'directory with the public key the boards trust',
      projectPath(process.cwd(), 'keys'),
    )
    .option(
      '--keep',
      'keep the flash and the durable stores of a previous lab in this directory',
      false,
    )
    .action(
      async (options: {
        dir: string;
        paths: string;
        baud: number;
        busBaud?: number;
        sharedBus: boolean;
        key: string;
        keep: boolean;
        engine: BoardEngines;
        xsHeap?: number;
      }) => {
        const unavailable = enginesUnavailable(options.engine, options.xsHeap);
        if (unavailable !== null) {
          process.stderr.write(`tandem lab up: ${unavailable}\n`);
          finish(ExitCode.usage);
          return;
        }
        onUserPath(
          options.dir,
          'the lab directory',
          'give --dir a directory you can write (it is created if missing)',
          () => mkdirSync(options.dir, { recursive: true }),
        );
        const config = await labUp({
          dir: options.dir,
          paths: options.paths === '1' ? 1 : 2,
          baud: options.baud,
          ...(options.busBaud === undefined ? {} : { busBaud: options.busBaud }),
          busShared: options.sharedBus,
          publicKeyFile: join(options.key, PUBLIC_KEY_FILE),
          fresh: !options.keep,
          engines: options.engine,
          ...(options.xsHeap === undefined ? {} : { xsHeapBytes: options.xsHeap }),
        });
        process.stdout.write(
          `lab up in ${config.dir}: 2 boards, ${config.paths} path(s) at ${config.baud} baud, ${config.busShared ? 'shared ' : ''}field bus at ${config.busBaud}; images run in ${config.engines.join(' (P1), ')} (P2)${config.engines.includes('xs') ? ", XS boards with microcontroller limits (their profiles' limits.class)" : ''}${config.xsHeapBytes === null ? '' : `, XS in a fixed heap of ${config.xsHeapBytes} bytes`}\n`,
        );
        finish(ExitCode.ok);
      },
    );
  lab
    .command('down')
    .description('Stop the lab: power off both boards and the wires.')
    .option('--dir <dir>', 'lab directory', projectPath(process.cwd(), 'lab'))
    .action(async (options: { dir: string }) => {
      const stopped = await labDown(options.dir);
      process.stdout.write(
        stopped ? `lab in ${options.dir} stopped\n` : `no lab was running in ${options.dir}\n`,
      );
      finish(ExitCode.ok);
    });
};
