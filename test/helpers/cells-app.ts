/**
 * A counter whose requests each add one to a cell of its state (and set
 * `n` to their number): an entry applied twice, or skipped, shows as cells
 * that do not add up to `n`. Its replies are the request's number.
 */
import { type AnyApp, defineApp, type ReceiveMessage } from '../../firmware/app.ts';
import type { CorePair } from './core-pair.ts';

export interface CellsOptions {
  /** Cells in the state: 3,000 take a while to transfer at 115200, 20 fit one chunk. */
  readonly cells?: number;
  readonly durability?: 'memory' | 'retained';
  /** Each cell's first value (0 unless given): larger values make a larger state. */
  readonly cellValue?: (index: number) => number;
  /** What the app is told (checkpoints applied, state transfers). */
  readonly receive?: (message: ReceiveMessage) => void;
}

export function cellsApp({
  cells = 3000,
  durability = 'memory',
  cellValue = () => 0,
  receive,
}: CellsOptions = {}): AnyApp {
  return defineApp<{ n: number; cells: number[] }, null, number, number>({
    name: 'cells',
    version: '1.0.0',
    stateVersion: 1,
    checkpoint: 'state',
    durability,
    init: () => ({ n: 0, cells: Array.from({ length: cells }, (_, i) => cellValue(i)) }),
    parseRequest: () => null,
    handle: (state) => ({ update: state.n + 1, reply: state.n + 1 }),
    apply: (state, n) => {
      state.n = n;
      const cell = (n * 7919) % cells;
      state.cells[cell] = (state.cells[cell] ?? 0) + 1;
      return state;
    },
    ...(receive !== undefined && { receive }),
  });
}

/** About 24 KB of state: a joiner's rounds take seconds of the line at 115200. */
export const BIG_CELLS: CellsOptions = { cells: 4000, cellValue: (i: number) => 100_000 + i };

/** The highest request number the client was answered: requests it knows ran. */
export function acknowledged(pair: CorePair): number {
  // A loop, not a spread: a run may hold more replies than a call takes arguments.
  let highest = 0;
  for (const r of pair.replies) if (r.ok) highest = Math.max(highest, r.reply as number);
  return highest;
}
