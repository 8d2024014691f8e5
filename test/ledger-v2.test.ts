import test from 'ava';
import type { HandlerContext } from '../firmware/app.ts';
import { AppInputError } from '../firmware/app.ts';
import type { LedgerAccount, LedgerV2State } from '../firmware/apps/ledger/index.ts';
import {
  HISTORY_MAX,
  ledgerV2,
  parseLedgerV1Request,
  parseLedgerV2Request,
} from '../firmware/apps/ledger/index.ts';
import { reasonText } from '../firmware/reasons.ts';

const app = ledgerV2();

function at(nowMs: number): HandlerContext {
  return { nowMs, random: () => 0.5 };
}

function ledgerWith(accounts: Record<string, Partial<LedgerAccount>>): LedgerV2State {
  const records: Record<string, LedgerAccount> = {};
  for (const [id, account] of Object.entries(accounts)) {
    records[id] = { balance: account.balance ?? 0, limit: account.limit ?? null };
  }
  return { accounts: records, history: [] };
}

/** Parses, decides and commits one request, the way a primary does. */
function send(state: LedgerV2State, input: unknown, nowMs = 1_000) {
  const decision = app.handle(state, app.parseRequest(input), at(nowMs));
  return { ...decision, state: app.apply(structuredClone(state), decision.update) };
}

test('the app identifies itself as ledger 2.0.0 with state version 2', (t) => {
  t.is(app.name, 'ledger');
  t.is(app.version, '2.0.0');
  t.is(app.stateVersion, 2);
  t.is(app.converters?.priorStateVersion, 1);
  t.is(ledgerV2('replay').checkpoint, 'replay');
  t.deepEqual(app.init(), { accounts: {}, history: [] });
});

test('open creates an account with no limit', (t) => {
  const result = send(app.init(), { op: 'open', account: 'alice' });
  t.deepEqual(result.reply, { ok: true, balance: 0 });
  t.deepEqual(result.state.accounts, { alice: { balance: 0, limit: null } });
});

test('v1 requests behave in v2 as they did in v1', (t) => {
  const state = ledgerWith({ alice: { balance: 500 }, bob: {} });
  t.deepEqual(send(state, { op: 'open', account: 'alice' }).reply, {
    ok: false,
    error: 'account-exists',
  });
  t.deepEqual(send(state, { op: 'deposit', account: 'alice', amount: 5 }).reply, {
    ok: true,
    balance: 505,
  });
  t.deepEqual(send(state, { op: 'withdraw', account: 'alice', amount: 501 }).reply, {
    ok: false,
    error: 'insufficient-funds',
  });
  t.deepEqual(send(state, { op: 'transfer', from: 'bob', to: 'bob', amount: 1 }).reply, {
    ok: false,
    error: 'same-account',
  });
  t.deepEqual(send(state, { op: 'balance', account: 'carol' }).reply, {
    ok: false,
    error: 'no-such-account',
  });
});

test('set-limit records the limit and replies with the balance', (t) => {
  const result = send(ledgerWith({ alice: { balance: 500 } }), {
    op: 'set-limit',
    account: 'alice',
    limit: 100,
  });
  t.deepEqual(result.reply, { ok: true, balance: 500 });
  t.deepEqual(result.update, { set: { alice: { balance: 500, limit: 100 } }, logTransfer: null });
  t.deepEqual(result.state.accounts.alice, { balance: 500, limit: 100 });
});

test('set-limit on an account that was never opened is refused', (t) => {
  const result = send(app.init(), { op: 'set-limit', account: 'alice', limit: 100 });
  t.deepEqual(result.reply, { ok: false, error: 'no-such-account' });
});

test('withdraw up to the limit succeeds; above it is refused even with funds to spare', (t) => {
  const state = ledgerWith({ alice: { balance: 500, limit: 100 } });
  t.deepEqual(send(state, { op: 'withdraw', account: 'alice', amount: 100 }).reply, {
    ok: true,
    balance: 400,
  });
  const over = send(state, { op: 'withdraw', account: 'alice', amount: 101 });
  t.deepEqual(over.reply, { ok: false, error: 'over-limit' });
  t.deepEqual(over.state, state);
});

