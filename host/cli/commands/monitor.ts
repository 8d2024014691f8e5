/**
 * `tandem monitor`: the lab's status, refreshed. In a terminal it redraws
 * in place until Ctrl-C; otherwise it prints one table per refresh.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Option } from 'commander';
import { DEFAULT_LAB_DIR } from '../../lab/lab.ts';
import { readStatuses, statusTable } from '../board-table.ts';
import type { RegisterCommand } from '../command-registration.ts';
import { ExitCode } from '../exit-codes.ts';
import { positiveInteger } from '../option-parsers.ts';

export const registerMonitor: RegisterCommand = (program, finish) => {
  program
    .command('monitor')
    .description('Watch both lab boards: roles, versions, slots, links, checkpoint lag.')
    .option('--dir <dir>', 'lab directory', DEFAULT_LAB_DIR)
    .addOption(
      new Option('--interval-ms <ms>', 'refresh period').argParser(positiveInteger).default(500),
    )
    .addOption(
      new Option('--count <n>', 'stop after this many refreshes (default: until Ctrl-C)').argParser(
        positiveInteger,
      ),
    )
    .action(async (options: { dir: string; intervalMs: number; count?: number }) => {
      const redraw = process.stdout.isTTY === true;
      let stopped = false;
      process.once('SIGINT', () => {
        stopped = true;
      });
      for (let i = 0; !stopped && (options.count === undefined || i < options.count); i++) {
        const table = statusTable(await readStatuses(options.dir));
        const stamp = new Date().toISOString();
        process.stdout.write(
          redraw
            ? `\u001b[2J\u001b[H${stamp}\n${table.join('\n')}\n`
            : `${stamp}\n${table.join('\n')}\n`,
        );
        await sleep(options.intervalMs);
      }
      finish(ExitCode.ok);
    });
};
