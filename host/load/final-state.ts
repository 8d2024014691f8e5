/**
 * The check that ends a run of load on a lab pair: the clients' history
 * replayed in order must arrive at the state the pair's primary holds.
 */
import { performance } from 'node:perf_hooks';
import type { PairStateSnapshot } from '../../boards/management.ts';
import type { History } from '../history/client-history.ts';
import type { BoardClient } from '../pair/board-client.ts';
import { readBoardState } from '../pair/read-state.ts';

/** What a read of the `state` management op gives. */
export type PairState = PairStateSnapshot;

/** The pair's state as `board` (its primary) holds it; no board (none found) throws. */
export async function readPairState(board: BoardClient | undefined): Promise<PairState> {
  if (board === undefined) throw new Error("no board to read the pair's state from");
  return await readBoardState(board);
}

/**
 * Checks `history` (its load stopped, serving versions marked) against the
 * final state `primary` answers. Returns that state and every violation as a
 * line, with one more when `answered` is false (a client still waited for an
 * answer when the load stopped).
 */
export async function checkFinalState(
  history: History,
  primary: BoardClient | undefined,
  answered: boolean,
): Promise<{ readonly final: PairState; readonly violations: string[] }> {
  const final = await readPairState(primary);
  history.checkSequential(performance.now(), final.state, final.version, final.txn);
  const violations = history.violations.map((v) => `${v.kind}: ${v.detail}`);
  if (!answered) violations.push('not every client got an answer after the load stopped');
  return { final, violations };
}
