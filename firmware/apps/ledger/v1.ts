/**
 * Ledger v1: named accounts holding integer balances. The smallest useful
 * process-pair app: every request is decided against the balances and
 * committed as the new balances of the accounts it touched, so a backup in
 * the `state` model never redoes arithmetic, it only copies numbers.
 */

import type { App, CheckpointModel, Decision } from '../../app.ts';
import { defineApp } from '../../app.ts';
import { findAccount } from './account-id.ts';
import { MAX_BALANCE } from './money.ts';
import type { LedgerV1Error, LedgerV1Reply } from './replies.ts';
import type { LedgerV1Request } from './requests.ts';
import { parseLedgerV1Request } from './requests.ts';

export interface LedgerV1State {
  /** Balance in cents by account id. */
  accounts: Record<string, number>;
}

export interface LedgerV1Update {
  /** New balances of the accounts the request touched; empty when nothing changed. */
  readonly set: Readonly<Record<string, number>>;
}

export type LedgerV1App = App<LedgerV1State, LedgerV1Request, LedgerV1Update, LedgerV1Reply>;

type V1Decision = Decision<LedgerV1Update, LedgerV1Reply>;

export function ledgerV1(model: CheckpointModel = 'state'): LedgerV1App {
  return defineApp<LedgerV1State, LedgerV1Request, LedgerV1Update, LedgerV1Reply>({
    name: 'ledger',
    version: '1.0.0',
    stateVersion: 1,
    checkpoint: model,
    durability: 'retained',
    init: () => ({ accounts: {} }),
    parseRequest: parseLedgerV1Request,
    handle: (state, request) => decide(state.accounts, request),
    apply(state, update) {
      for (const [account, balance] of Object.entries(update.set)) {
        state.accounts[account] = balance;
      }
      return state;
    },
  });
}

export default ledgerV1();

function decide(accounts: Readonly<Record<string, number>>, request: LedgerV1Request): V1Decision {
  switch (request.op) {
    case 'open':
      if (findAccount(accounts, request.account) !== undefined) return refuse('account-exists');
      return settle({ [request.account]: 0 }, 0);

    case 'balance': {
      const balance = findAccount(accounts, request.account);
      if (balance === undefined) return refuse('no-such-account');
      return settle({}, balance);
    }

    case 'deposit': {
      const balance = findAccount(accounts, request.account);
      if (balance === undefined) return refuse('no-such-account');
      const after = balance + request.amount;
      if (after > MAX_BALANCE) return refuse('balance-overflow');
      return settle({ [request.account]: after }, after);
    }

    case 'withdraw': {
      const balance = findAccount(accounts, request.account);
      if (balance === undefined) return refuse('no-such-account');
      if (request.amount > balance) return refuse('insufficient-funds');
      const after = balance - request.amount;
      return settle({ [request.account]: after }, after);
    }

    case 'transfer': {
      // Checked before the lookups: a self-transfer is wrong whether or not the account exists.
      if (request.from === request.to) return refuse('same-account');
      const payer = findAccount(accounts, request.from);
      const payee = findAccount(accounts, request.to);
      if (payer === undefined || payee === undefined) return refuse('no-such-account');
      if (request.amount > payer) return refuse('insufficient-funds');
      if (payee + request.amount > MAX_BALANCE) return refuse('balance-overflow');
      const payerAfter = payer - request.amount;
      return settle(
        { [request.from]: payerAfter, [request.to]: payee + request.amount },
        payerAfter,
      );
    }
  }
}

function settle(set: Record<string, number>, balance: number): V1Decision {
  return { update: { set }, reply: { ok: true, balance } };
}

function refuse(error: LedgerV1Error): V1Decision {
  return { update: { set: {} }, reply: { ok: false, error } };
}
