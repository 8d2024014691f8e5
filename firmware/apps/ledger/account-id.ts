/**
 * Account ids: short, well-formed strings that stay the same key on both
 * processors. Checkpoints travel as CBOR, which rewrites two kinds of string
 * (checked against cbor-x 1.6.8): a lone UTF-16 surrogate becomes U+FFFD, and
 * a `__proto__` key arrives renamed. An account with such an id would live
 * under one key in the primary and another in the backup, so we refuse them.
 */

export const MAX_ACCOUNT_ID_LENGTH = 32;

const LONE_SURROGATE = /\p{Cs}/u;
const RESERVED_IDS: readonly string[] = ['__proto__'];

export function isAccountId(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    value.length <= MAX_ACCOUNT_ID_LENGTH &&
    !LONE_SURROGATE.test(value) &&
    !RESERVED_IDS.includes(value)
  );
}

/** The entry for `id`, looking only at own keys: "toString" is not an account. */
export function findAccount<Entry>(
  accounts: Readonly<Record<string, Entry>>,
  id: string,
): Entry | undefined {
  return Object.hasOwn(accounts, id) ? accounts[id] : undefined;
}
