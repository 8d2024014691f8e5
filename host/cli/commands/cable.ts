/** `tandem cable cut|restore PATH`: unplug or replug an interconnect cable (data and DSR both ways). */
import { Argument, Option } from 'commander';
import { DEFAULT_LAB_DIR } from '../../lab/lab.ts';
import { LabClient } from '../../lab/lab-client.ts';
import type { RegisterCommand } from '../command-registration.ts';
import { ExitCode } from '../exit-codes.ts';

export const registerCable: RegisterCommand = (program, finish) => {
  program
    .command('cable')
    .description('Cut or restore an interconnect path in the lab.')
    .addArgument(new Argument('<action>', 'cut or restore').choices(['cut', 'restore']))
    .addArgument(new Argument('<path>', 'interconnect path: 0 or 1').choices(['0', '1']))
    .addOption(
      new Option('--direction <d>', 'cut one direction only')
        .choices(['a-to-b', 'b-to-a', 'both'])
        .default('both'),
    )
    .option('--dir <dir>', 'lab directory', DEFAULT_LAB_DIR)
    .action(
      async (
        action: string,
        path: string,
        options: { dir: string; direction: 'a-to-b' | 'b-to-a' | 'both' },
      ) => {
        await new LabClient(options.dir).request({
          op: 'cable',
          cable: `path${path}`,
          cut: action === 'cut',
          direction: options.direction,
        });
        process.stdout.write(
          `path ${path}: ${action === 'cut' ? `cut (${options.direction})` : 'restored'}\n`,
        );
        finish(ExitCode.ok);
      },
    );
};
