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
    storeFailedBoots: 0,
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
      checkpointSentBytes: 0,
      snapshotReceivedBytes: 0,
      lineUse: [],
      durable: null,
      ...pair,
    },
  };
}

/** Processor 1, primary on ledger 1.0.0 with 2.0.0 valid in its other slot: a switch may start. */
export function switchablePrimary(): BoardStatus {
  return {
    ...boardStatus(1, 'primary'),
    slots: [
      { slot: 0, version: '1.0.0', status: 'valid', active: true, trial: false },
      { slot: 1, version: '2.0.0', status: 'valid', active: false, trial: false },
    ],
  };
}
