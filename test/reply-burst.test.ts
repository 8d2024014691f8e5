/**
 * Replies an acknowledgement releases at once leave `heldServedMax` a call:
 * a backup that was slow to acknowledge (busy, or compacting its store) may
 * release a hundred replies with one acknowledgement, and writing each one
 * is the board's work in that call. Virtual time: the harness gives a core
 * at most one tick and one frame a millisecond here.
 */
import test from 'ava';
import { ledgerV1 } from '../firmware/apps/ledger/index.ts';
import { CorePair } from './helpers/core-pair.ts';

/** Milliseconds over which the replies to 24 requests, held back by a frozen backup, came out. */
function burstSpreadMs(heldServedMax: number): number {
  const pair = new CorePair([ledgerV1('state'), ledgerV1('state')], { heldServedMax });
  pair.runUntil(() => pair.whole);
  for (let i = 0; i < 24; i++) pair.ask(0, `c${i}`, 1, { op: 'open', account: `c${i}` });
  pair.freeze(1, 100);
  const before = pair.replies.length;
  for (let i = 0; i < 24; i++)
    pair.request(0, `c${i}`, 2, { op: 'deposit', account: `c${i}`, amount: 1 });
  pair.run(90);
  if (pair.replies.length !== before) throw new Error('a reply left before the backup held it');
  const times: number[] = [];
  while (pair.replies.length < before + 24) {
    const seen = pair.replies.length;
    pair.run(1);
    for (let n = seen; n < pair.replies.length; n++) times.push(pair.nowMs);
  }
  return Math.max(...times) - Math.min(...times);
}

test('replies released by one acknowledgement leave heldServedMax a call', (t) => {
  const few = burstSpreadMs(2);
  const many = burstSpreadMs(32);
  t.log(`24 replies came out over ${few} ms at 2 a call, ${many} ms at 32`);
  t.true(many <= 1, `${many} ms`);
  t.true(few >= 5, `${few} ms`);
});
