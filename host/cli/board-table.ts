/** Reading both boards' status, and showing it as a table (status and monitor). */
import type { BoardStatus } from '../../boards/management.ts';
import type { BoardClient } from '../pair/board-client.ts';
import { storeCell } from './store-lines.ts';
import { formatColumns } from './text-table.ts';

export type StatusOrSilence = BoardStatus | { readonly processor: number; readonly error: string };

/** Each board's status, processor 1 first; a board that does not answer says why. */
export async function readStatuses(
  boards: readonly [BoardClient, BoardClient],
): Promise<StatusOrSilence[]> {
  const statuses: StatusOrSilence[] = [];
  for (const [index, board] of boards.entries()) {
    try {
      statuses.push((await board.request({ op: 'status' }, 1000)) as BoardStatus);
    } catch (error) {
      statuses.push({ processor: index + 1, error: (error as Error).message });
    }
  }
  return statuses;
}

export function statusTable(statuses: readonly StatusOrSilence[]): string[] {
  const rows = statuses.map((s) => {
    if ('error' in s)
      return [`P${s.processor}`, 'no answer (powered off?)', '', '', '', '', '', '', ''];
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
      // A board image older than the count does not send it.
      pair ? String(pair.falseSuspicions ?? '-') : '-',
      s.fence,
      storeCell(s),
    ];
  });
  return formatColumns(
    [
      'board',
      'role',
      'image',
      'slots (* active)',
      'links',
      'lag',
      'false suspicions',
      'fence',
      'store',
    ],
    rows,
    ['left', 'left', 'left', 'left', 'left', 'right', 'right', 'left', 'left'],
  );
}
