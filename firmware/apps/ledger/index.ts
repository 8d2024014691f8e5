/** The ledger example app, every released version. */

import type { AnyApp, CheckpointModel } from '../../app.ts';
import { ledgerV1 } from './v1.ts';
import { ledgerV2 } from './v2.ts';

export { MAX_ACCOUNT_ID_LENGTH } from './account-id.ts';
export { MAX_AMOUNT, MAX_BALANCE } from './money.ts';
export type {
  BalanceReply,
  HistoryReply,
  LedgerV1Error,
  LedgerV1Reply,
  LedgerV2Error,
  LedgerV2Reply,
  Refusal,
  TransferRecord,
} from './replies.ts';
export type { LedgerV1Request, LedgerV2Request } from './requests.ts';
export { parseLedgerV1Request, parseLedgerV2Request } from './requests.ts';
export type { LedgerV1App, LedgerV1State, LedgerV1Update } from './v1.ts';
export { ledgerV1 } from './v1.ts';
export type { LedgerAccount, LedgerV2App, LedgerV2State, LedgerV2Update } from './v2.ts';
export { HISTORY_MAX, ledgerV2 } from './v2.ts';
export type { LedgerWorkloadOptions } from './workload.ts';
export { ledgerWorkload } from './workload.ts';

export type LedgerFactory = (model?: CheckpointModel) => AnyApp;

/** Release version -> app factory, oldest first (the order an upgrade walks). */
export const LEDGER_VERSIONS = {
  '1.0.0': ledgerV1,
  '2.0.0': ledgerV2,
} as const satisfies Readonly<Record<string, LedgerFactory>>;

export type LedgerVersion = keyof typeof LEDGER_VERSIONS;

export function isLedgerVersion(version: string): version is LedgerVersion {
  return Object.hasOwn(LEDGER_VERSIONS, version);
}
