/**
 * What the ledger answers. Refusals are ordinary replies, not exceptions:
 * a refused request is still a decision, checkpointed like any other.
 */

export interface BalanceReply {
  readonly ok: true;
  /** Balance of the account acted on (for a transfer, the account paying). */
  readonly balance: number;
}

export interface TransferRecord {
  /** When the primary took the request, from HandlerContext.nowMs. */
  readonly atMs: number;
  readonly from: string;
  readonly to: string;
  readonly amount: number;
}

export interface HistoryReply {
  readonly ok: true;
  /** Oldest first. */
  readonly transfers: readonly TransferRecord[];
}

export type LedgerV1Error =
  | 'no-such-account'
  | 'insufficient-funds'
  | 'account-exists'
  | 'same-account'
  /** The credit would take a balance past MAX_BALANCE, where cents stop being exact. */
  | 'balance-overflow';

export type LedgerV2Error = LedgerV1Error | 'over-limit';

export interface Refusal<Reason extends string> {
  readonly ok: false;
  readonly error: Reason;
}

export type LedgerV1Reply = BalanceReply | Refusal<LedgerV1Error>;
export type LedgerV2Reply = BalanceReply | HistoryReply | Refusal<LedgerV2Error>;
