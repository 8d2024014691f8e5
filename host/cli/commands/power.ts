/**
 * `tandem power pull|restore N`: a board's power, where the target has a
 * power backend (a lab's rails: a pull is SIGKILL of the board process).
 */
import { Argument } from 'commander';
import { powerOf } from '../../target/pair-target.ts';
import type { TargetOptions } from '../../target/resolve-target.ts';
import type { RegisterCommand } from '../command-registration.ts';
import { ExitCode } from '../exit-codes.ts';
import { addTargetOptions, targetFrom } from '../target-options.ts';

export const registerPower: RegisterCommand = (program, finish) => {
  addTargetOptions(
    program
      .command('power')
      .description(
        "Pull or restore a board's power (a lab; exit 2 where the target has no power backend).",
      )
      .addArgument(new Argument('<action>', 'pull or restore').choices(['pull', 'restore']))
      .addArgument(new Argument('<board>', 'processor 1 or 2').choices(['1', '2'])),
  ).action(async (action: string, board: string, options: TargetOptions) => {
    await powerOf(await targetFrom(options)).set(board === '1' ? 1 : 2, action === 'restore');
    process.stdout.write(
      `processor ${board}: power ${action === 'restore' ? 'restored' : 'pulled'}\n`,
    );
    finish(ExitCode.ok);
  });
};
