import test from 'ava';
import type { HandlerContext } from '../firmware/app.ts';
import { AppInputError } from '../firmware/app.ts';
import type { LedgerV1State } from '../firmware/apps/ledger/index.ts';
import { ledgerV1, MAX_AMOUNT, MAX_BALANCE } from '../firmware/apps/ledger/index.ts';
import { reasonText } from '../firmware/reasons.ts';

const app = ledgerV1();
const context: HandlerContext = { nowMs: 1_000, random: () => 0.5 };

function ledgerWith(accounts: Record<string, number>): LedgerV1State {
  return { accounts: { ...accounts } };
}

/** Parses, decides and commits one request, the way a primary does. */
function send(state: LedgerV1State, input: unknown) {
  const decision = app.handle(state, app.parseRequest(input), context);
  return { ...decision, state: app.apply(structuredClone(state), decision.update) };
}

test('a fresh ledger has no accounts', (t) => {
  t.deepEqual(app.init(), { accounts: {} });
});

test('the app identifies itself as ledger 1.0.0 with state version 1', (t) => {
  t.is(app.name, 'ledger');
  t.is(app.version, '1.0.0');
  t.is(app.stateVersion, 1);
  t.is(app.converters, undefined);
});

test('the checkpoint model defaults to state and can be replay', (t) => {
  t.is(ledgerV1().checkpoint, 'state');
  t.is(ledgerV1('replay').checkpoint, 'replay');
});

test('open creates the account with a zero balance', (t) => {
  const result = send(app.init(), { op: 'open', account: 'alice' });
  t.deepEqual(result.reply, { ok: true, balance: 0 });
  t.deepEqual(result.update, { set: { alice: 0 } });
  t.deepEqual(result.state, { accounts: { alice: 0 } });
});

test('opening an account that exists is refused and keeps its balance', (t) => {
  const result = send(ledgerWith({ alice: 500 }), { op: 'open', account: 'alice' });
  t.deepEqual(result.reply, { ok: false, error: 'account-exists' });
  t.deepEqual(result.update, { set: {} });
  t.deepEqual(result.state, { accounts: { alice: 500 } });
});

test('deposit adds to the balance and replies with the new balance', (t) => {
  const result = send(ledgerWith({ alice: 500, bob: 7 }), {
    op: 'deposit',
    account: 'alice',
    amount: 250,
  });
  t.deepEqual(result.reply, { ok: true, balance: 750 });
  t.deepEqual(result.update, { set: { alice: 750 } }, 'only the account touched is in the update');
  t.deepEqual(result.state, { accounts: { alice: 750, bob: 7 } });
});

test('deposit to an account that was never opened is refused', (t) => {
  const result = send(ledgerWith({ alice: 500 }), { op: 'deposit', account: 'bob', amount: 1 });
  t.deepEqual(result.reply, { ok: false, error: 'no-such-account' });
  t.deepEqual(result.state, { accounts: { alice: 500 } });
});

test('deposit may fill a balance up to MAX_BALANCE but not past it', (t) => {
  const nearlyFull = ledgerWith({ alice: MAX_BALANCE - 10 });
  const upToTheBrim = send(nearlyFull, { op: 'deposit', account: 'alice', amount: 10 });
  t.deepEqual(upToTheBrim.reply, { ok: true, balance: MAX_BALANCE });
  const overflow = send(nearlyFull, { op: 'deposit', account: 'alice', amount: 11 });
  t.deepEqual(overflow.reply, { ok: false, error: 'balance-overflow' });
  t.deepEqual(overflow.state, nearlyFull);
});

test('withdraw takes from the balance, down to exactly zero', (t) => {
  const some = send(ledgerWith({ alice: 500 }), { op: 'withdraw', account: 'alice', amount: 200 });
  t.deepEqual(some.reply, { ok: true, balance: 300 });
  t.deepEqual(some.update, { set: { alice: 300 } });
  const all = send(ledgerWith({ alice: 500 }), { op: 'withdraw', account: 'alice', amount: 500 });
  t.deepEqual(all.reply, { ok: true, balance: 0 });
});

