/** `tandem status`: role, version, slots, link health and checkpoint lag of both lab boards. */
import type { BoardStatus } from '../../../boards/management.ts';
import { DEFAULT_LAB_DIR } from '../../lab/lab.ts';
import { openLabBoard } from '../../lab/lab-boards.ts';
import type { RegisterCommand } from '../command-registration.ts';
import { ExitCode } from '../exit-codes.ts';
import { formatColumns } from '../text-table.ts';

export const registerStatus: RegisterCommand = (program, finish) => {
  program
    .command('status')
    .description('Show both boards of a lab: role, version, slots, links, checkpoint lag.')
    .option('--dir <dir>', 'lab directory', DEFAULT_LAB_DIR)
    .option('--json', 'print one JSON array', false)
    .action(async (options: { dir: string; json: boolean }) => {
      const statuses: Array<BoardStatus | { processor: number; error: string }> = [];
      for (const processor of [1, 2] as const) {
        const board = await openLabBoard(options.dir, processor);
        try {
          statuses.push((await board.request({ op: 'status' }, 1000)) as BoardStatus);
        } catch (error) {
          statuses.push({ processor, error: (error as Error).message });
        } finally {
          await board.close();
        }
      }
      if (options.json) {
        process.stdout.write(`${JSON.stringify(statuses)}\n`);
      } else {
        const rows = statuses.map((s) => {
          if ('error' in s) return [`P${s.processor}`, 'no answer', '', '', '', ''];
          const slots = s.slots
            .map(
              (slot) =>
                `${slot.slot}:${slot.version ?? '-'}${slot.active ? '*' : ''}${slot.trial ? '(trial)' : ''}`,
            )
            .join(' ');
          const pair = s.pair;
          return [
            `P${s.processor}`,
            pair?.role ?? 'boot ROM',
            pair ? `${pair.app} ${pair.version}` : '-',
            slots,
            pair ? pair.pathsUp.map((up, i) => `${i}:${up ? 'up' : 'DOWN'}`).join(' ') : '-',
            pair ? String(pair.checkpointLag) : '-',
          ];
        });
        const table = formatColumns(
          ['board', 'role', 'image', 'slots (* active)', 'links', 'lag'],
          rows,
          ['left', 'left', 'left', 'left', 'left', 'right'],
        );
        process.stdout.write(`${table.join('\n')}\n`);
      }
      finish(ExitCode.ok);
    });
};
