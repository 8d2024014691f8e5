/**
 * Money is integer minor units (cents). Amounts in requests are capped well
 * below the float precision limit so that no sum a client can cause loses a
 * cent silently; balances are capped at the precision limit itself.
 */

/** The largest amount one request may move: ten billion units of currency. */
export const MAX_AMOUNT = 1e12;

/** The largest balance an account may hold; above it, cents would round away. */
export const MAX_BALANCE = Number.MAX_SAFE_INTEGER;

export function isAmount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) > 0 && (value as number) <= MAX_AMOUNT;
}

export function isBalance(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}