test('withdrawing more than the balance is refused and leaves the balance alone', (t) => {
  const result = send(ledgerWith({ alice: 500 }), {
    op: 'withdraw',
    account: 'alice',
    amount: 501,
  });
  t.deepEqual(result.reply, { ok: false, error: 'insufficient-funds' });
  t.deepEqual(result.update, { set: {} });
  t.deepEqual(result.state, { accounts: { alice: 500 } });
});

test('withdraw from an account that was never opened is refused', (t) => {
  const result = send(app.init(), { op: 'withdraw', account: 'alice', amount: 1 });
  t.deepEqual(result.reply, { ok: false, error: 'no-such-account' });
});

test('transfer moves money and replies with the payer balance', (t) => {
  const result = send(ledgerWith({ alice: 500, bob: 20, carol: 3 }), {
    op: 'transfer',
    from: 'alice',
    to: 'bob',
    amount: 120,
  });
  t.deepEqual(result.reply, { ok: true, balance: 380 });
  t.deepEqual(result.update, { set: { alice: 380, bob: 140 } });
  t.deepEqual(result.state, { accounts: { alice: 380, bob: 140, carol: 3 } });
});

test('transfer to the same account is refused, whether or not it exists', (t) => {
  const known = send(ledgerWith({ alice: 500 }), {
    op: 'transfer',
    from: 'alice',
    to: 'alice',
    amount: 1,
  });
  t.deepEqual(known.reply, { ok: false, error: 'same-account' });
  const unknown = send(app.init(), { op: 'transfer', from: 'zed', to: 'zed', amount: 1 });
  t.deepEqual(unknown.reply, { ok: false, error: 'same-account' });
});

test('transfer naming an account that was never opened is refused on either side', (t) => {
  const state = ledgerWith({ alice: 500 });
  const toNobody = send(state, { op: 'transfer', from: 'alice', to: 'bob', amount: 1 });
  t.deepEqual(toNobody.reply, { ok: false, error: 'no-such-account' });
  const fromNobody = send(state, { op: 'transfer', from: 'bob', to: 'alice', amount: 1 });
  t.deepEqual(fromNobody.reply, { ok: false, error: 'no-such-account' });
  t.deepEqual(toNobody.state, state);
  t.deepEqual(fromNobody.state, state);
});

test('transfer of more than the payer holds is refused and moves nothing', (t) => {
  const state = ledgerWith({ alice: 500, bob: 0 });
  const result = send(state, { op: 'transfer', from: 'alice', to: 'bob', amount: 501 });
  t.deepEqual(result.reply, { ok: false, error: 'insufficient-funds' });
  t.deepEqual(result.state, state);
});

test('transfer that would overflow the payee is refused', (t) => {
  const state = ledgerWith({ alice: 500, bob: MAX_BALANCE - 1 });
  const result = send(state, { op: 'transfer', from: 'alice', to: 'bob', amount: 2 });
  t.deepEqual(result.reply, { ok: false, error: 'balance-overflow' });
  t.deepEqual(result.state, state);
});

test('balance replies with the balance and changes nothing', (t) => {
  const result = send(ledgerWith({ alice: 500 }), { op: 'balance', account: 'alice' });
  t.deepEqual(result.reply, { ok: true, balance: 500 });
  t.deepEqual(result.update, { set: {} });
  const unknown = send(ledgerWith({ alice: 500 }), { op: 'balance', account: 'bob' });
  t.deepEqual(unknown.reply, { ok: false, error: 'no-such-account' });
});

test('accounts named like Object.prototype members are ordinary accounts', (t) => {
  for (const account of ['toString', 'constructor', 'hasOwnProperty', '__defineGetter__']) {
    const before = send(app.init(), { op: 'balance', account });
    t.deepEqual(before.reply, { ok: false, error: 'no-such-account' }, account);
    const opened = send(app.init(), { op: 'open', account });
    t.deepEqual(opened.reply, { ok: true, balance: 0 }, account);
    t.deepEqual(Object.keys(opened.state.accounts), [account]);
  }
});

