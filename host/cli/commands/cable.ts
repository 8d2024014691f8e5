/**
 * `tandem cable cut|noise|restore PATH`: unplug an interconnect cable (data
 * and DSR both ways, or data one way), make it noisy, or put it right, where
 * the target has a cable backend (a lab).
 */
import { Argument, Option } from 'commander';
import {
  CABLE_DIRECTION_CHOICES,
  type CableDirectionChoice,
  LINE_DELAY_MS_MAX,
} from '../../lab/cable-faults.ts';
import type { FaultChange } from '../../lab/hub/control.ts';
import { cableOf } from '../../target/pair-target.ts';
import type { TargetOptions } from '../../target/resolve-target.ts';
import type { RegisterCommand } from '../command-registration.ts';
import { ExitCode } from '../exit-codes.ts';
import { millisecondsUpTo, rate } from '../option-parsers.ts';
import { addTargetOptions, targetFrom } from '../target-options.ts';

interface CableOptions extends TargetOptions {
  readonly direction: CableDirectionChoice;
  readonly loss?: number;
  readonly corrupt?: number;
  readonly duplicate?: number;
  readonly delayMs?: number;
}

export const registerCable: RegisterCommand = (program, finish) => {
  const command = program
    .command('cable')
    .description(
      'Cut, add noise to, or restore an interconnect path (a lab; exit 2 where the target has no cable backend).',
    )
    .addArgument(
      new Argument('<action>', 'cut, noise or restore').choices(['cut', 'noise', 'restore']),
    )
    .addArgument(new Argument('<path>', 'interconnect path: 0 or 1').choices(['0', '1']))
    .addOption(
      new Option('--direction <d>', 'one direction only (a is processor 1)')
        .choices(CABLE_DIRECTION_CHOICES)
        .default('both'),
    )
    .addOption(new Option('--loss <rate>', 'noise: share of writes losing bytes').argParser(rate))
    .addOption(
      new Option('--corrupt <rate>', 'noise: share of writes with a flipped bit').argParser(rate),
    )
    .addOption(
      new Option('--duplicate <rate>', 'noise: share of writes arriving twice').argParser(rate),
    )
    .addOption(
      new Option('--delay-ms <ms>', 'noise: extra latency').argParser(
        millisecondsUpTo(LINE_DELAY_MS_MAX),
      ),
    );
  addTargetOptions(command).action(async (action: string, path: string, options: CableOptions) => {
    const faults: FaultChange =
      action === 'cut'
        ? { cut: true }
        : {
            ...(options.loss === undefined ? {} : { lossRate: options.loss }),
            ...(options.corrupt === undefined ? {} : { corruptRate: options.corrupt }),
            ...(options.duplicate === undefined ? {} : { duplicateRate: options.duplicate }),
            ...(options.delayMs === undefined ? {} : { delayMs: options.delayMs }),
          };
    await cableOf(await targetFrom(options)).change({
      path: path === '0' ? 0 : 1,
      direction: options.direction,
      faults,
      restore: action === 'restore',
    });
    process.stdout.write(
      `path ${path}: ${action === 'restore' ? 'restored' : `${action} ${JSON.stringify(faults)} (${options.direction})`}\n`,
    );
    finish(ExitCode.ok);
  });
};
