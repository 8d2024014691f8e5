/**
 * What clients may ask the ledger, per version, and how untrusted input
 * becomes a request. A parsed request is a fresh object holding only the
 * fields its op uses, so junk a client sends never reaches a checkpoint.
 */

import type { Fields } from './input.ts';
import { readAccount, readAmount, readAmountOrNull, readFields, readOp } from './input.ts';

export type LedgerV1Request =
  | { readonly op: 'open'; readonly account: string }
  | { readonly op: 'deposit'; readonly account: string; readonly amount: number }
  | { readonly op: 'withdraw'; readonly account: string; readonly amount: number }
  | { readonly op: 'transfer'; readonly from: string; readonly to: string; readonly amount: number }
  | { readonly op: 'balance'; readonly account: string };

export type LedgerV2Request =
  | LedgerV1Request
  /** `limit` caps what one withdraw or transfer may take from the account; null lifts it. */
  | { readonly op: 'set-limit'; readonly account: string; readonly limit: number | null }
  | { readonly op: 'history'; readonly account: string };

export type LedgerV1Op = LedgerV1Request['op'];
export type LedgerV2Op = LedgerV2Request['op'];

export const LEDGER_V1_OPS: readonly LedgerV1Op[] = [
  'open',
  'deposit',
  'withdraw',
  'transfer',
  'balance',
];
export const LEDGER_V2_OPS: readonly LedgerV2Op[] = [...LEDGER_V1_OPS, 'set-limit', 'history'];

export function parseLedgerV1Request(input: unknown): LedgerV1Request {
  const fields = readFields(input);
  return readV1Request(fields, readOp(fields, LEDGER_V1_OPS));
}

export function parseLedgerV2Request(input: unknown): LedgerV2Request {
  const fields = readFields(input);
  const op = readOp(fields, LEDGER_V2_OPS);
  switch (op) {
    case 'set-limit':
      return {
        op,
        account: readAccount(fields, op, 'account'),
        limit: readAmountOrNull(fields, op, 'limit'),
      };
    case 'history':
      return { op, account: readAccount(fields, op, 'account') };
    default:
      return readV1Request(fields, op);
  }
}

function readV1Request(fields: Fields, op: LedgerV1Op): LedgerV1Request {
  switch (op) {
    case 'open':
    case 'balance':
      return { op, account: readAccount(fields, op, 'account') };
    case 'deposit':
    case 'withdraw':
      return {
        op,
        account: readAccount(fields, op, 'account'),
        amount: readAmount(fields, op, 'amount'),
      };
    case 'transfer':
      return {
        op,
        from: readAccount(fields, op, 'from'),
        to: readAccount(fields, op, 'to'),
        amount: readAmount(fields, op, 'amount'),
      };
  }
}