test('the limit is reported before a shortage of funds', (t) => {
  const state = ledgerWith({ alice: { balance: 50, limit: 100 } });
  t.deepEqual(send(state, { op: 'withdraw', account: 'alice', amount: 101 }).reply, {
    ok: false,
    error: 'over-limit',
  });
  t.deepEqual(send(state, { op: 'withdraw', account: 'alice', amount: 99 }).reply, {
    ok: false,
    error: 'insufficient-funds',
  });
});

test('a transfer is held to the payer limit, not the payee limit', (t) => {
  const state = ledgerWith({ alice: { balance: 500, limit: 100 }, bob: { limit: 1 } });
  const over = send(state, { op: 'transfer', from: 'alice', to: 'bob', amount: 101 });
  t.deepEqual(over.reply, { ok: false, error: 'over-limit' });
  t.deepEqual(over.state, state);
  const within = send(state, { op: 'transfer', from: 'alice', to: 'bob', amount: 100 });
  t.deepEqual(within.reply, { ok: true, balance: 400 });
  t.deepEqual(within.state.accounts.bob, { balance: 100, limit: 1 });
});

test('a null limit lifts the limit', (t) => {
  const limited = ledgerWith({ alice: { balance: 500, limit: 100 } });
  const lifted = send(limited, { op: 'set-limit', account: 'alice', limit: null }).state;
  t.deepEqual(send(lifted, { op: 'withdraw', account: 'alice', amount: 500 }).reply, {
    ok: true,
    balance: 0,
  });
});

test('deposits keep the account limit', (t) => {
  const state = ledgerWith({ alice: { balance: 5, limit: 100 } });
  const result = send(state, { op: 'deposit', account: 'alice', amount: 1_000 });
  t.deepEqual(result.state.accounts.alice, { balance: 1_005, limit: 100 });
});

test('a transfer is logged with the time the runtime supplied', (t) => {
  const state = ledgerWith({ alice: { balance: 500 }, bob: {} });
  const result = send(state, { op: 'transfer', from: 'alice', to: 'bob', amount: 42 }, 123_456);
  const logged = { atMs: 123_456, from: 'alice', to: 'bob', amount: 42 };
  t.deepEqual(result.update.logTransfer, logged);
  t.deepEqual(result.state.history, [logged]);
});

test('refused transfers and other ops leave the history alone', (t) => {
  const state = ledgerWith({ alice: { balance: 500, limit: 10 }, bob: {} });
  const refused = [
    { op: 'transfer', from: 'alice', to: 'bob', amount: 11 },
    { op: 'transfer', from: 'bob', to: 'alice', amount: 1 },
    { op: 'transfer', from: 'alice', to: 'alice', amount: 1 },
    { op: 'transfer', from: 'alice', to: 'carol', amount: 1 },
    { op: 'deposit', account: 'bob', amount: 1 },
    { op: 'withdraw', account: 'alice', amount: 1 },
  ];
  for (const request of refused) {
    const result = send(state, request);
    t.is(result.update.logTransfer, null);
    t.deepEqual(result.state.history, []);
  }
});

test(`the history keeps only the last ${HISTORY_MAX} transfers, oldest first`, (t) => {
  let state = ledgerWith({ alice: { balance: 1_000 }, bob: {} });
  const total = HISTORY_MAX + 5;
  for (let i = 1; i <= total; i++) {
    state = send(state, { op: 'transfer', from: 'alice', to: 'bob', amount: i }, i * 10).state;
  }
  t.is(state.history.length, HISTORY_MAX);
  t.deepEqual(
    state.history.map((transfer) => transfer.amount),
    Array.from({ length: HISTORY_MAX }, (_, i) => total - HISTORY_MAX + 1 + i),
  );
});

