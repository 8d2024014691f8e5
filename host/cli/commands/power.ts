/** `tandem power pull|restore N`: the lab's power rails. A pull is SIGKILL of the board process. */
import { Argument } from 'commander';
import { DEFAULT_LAB_DIR } from '../../lab/lab.ts';
import { LabClient } from '../../lab/lab-client.ts';
import type { RegisterCommand } from '../command-registration.ts';
import { ExitCode } from '../exit-codes.ts';

export const registerPower: RegisterCommand = (program, finish) => {
  program
    .command('power')
    .description("Pull or restore a board's power in the lab.")
    .addArgument(new Argument('<action>', 'pull or restore').choices(['pull', 'restore']))
    .addArgument(new Argument('<board>', 'processor 1 or 2').choices(['1', '2']))
    .option('--dir <dir>', 'lab directory', DEFAULT_LAB_DIR)
    .action(async (action: string, board: string, options: { dir: string }) => {
      await new LabClient(options.dir).power(board === '1' ? 1 : 2, action === 'restore');
      process.stdout.write(
        `processor ${board}: power ${action === 'restore' ? 'restored' : 'pulled'}\n`,
      );
      finish(ExitCode.ok);
    });
};
