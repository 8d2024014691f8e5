/** Reading both lab boards' status, and showing it as a table (status and monitor). */
import type { BoardStatus } from '../../boards/management.ts';
import { openLabBoard } from '../lab/lab-boards.ts';
import { formatColumns } from './text-table.ts';

export type StatusOrSilence = BoardStatus | { readonly processor: number; readonly error: string };

export async function readStatuses(dir: string): Promise<StatusOrSilence[]> {
  const statuses: StatusOrSilence[] = [];
  for (const processor of [1, 2] as const) {
    const board = await openLabBoard(dir, processor);
    try {
      statuses.push((await board.request({ op: 'status' }, 1000)) as BoardStatus);
    } catch (error) {
      statuses.push({ processor, error: (error as Error).message });
    } finally {
      await board.close();
    }
  }
  return statuses;
}

export function statusTable(statuses: readonly StatusOrSilence[]): string[] {
  const rows = statuses.map((s) => {
    if ('error' in s) return [`P${s.processor}`, 'no answer (powered off?)', '', '', '', '', ''];
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
      s.fence,
    ];
  });
  return formatColumns(
    ['board', 'role', 'image', 'slots (* active)', 'links', 'lag', 'fence'],
    rows,
    ['left', 'left', 'left', 'left', 'left', 'right', 'left'],
  );
}