test('parseRequest returns only the fields the op uses, ignoring extra junk', (t) => {
  t.deepEqual(
    app.parseRequest({ op: 'transfer', from: 'a', to: 'b', amount: 5, note: 'rent', account: 'x' }),
    { op: 'transfer', from: 'a', to: 'b', amount: 5 },
  );
  t.deepEqual(app.parseRequest({ op: 'balance', account: 'a', amount: 'lots' }), {
    op: 'balance',
    account: 'a',
  });
});

test('parseRequest accepts the edges of the amount and account id ranges', (t) => {
  const longest = 'x'.repeat(32);
  t.deepEqual(app.parseRequest({ op: 'deposit', account: longest, amount: MAX_AMOUNT }), {
    op: 'deposit',
    account: longest,
    amount: MAX_AMOUNT,
  });
  t.deepEqual(app.parseRequest({ op: 'withdraw', account: 'é😀', amount: 1 }), {
    op: 'withdraw',
    account: 'é😀',
    amount: 1,
  });
});

const malformed: ReadonlyArray<readonly [string, unknown, RegExp]> = [
  ['nothing at all', undefined, /must be an object/],
  ['null', null, /must be an object/],
  ['a string', 'deposit', /must be an object/],
  ['an array', [{ op: 'open', account: 'a' }], /got an array/],
  ['no op', { account: 'a' }, /"op" must be one of/],
  ['an unknown op', { op: 'close', account: 'a' }, /"op" must be one of .*got "close"/],
  ['a v2 op', { op: 'set-limit', account: 'a', limit: null }, /"op" must be one of/],
  ['an op in the wrong case', { op: 'OPEN', account: 'a' }, /"op" must be one of/],
  ['an inherited op', Object.create({ op: 'open', account: 'a' }), /"op" must be one of/],
  ['no account', { op: 'open' }, /open needs "account".*got nothing/],
  ['an empty account id', { op: 'open', account: '' }, /needs "account"/],
  ['a 33-character account id', { op: 'open', account: 'x'.repeat(33) }, /1 to 32 characters/],
  ['a numeric account id', { op: 'balance', account: 7 }, /got 7/],
  ['a __proto__ account id', { op: 'open', account: '__proto__' }, /needs "account"/],
  ['a lone surrogate in the id', { op: 'open', account: 'a\uD800' }, /needs "account"/],
  ['no amount', { op: 'deposit', account: 'a' }, /deposit needs "amount"/],
  ['a zero amount', { op: 'deposit', account: 'a', amount: 0 }, /got 0/],
  ['a negative amount', { op: 'withdraw', account: 'a', amount: -5 }, /got -5/],
  ['a fractional amount', { op: 'deposit', account: 'a', amount: 1.5 }, /got 1.5/],
  ['an amount as a string', { op: 'deposit', account: 'a', amount: '100' }, /got "100"/],
  ['a NaN amount', { op: 'deposit', account: 'a', amount: Number.NaN }, /got NaN/],
  ['an infinite amount', { op: 'deposit', account: 'a', amount: Infinity }, /got Infinity/],
  ['an amount over MAX_AMOUNT', { op: 'deposit', account: 'a', amount: MAX_AMOUNT + 1 }, /amount/],
  ['a bigint amount', { op: 'deposit', account: 'a', amount: 5n }, /got the bigint 5/],
  ['a transfer without "to"', { op: 'transfer', from: 'a', amount: 5 }, /transfer needs "to"/],
  ['a transfer without "from"', { op: 'transfer', to: 'a', amount: 5 }, /transfer needs "from"/],
];

for (const [what, input, message] of malformed) {
  test(`parseRequest rejects ${what} with an AppInputError saying what is wrong`, (t) => {
    const error = t.throws(() => app.parseRequest(input), { instanceOf: AppInputError });
    // The app gives a reason (typed facts); the host says it.
    t.regex(reasonText(error?.why ?? { code: 'none' }), message);
  });
}
