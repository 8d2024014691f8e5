/** `tandem status`: role, version, slots, link health, checkpoint lag and durable store of both boards of a pair. */
import type { TargetOptions } from '../../target/resolve-target.ts';
import { readStatuses, statusTable } from '../board-table.ts';
import type { RegisterCommand } from '../command-registration.ts';
import { ExitCode } from '../exit-codes.ts';
import { storeLines } from '../store-lines.ts';
import { addTargetOptions, targetFrom } from '../target-options.ts';

export const registerStatus: RegisterCommand = (program, finish) => {
  addTargetOptions(
    program
      .command('status')
      .description(
        'Show both boards of a pair: role, version, slots, links, checkpoint lag, and each durable store (geometry, log position, the txn and term it holds, operations since power-on).',
      ),
  )
    .option('--json', 'print one JSON array', false)
    .action(async (options: TargetOptions & { json: boolean }) => {
      const boards = await (await targetFrom(options)).openBoards();
      const statuses = await readStatuses(boards).finally(() =>
        Promise.all(boards.map((board) => board.close())),
      );
      process.stdout.write(
        options.json
          ? `${JSON.stringify(statuses)}\n`
          : `${[...statusTable(statuses), '', ...storeLines(statuses)].join('\n')}\n`,
      );
      finish(ExitCode.ok);
    });
};
