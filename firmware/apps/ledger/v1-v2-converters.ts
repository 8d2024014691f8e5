/**
 * Moving state between ledger v1 and v2 during an online upgrade or a
 * fallback. Upgrading keeps every balance and starts with no limits and no
 * history; falling back keeps the balances and drops what v1 cannot hold.
 *
 * The v1 state arrives from the other processor as `unknown`, so it is
 * checked field by field: a bad shape must stop the upgrade loudly, not turn
 * into a ledger with missing money.
 */

import { ReasonError } from '../../wire/errors.ts';
import { isAccountId } from './account-id.ts';
import { isBalance } from './money.ts';
import { sample } from './sample.ts';
import type { LedgerV1State } from './v1.ts';
import type { LedgerAccount, LedgerV2State } from './v2.ts';

export function ledgerV1ToV2(prior: unknown): LedgerV2State {
  const accounts: Record<string, LedgerAccount> = {};
  for (const [id, balance] of Object.entries(readV1Accounts(prior))) {
    if (!isAccountId(id)) throw new ReasonError({ code: 'v1-bad-id', ...sample(id) });
    if (!isBalance(balance)) {
      throw new ReasonError({ code: 'v1-bad-balance', id, ...sample(balance) });
    }
    accounts[id] = { balance, limit: null };
  }
  return { accounts, history: [] };
}

export function ledgerV2ToV1(state: LedgerV2State): LedgerV1State {
  const accounts: Record<string, number> = {};
  for (const [id, account] of Object.entries(state.accounts)) {
    accounts[id] = account.balance;
  }
  return { accounts };
}

function readV1Accounts(prior: unknown): Record<string, unknown> {
  if (!isPlainObject(prior)) throw new ReasonError({ code: 'v1-not-object', ...sample(prior) });
  const unexpected = Object.keys(prior).filter((key) => key !== 'accounts');
  if (unexpected.length > 0) {
    // Most likely some other version's state; guessing would lose data.
    throw new ReasonError({ code: 'v1-fields', fields: unexpected.join(', ') });
  }
  const accounts = prior.accounts;
  if (!isPlainObject(accounts)) throw new ReasonError({ code: 'v1-accounts', ...sample(accounts) });
  return accounts;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
