/**
 * A deterministic stream of plausible ledger requests, for tests and for the
 * simulator's load generator. It opens every account first, so that most of
 * what follows succeeds, then mixes mostly money movements with a few
 * balance queries, re-opens and requests naming an account that was never
 * opened, so the refusal paths get traffic too.
 *
 * All choices come from the `random` it is given; the same sequence of random
 * numbers always yields the same requests. By default it only produces v1
 * requests, which every ledger version accepts, so the same stream can run
 * across an online upgrade.
 */

import { MAX_AMOUNT } from './money.ts';

export interface LedgerWorkloadOptions {
  /** Also produce set-limit and history requests (ledger v2 and later). */
  readonly includeV2Ops?: boolean;
}

/** Typical amounts are small; this share of them can be anything up to MAX_AMOUNT. */
const LARGE_AMOUNT_SHARE = 0.02;
/** Share of requests that name `acct-N`, one past the accounts opened up front. */
const STRANGER_SHARE = 0.03;

export function ledgerWorkload(
  random: () => number,
  accountCount = 8,
  options: LedgerWorkloadOptions = {},
): () => unknown {
  if (!Number.isSafeInteger(accountCount) || accountCount < 1) {
    throw new RangeError(`accountCount must be a positive integer, got ${accountCount}`);
  }
  const includeV2Ops = options.includeV2Ops ?? false;
  let opened = 0;

  /** An integer in [0, n), even if random() strays outside [0, 1). */
  const below = (n: number): number => Math.max(0, Math.min(n - 1, Math.floor(random() * n)));
  const chance = (share: number): boolean => random() < share;
  const name = (index: number): string => `acct-${index}`;
  const someAccount = (): string =>
    chance(STRANGER_SHARE) ? name(accountCount) : name(below(accountCount));
  const amount = (typicalMax: number): number =>
    chance(LARGE_AMOUNT_SHARE) ? 1 + below(MAX_AMOUNT) : 1 + below(typicalMax);

  return () => {
    if (opened < accountCount) return { op: 'open', account: name(opened++) };

    // Rolls past 1 fall to the v2 ops, so v1-only streams simply never reach them.
    const roll = random() * (includeV2Ops ? 1.1 : 1);
    if (roll < 0.3) return { op: 'deposit', account: someAccount(), amount: amount(10_000) };
    if (roll < 0.55) return { op: 'withdraw', account: someAccount(), amount: amount(5_000) };
    if (roll < 0.85) {
      return { op: 'transfer', from: someAccount(), to: someAccount(), amount: amount(5_000) };
    }
    if (roll < 0.95) return { op: 'balance', account: someAccount() };
    if (roll < 1) return { op: 'open', account: name(below(accountCount + 1)) };
    if (roll < 1.05) {
      return { op: 'set-limit', account: someAccount(), limit: chance(0.3) ? null : amount(5_000) };
    }
    return { op: 'history', account: someAccount() };
  };
}
