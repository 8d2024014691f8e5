/**
 * Durable state across a fallback (issue 10), on two cores wired back to
 * back, each with a store that outlives its power. A fallback boots ledger
 * 1.0.0 on boards whose stores hold logs 2.0.0 wrote, which 1.0.0 cannot
 * replay: each refuses its store (right: never start empty in its place) and
 * joins. What should follow: once a board holds the pair's history again
 * (the big checkpoint), its log is that history, written before it
 * acknowledges, so a later loss of both boards loses nothing.
 * Before, the core kept the store refused for the rest of the boot, so
 * after a fallback neither board wrote its store (0 store operations while
 * acknowledging), and after both boards lost power both refused again and
 * stayed booting: the pair never recovered.
 */
import test from 'ava';
import { RetentiveMemory } from '../boards/retentive-memory.ts';
import { ledgerV1, ledgerV2 } from '../firmware/apps/ledger/index.ts';
import { CorePair } from './helpers/core-pair.ts';

test('after a fallback to 1.0.0 both boards write their stores again, and a blackout then recovers', (t) => {
  const stores: [RetentiveMemory, RetentiveMemory] = [new RetentiveMemory(), new RetentiveMemory()];
  const pair = new CorePair(
    [ledgerV2('state'), ledgerV2('state')],
    { heartbeatIntervalMs: 20 },
    stores,
  );
  for (const board of [0, 1] as const) pair.boot(board, { otherVersion: '1.0.0' });
  pair.runUntil(() => pair.whole);
  for (let i = 1; i <= 5; i++) pair.request(0, `a${i}`, 1, { op: 'open', account: `a${i}` });
  pair.runUntil(() => pair.replies.length >= 5);
  // The fallback: the backup stops and boots 1.0.0 on trial, takes the roles, then the other does.
  t.is(pair.core(0).switchToOther(pair.nowMs), null);
  pair.runUntil(() => pair.cores[1] == null);
  pair.boot(1, { testMode: true, otherVersion: '2.0.0' }, ledgerV1('state'));
  pair.runUntil(() => pair.cores[0] == null);
  pair.boot(0, { testMode: true, otherVersion: '2.0.0' }, ledgerV1('state'));
  pair.runUntil(() => pair.whole);
  t.deepEqual(
    pair.cores.map((c) => c?.hello.version),
    ['1.0.0', '1.0.0'],
  );
  const operations = [stores[0].operations, stores[1].operations];
  const server = pair.cores.findIndex((c) => c?.serving === true) as 0 | 1;
  for (let i = 1; i <= 5; i++) pair.request(server, `b${i}`, 1, { op: 'open', account: `b${i}` });
  pair.runUntil(() => pair.replies.length >= 10);
  t.true(stores[0].operations > (operations[0] ?? 0), 'processor 1 logged what it acknowledged');
  t.true(stores[1].operations > (operations[1] ?? 0), 'processor 2 logged what it acknowledged');
  pair.powerOff(0, 1);
  pair.run(100);
  pair.boot(0, {}, ledgerV1('state'));
  pair.boot(1, {}, ledgerV1('state'));
  pair.runUntil(() => pair.whole, 20_000);
  const back = pair.core(pair.cores.findIndex((c) => c?.serving === true) as 0 | 1);
  t.true(back.txn >= 10, `recovered at txn ${back.txn}`);
});
