/** A board's status answer for unit tests: a ledger 1.0.0 pair member, `pair` overriding its fields. */
import type { BoardStatus } from '../../boards/management.ts';
import type { PairStatus } from '../../firmware/pair-main.ts';

export function boardStatus(
  processor: 1 | 2,
  role: PairStatus['role'],
  pair: Partial<PairStatus> = {},
): BoardStatus {
  return {
    processor,
    bootCount: 1,
    slots: [],
    bootNotes: [],
    fence: 'wired',
    store: null,
    pair: {
      processor,
      role,
      app: 'ledger',
      version: '1.0.0',
      testMode: false,
      term: 1,
      txn: 0,
      pathsUp: [true, true],
      checkpointLag: 0,
      checkpointReceivedBytes: 0,
      lineUse: [],
      durable: null,
      ...pair,
    },
  };
}
