/**
 * A registration is a transaction (issue 9): the backup, and a retained
 * pair's stores, hold a client's session before the client hears of it.
 * Before, the primary answered a registration at once and told nobody, so a
 * takeover right after it, or a power loss of both boards of a retained
 * pair, forgot the session, and the client's first request was answered
 * "session expired" (the fault walk met it in 32 of 14,076 switches).
 */
import test from 'ava';
import { RetentiveMemory } from '../boards/retentive-memory.ts';
import { ledgerV1 } from '../firmware/apps/ledger/index.ts';
import { CorePair } from './helpers/core-pair.ts';
import { asOlderImage } from './helpers/older-image.ts';

const open = { op: 'open', account: 'a' };

function wholePair(stores?: [RetentiveMemory, RetentiveMemory]): CorePair {
  const app = ledgerV1('state');
  const pair = new CorePair([app, app], { heartbeatIntervalMs: 20 }, stores);
  pair.runUntil(() => pair.whole);
  return pair;
}

test('a client registered just before the primary loses power runs its first request on the new primary', (t) => {
  const pair = wholePair();
  const registered = pair.ask(0, 'c', 0, null);
  t.true(registered.ok);
  t.is(pair.core(1).txn, registered.ok ? registered.txn : -1, 'the backup holds the registration');
  pair.powerOff(0);
  pair.runUntil(() => pair.core(1).serving);
  const reply = pair.ask(1, 'c', 1, open);
  t.true(reply.ok, JSON.stringify(reply));
});

test('a registration is answered only once the backup holds it', (t) => {
  const pair = wholePair();
  pair.freeze(1, 500);
  pair.request(0, 'c', 0, null);
  pair.run(400);
  t.is(pair.replies.length, 0, 'no answer while the backup reads nothing');
  pair.runUntil(() => pair.replies.length > 0);
  t.like(pair.replies[0], { clientId: 'c', syncId: 0, ok: true });
  t.true(pair.nowMs >= 500);
});

test('a retried registration gets the same transaction, and runs nothing again', (t) => {
  const pair = wholePair();
  const first = pair.ask(0, 'c', 0, null);
  const txn = pair.core(0).txn;
  const again = pair.ask(0, 'c', 0, null);
  t.deepEqual(again, first);
  t.is(pair.core(0).txn, txn);
});

test('a retained pair that loses both boards keeps a session that only registered', (t) => {
  const pair = wholePair([new RetentiveMemory(), new RetentiveMemory()]);
  t.true(pair.ask(0, 'c', 0, null).ok);
  pair.powerOff(0, 1);
  pair.boot(0);
  pair.boot(1);
  pair.runUntil(() => pair.whole);
  const board = pair.core(0).serving ? 0 : 1;
  const reply = pair.ask(board, 'c', 1, open);
  t.true(reply.ok, JSON.stringify(reply));
});

test('with a backup of an older image, which reads no registration entry, a registration is answered at once, as before', (t) => {
  const app = ledgerV1('state');
  const pair = new CorePair([app, app], { heartbeatIntervalMs: 20 });
  pair.onTheWire = (from, frame) => (from === 1 ? asOlderImage(frame, 'registers') : frame);
  pair.runUntil(() => pair.whole);
  pair.request(0, 'c', 0, null);
  // Answered as the request was read, with the transaction it met: nothing crossed the wire.
  t.like(pair.replies[0], { clientId: 'c', syncId: 0, ok: true, txn: 0 });
  const reply = pair.ask(0, 'c', 1, open);
  t.true(reply.ok, JSON.stringify(reply));
  pair.run(200);
  t.is(pair.core(1).role, 'backup', 'the backup kept its copy');
  t.is(pair.core(1).txn, 1);
});
