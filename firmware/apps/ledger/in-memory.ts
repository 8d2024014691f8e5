/**
 * Ledger 1.0.0 with its state in memory only (`durability: 'memory'`), the
 * same app otherwise. The shipped ledger is `retained`; `tandem bench`
 * builds this one beside it to measure what durability costs.
 */
import type { CheckpointModel } from '../../app.ts';
import { type LedgerV1App, ledgerV1 } from './v1.ts';

export default function inMemoryLedgerV1(model: CheckpointModel = 'state'): LedgerV1App {
  return { ...ledgerV1(model), durability: 'memory' };
}
