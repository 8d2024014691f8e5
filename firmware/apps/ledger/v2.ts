/**
 * Ledger v2: v1 plus a per-account withdrawal limit and a short transfer
 * history. The history is why this version cares about checkpoint models:
 * each entry carries the time the primary took the request, so a backup
 * replaying the request must be handed that same time (context.nowMs), never
 * read its own clock.
 */

import type { App, CheckpointModel, Decision } from '../../app.ts';
import { defineApp } from '../../app.ts';
import { findAccount } from './account-id.ts';
import { MAX_BALANCE } from './money.ts';
import type { LedgerV2Error, LedgerV2Reply, TransferRecord } from './replies.ts';
import type { LedgerV2Request } from './requests.ts';
import { parseLedgerV2Request } from './requests.ts';
import { ledgerV1ToV2, ledgerV2ToV1 } from './v1-v2-converters.ts';

/** The most recent transfers kept; older ones fall off the front. */
export const HISTORY_MAX = 16;

export interface LedgerAccount {
  /** Cents. */
  readonly balance: number;
  /** The most one withdraw or transfer may take from this account; null for no limit. */
  readonly limit: number | null;
}

export interface LedgerV2State {
  accounts: Record<string, LedgerAccount>;
  /** Oldest first, at most HISTORY_MAX entries. */
  history: TransferRecord[];
}

export interface LedgerV2Update {
  /** New records of the accounts the request touched; empty when nothing changed. */
  readonly set: Readonly<Record<string, LedgerAccount>>;
  /** The transfer to add to the history, or null. */
  readonly logTransfer: TransferRecord | null;
}

export type LedgerV2App = App<LedgerV2State, LedgerV2Request, LedgerV2Update, LedgerV2Reply>;

type V2Decision = Decision<LedgerV2Update, LedgerV2Reply>;

export function ledgerV2(model: CheckpointModel = 'state'): LedgerV2App {
  return defineApp<LedgerV2State, LedgerV2Request, LedgerV2Update, LedgerV2Reply>({
    name: 'ledger',
    version: '2.0.0',
    stateVersion: 2,
    checkpoint: model,
    durability: 'retained',
    init: () => ({ accounts: {}, history: [] }),
    parseRequest: parseLedgerV2Request,
    handle: (state, request, context) => decide(state, request, context.nowMs),
    apply(state, update) {
      // Copies, so the state never shares objects with an update the runtime may still hold.
      for (const [account, record] of Object.entries(update.set)) {
        state.accounts[account] = { balance: record.balance, limit: record.limit };
      }
      if (update.logTransfer !== null) {
        state.history.push({ ...update.logTransfer });
        if (state.history.length > HISTORY_MAX) {
          state.history.splice(0, state.history.length - HISTORY_MAX);
        }
      }
      return state;
    },
    converters: {
      priorStateVersion: 1,
      fromPrior: ledgerV1ToV2,
      toPrior: ledgerV2ToV1,
    },
  });
}

export default ledgerV2();

function decide(
  state: Readonly<LedgerV2State>,
  request: LedgerV2Request,
  nowMs: number,
): V2Decision {
  const { accounts } = state;
  switch (request.op) {
    case 'open':
      if (findAccount(accounts, request.account) !== undefined) return refuse('account-exists');
      return settle({ [request.account]: { balance: 0, limit: null } }, 0);

    case 'balance': {
      const account = findAccount(accounts, request.account);
      if (account === undefined) return refuse('no-such-account');
      return settle({}, account.balance);
    }

    case 'set-limit': {
      const account = findAccount(accounts, request.account);
      if (account === undefined) return refuse('no-such-account');
      const after = { balance: account.balance, limit: request.limit };
      return settle({ [request.account]: after }, after.balance);
    }

    case 'deposit': {
      const account = findAccount(accounts, request.account);
      if (account === undefined) return refuse('no-such-account');
      const balance = account.balance + request.amount;
      if (balance > MAX_BALANCE) return refuse('balance-overflow');
      return settle({ [request.account]: { balance, limit: account.limit } }, balance);
    }

    case 'withdraw': {
      const account = findAccount(accounts, request.account);
      if (account === undefined) return refuse('no-such-account');
      const refusal = debitRefusal(account, request.amount);
      if (refusal !== null) return refuse(refusal);
      const balance = account.balance - request.amount;
      return settle({ [request.account]: { balance, limit: account.limit } }, balance);
    }

    case 'transfer': {
      const { from, to, amount } = request;
      if (from === to) return refuse('same-account');
      const payer = findAccount(accounts, from);
      const payee = findAccount(accounts, to);
      if (payer === undefined || payee === undefined) return refuse('no-such-account');
      const refusal = debitRefusal(payer, amount);
      if (refusal !== null) return refuse(refusal);
      if (payee.balance + amount > MAX_BALANCE) return refuse('balance-overflow');
      const payerAfter = { balance: payer.balance - amount, limit: payer.limit };
      const payeeAfter = { balance: payee.balance + amount, limit: payee.limit };
      return {
        update: {
          set: { [from]: payerAfter, [to]: payeeAfter },
          logTransfer: { atMs: nowMs, from, to, amount },
        },
        reply: { ok: true, balance: payerAfter.balance },
      };
    }

    case 'history': {
      if (findAccount(accounts, request.account) === undefined) return refuse('no-such-account');
      const transfers = state.history
        .filter((transfer) => transfer.from === request.account || transfer.to === request.account)
        .map((transfer) => ({ ...transfer }));
      return { update: unchanged(), reply: { ok: true, transfers } };
    }
  }
}

/**
 * Why `account` may not pay `amount`, or null if it may. The limit is checked
 * first: it is policy, the balance is circumstance.
 */
function debitRefusal(account: LedgerAccount, amount: number): LedgerV2Error | null {
  if (account.limit !== null && amount > account.limit) return 'over-limit';
  if (amount > account.balance) return 'insufficient-funds';
  return null;
}

function settle(set: Record<string, LedgerAccount>, balance: number): V2Decision {
  return { update: { set, logTransfer: null }, reply: { ok: true, balance } };
}

function refuse(error: LedgerV2Error): V2Decision {
  return { update: unchanged(), reply: { ok: false, error } };
}

function unchanged(): LedgerV2Update {
  return { set: {}, logTransfer: null };
}
