/**
 * `tandem monitor`: the pair's status, refreshed. In a terminal it redraws
 * in place until Ctrl-C; otherwise it prints one table per refresh. The
 * ports stay open between refreshes (opening some USB adapters resets the
 * board behind them).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Option } from 'commander';
import type { TargetOptions } from '../../target/resolve-target.ts';
import { readStatuses, statusTable } from '../board-table.ts';
import type { RegisterCommand } from '../command-registration.ts';
import { ExitCode } from '../exit-codes.ts';
import { positiveInteger } from '../option-parsers.ts';
import { addTargetOptions, targetFrom } from '../target-options.ts';

export const registerMonitor: RegisterCommand = (program, finish) => {
  addTargetOptions(
    program
      .command('monitor')
      .description('Watch both boards of a pair: roles, versions, slots, links, checkpoint lag.'),
  )
    .addOption(
      new Option('--interval-ms <ms>', 'refresh period').argParser(positiveInteger).default(500),
    )
    .addOption(
      new Option('--count <n>', 'stop after this many refreshes (default: until Ctrl-C)').argParser(
        positiveInteger,
      ),
    )
    .action(async (options: TargetOptions & { intervalMs: number; count?: number }) => {
      const redraw = process.stdout.isTTY === true;
      const boards = await (await targetFrom(options)).openBoards();
      let stopped = false;
      process.once('SIGINT', () => {
        stopped = true;
      });
      try {
        for (let i = 0; !stopped && (options.count === undefined || i < options.count); i++) {
          const table = statusTable(await readStatuses(boards));
          const stamp = new Date().toISOString();
          process.stdout.write(
            redraw
              ? `\u001b[2J\u001b[H${stamp}\n${table.join('\n')}\n`
              : `${stamp}\n${table.join('\n')}\n`,
          );
          await sleep(options.intervalMs);
        }
      } finally {
        await Promise.all(boards.map((board) => board.close()));
      }
      finish(ExitCode.ok);
    });
};