test('history lists the transfers touching the account, either side, oldest first', (t) => {
  let state = ledgerWith({ alice: { balance: 1_000 }, bob: {}, carol: {} });
  state = send(state, { op: 'transfer', from: 'alice', to: 'bob', amount: 1 }, 10).state;
  state = send(state, { op: 'transfer', from: 'alice', to: 'carol', amount: 2 }, 20).state;
  state = send(state, { op: 'transfer', from: 'bob', to: 'alice', amount: 1 }, 30).state;
  const result = send(state, { op: 'history', account: 'bob' });
  t.deepEqual(result.reply, {
    ok: true,
    transfers: [
      { atMs: 10, from: 'alice', to: 'bob', amount: 1 },
      { atMs: 30, from: 'bob', to: 'alice', amount: 1 },
    ],
  });
  t.deepEqual(result.update, { set: {}, logTransfer: null });
  t.deepEqual(send(state, { op: 'history', account: 'carol' }).reply, {
    ok: true,
    transfers: [{ atMs: 20, from: 'alice', to: 'carol', amount: 2 }],
  });
});

test('history of an account that was never opened is refused', (t) => {
  t.deepEqual(send(app.init(), { op: 'history', account: 'alice' }).reply, {
    ok: false,
    error: 'no-such-account',
  });
});

test('a history reply shares no objects with the state', (t) => {
  let state = ledgerWith({ alice: { balance: 1_000 }, bob: {} });
  state = send(state, { op: 'transfer', from: 'alice', to: 'bob', amount: 1 }, 10).state;
  const before = structuredClone(state);
  const { reply } = app.handle(state, { op: 'history', account: 'bob' }, at(0));
  const first = reply.ok && 'transfers' in reply ? reply.transfers[0] : undefined;
  if (first === undefined) return t.fail('expected a history reply with one transfer');
  (first as { amount: number }).amount = 999;
  t.deepEqual(state, before);
});

test('apply copies what it commits, so a retained update cannot change the state', (t) => {
  const state = ledgerWith({ alice: { balance: 500 }, bob: {} });
  const { update } = app.handle(
    state,
    { op: 'transfer', from: 'alice', to: 'bob', amount: 5 },
    at(0),
  );
  const after = app.apply(state, update);
  const snapshot = structuredClone(after);
  const { alice } = update.set as Record<string, { balance: number }>;
  if (alice === undefined || update.logTransfer === null) return t.fail('expected a transfer');
  alice.balance = 1e9;
  (update.logTransfer as { amount: number }).amount = 1e9;
  t.deepEqual(after, snapshot);
});

test('v2 parses set-limit and history, and every v1 request as v1 does', (t) => {
  t.deepEqual(parseLedgerV2Request({ op: 'set-limit', account: 'a', limit: 7, x: 1 }), {
    op: 'set-limit',
    account: 'a',
    limit: 7,
  });
  t.deepEqual(parseLedgerV2Request({ op: 'set-limit', account: 'a', limit: null }), {
    op: 'set-limit',
    account: 'a',
    limit: null,
  });
  t.deepEqual(parseLedgerV2Request({ op: 'history', account: 'a' }), {
    op: 'history',
    account: 'a',
  });
  const v1Request = { op: 'transfer', from: 'a', to: 'b', amount: 3 };
  t.deepEqual(parseLedgerV2Request(v1Request), parseLedgerV1Request(v1Request));
});

const malformed: ReadonlyArray<readonly [string, unknown, RegExp]> = [
  ['set-limit without a limit', { op: 'set-limit', account: 'a' }, /needs "limit": null or/],
  ['a zero limit', { op: 'set-limit', account: 'a', limit: 0 }, /got 0/],
  ['a fractional limit', { op: 'set-limit', account: 'a', limit: 2.5 }, /got 2.5/],
  ['set-limit without an account', { op: 'set-limit', limit: 5 }, /set-limit needs "account"/],
  ['history without an account', { op: 'history' }, /history needs "account"/],
  ['an unknown op', { op: 'close', account: 'a' }, /set-limit, history; got "close"/],
];

for (const [what, input, message] of malformed) {
  test(`v2 parseRequest rejects ${what} with an AppInputError`, (t) => {
    const error = t.throws(() => app.parseRequest(input), { instanceOf: AppInputError });
    t.regex(reasonText(error?.why ?? { code: 'none' }), message);
  });
}
