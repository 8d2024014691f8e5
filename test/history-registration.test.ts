/**
 * Registrations are transactions that change nothing (issue 9). The history
 * keeps them in the transaction order, lets a registration run twice (a copy
 * that arrives after its session was forgotten begins it again), fills a gap
 * a registration nobody heard left, and still reports a gap nothing explains.
 */
import test from 'ava';
import { ledgerV1 } from '../firmware/apps/ledger/index.ts';
import { History } from '../host/history/client-history.ts';

const app = ledgerV1('state');
const open = { op: 'open', account: 'x' };
const context = { nowMs: 10, seed: 7 } as const;

/** Client c's open, acknowledged as txn `txn`, the last; then the history's check. */
function ackOpenAndCheck(h: History, txn: number): void {
  h.executed({ kind: 'executed', txn, clientId: 'c', syncId: 1, ...context }, 1);
  const decision = app.handle(app.init(), app.parseRequest(open), {
    nowMs: context.nowMs,
    random: () => 0,
  });
  h.acknowledge(
    0,
    { clientId: 'c', syncId: 1, body: open },
    { reply: decision.reply, txn, syncId: 1 },
  );
  h.checkSequential(99, app.apply(app.init(), decision.update), app.version, txn);
}

function registered(h: History, clientId: string, txn: number, heard: boolean): void {
  h.executed({ kind: 'executed', txn, clientId, syncId: 0, nowMs: 0, seed: 0 }, 1);
  if (heard) h.acknowledge(0, { clientId, syncId: 0, body: null }, { reply: null, txn, syncId: 0 });
}

test('a registration holds its place in the order, changes nothing, and is no acknowledged request', (t) => {
  const h = new History(() => app, 'reported');
  registered(h, 'c', 1, true);
  ackOpenAndCheck(h, 2);
  t.deepEqual(h.violations, []);
  t.is(h.acknowledged, 1);
});

test('a registration that ran twice is no second execution', (t) => {
  const h = new History(() => app, 'reported');
  registered(h, 'c', 1, true);
  registered(h, 'c', 2, true);
  ackOpenAndCheck(h, 3);
  t.deepEqual(h.violations, []);
  t.is(h.duplicated, 0);
});

test('a registration nobody heard fills its gap; a gap nothing ran in is still a loss', (t) => {
  const filled = new History(() => app, 'reported');
  registered(filled, 'c', 1, true);
  registered(filled, 'd', 2, false);
  ackOpenAndCheck(filled, 3);
  t.deepEqual(filled.violations, []);

  const lost = new History(() => app, 'reported');
  registered(lost, 'c', 1, true);
  ackOpenAndCheck(lost, 3);
  t.deepEqual(
    lost.violations.map((v) => v.kind),
    ['acknowledged-lost'],
  );
});
