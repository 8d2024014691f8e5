/** `tandem status`: role, version, slots, link health and checkpoint lag of both lab boards. */
import { DEFAULT_LAB_DIR } from '../../lab/lab.ts';
import { readStatuses, statusTable } from '../board-table.ts';
import type { RegisterCommand } from '../command-registration.ts';
import { ExitCode } from '../exit-codes.ts';

export const registerStatus: RegisterCommand = (program, finish) => {
  program
    .command('status')
    .description('Show both boards of a lab: role, version, slots, links, checkpoint lag.')
    .option('--dir <dir>', 'lab directory', DEFAULT_LAB_DIR)
    .option('--json', 'print one JSON array', false)
    .action(async (options: { dir: string; json: boolean }) => {
      const statuses = await readStatuses(options.dir);
      process.stdout.write(
        options.json ? `${JSON.stringify(statuses)}\n` : `${statusTable(statuses).join('\n')}\n`,
      );
      finish(ExitCode.ok);
    });
};
