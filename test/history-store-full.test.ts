/**
 * A `store-full` refusal is a transaction that changed nothing: the client
 * was told it was not done, and the history keeps it in its place. It is
 * neither an acknowledged request nor a lost one, and a retry answered
 * otherwise is caught. The replay checks the room's judgement too (room-misjudged).
 */
import test from 'ava';
import { ledgerV1 } from '../firmware/apps/ledger/index.ts';
import { History } from '../host/history/client-history.ts';

const app = ledgerV1('state');
const open = (account: string) => ({ op: 'open', account });

/** x opened as txn 1, y refused store-full as txn 2, z opened as txn 3. */
function history(): { h: History; finalState: unknown } {
  const h = new History(() => app, 'reported');
  let state = app.init();
  for (const [txn, account] of [
    [1, 'x'],
    [3, 'z'],
  ] as const) {
    h.executed({ kind: 'executed', txn, clientId: account, syncId: 1, nowMs: 0, seed: 0 }, 1);
    const decision = app.handle(state, app.parseRequest(open(account)), {
      nowMs: 0,
      random: () => 0,
    });
    state = app.apply(state, decision.update);
    h.acknowledge(
      0,
      { clientId: account, syncId: 1, body: open(account) },
      {
        reply: decision.reply,
        txn,
        syncId: 1,
      },
    );
  }
  return { h, finalState: state };
}

const refusal = { error: 'store-full', why: { code: 'no-room', bytes: 900, max: 800 }, txn: 2 };

test('a store-full refusal holds its txn: no gap, no loss, counted apart', (t) => {
  const { h, finalState } = history();
  h.refuse(0, { clientId: 'y', syncId: 1, body: open('y') }, refusal);
  h.checkSequential(0, finalState, app.version, 3);
  t.deepEqual(h.violations, []);
  t.is(h.acknowledged, 2);
  t.is(h.refusedStoreFull, 1);
  t.is(h.lost, 0);
});

test('a retry of a refused request that comes back done is caught', (t) => {
  const { h } = history();
  h.refuse(0, { clientId: 'y', syncId: 1, body: open('y') }, refusal);
  h.acknowledge(
    0,
    { clientId: 'y', syncId: 1, body: open('y') },
    { reply: 'ok', txn: 2, syncId: 1 },
  );
  t.is(h.violations[0]?.kind, 'retry-reply-differs');
});

/** y's request refused store-full as txn 2, with the context the primary gave it and the sizes it claimed. */
function refused(body: unknown, bytes: number): History {
  const { h } = history();
  h.executed({ kind: 'executed', txn: 2, clientId: 'y', syncId: 1, nowMs: 0, seed: 0 }, 1);
  h.refuse(
    0,
    { clientId: 'y', syncId: 1, body },
    { ...refusal, why: { code: 'no-room', bytes, max: 800 } },
  );
  return h;
}

test('a refusal of a request that grows the state, claiming a snapshot larger than the state, passes', (t) => {
  const { finalState } = history();
  const h = refused(open('y'), 900);
  h.checkSequential(0, finalState, app.version, 3);
  t.deepEqual(h.violations, []);
});

test('a refusal of a request that does not grow the state is caught', (t) => {
  const { finalState } = history();
  const h = refused({ op: 'balance', account: 'x' }, 900);
  h.checkSequential(0, finalState, app.version, 3);
  t.is(h.violations[0]?.kind, 'room-misjudged');
  t.regex(h.violations[0]?.detail ?? '', /does not grow the state/);
});

test('a refusal claiming a snapshot smaller than the state alone is caught', (t) => {
  const { finalState } = history();
  const h = refused(open('y'), 1);
  h.checkSequential(0, finalState, app.version, 3);
  t.is(h.violations[0]?.kind, 'room-misjudged');
  t.regex(h.violations[0]?.detail ?? '', /less than the \d+ the state alone would take/);
});

test('a state larger than the room at a refusal, or at the end, is caught', (t) => {
  const { h, finalState } = history();
  h.executed({ kind: 'executed', txn: 2, clientId: 'y', syncId: 1, nowMs: 0, seed: 0 }, 1);
  h.refuse(
    0,
    { clientId: 'y', syncId: 1, body: open('y') },
    { ...refusal, why: { code: 'no-room', bytes: 9, max: 5 } },
  );
  h.checkSequential(0, finalState, app.version, 3);
  t.regex(
    h.violations[0]?.detail ?? '',
    /before it, over the room's 5: requests were let in past the room/,
  );
  const { h: fits } = history();
  fits.checkRoom(0, finalState, 10_000);
  t.deepEqual(fits.violations, []);
  fits.checkRoom(0, finalState, 5);
  t.is(fits.violations[0]?.kind, 'room-misjudged');
});
