/**
 * A processor whose store compacts takes no checkpoint meanwhile, nothing
 * being logged before the snapshot is down: it keeps the segments that
 * arrive, and takes them once the compaction is done, so that its partner
 * need not send them again. After a joiner installs the big checkpoint its
 * first compaction comes at once, under load.
 */
import test from 'ava';
import { RetentiveMemory } from '../boards/retentive-memory.ts';
import { ledgerV1 } from '../firmware/apps/ledger/index.ts';
import { pathLineUse } from '../firmware/runtime/line-use.ts';
import { CorePair } from './helpers/core-pair.ts';

const WRITERS = 8;

const resentFrames = (pair: CorePair, board: 0 | 1): number =>
  pair.core(board).lineUse.reduce((sum, counts) => sum + pathLineUse(counts).resent.frames, 0);

test('a backup compacting after its big checkpoint keeps the checkpoints that arrive: none is sent again', (t) => {
  const app = ledgerV1('state');
  // Slices of 1 KiB (a microcontroller's): the compaction takes a tick for each.
  const pair = new CorePair([app, app], { encodeSliceBytes: 1024 }, [
    new RetentiveMemory(),
    new RetentiveMemory(),
  ]);
  pair.runUntil(() => pair.whole, 60_000);
  for (let a = 0; a < 200; a++) pair.ask(0, 'setup', a + 1, { op: 'open', account: `acct-${a}` });
  pair.powerOff(1);
  pair.run(50);
  pair.boot(1);
  const resentBefore = resentFrames(pair, 0);
  // Writers with a request always outstanding, from the backup's boot until it is a backup again and a while after.
  const syncs = Array.from({ length: WRITERS }, () => 0);
  let answered = 0;
  let seen = pair.replies.length;
  let until = Number.POSITIVE_INFINITY;
  for (let ms = 0; ms < 20_000 && pair.nowMs < until; ms++) {
    const replies = pair.replies.slice(seen);
    seen = pair.replies.length;
    syncs.forEach((sync, w) => {
      if (sync > 0 && !replies.some((r) => r.clientId === `w${w}` && r.syncId === sync)) return;
      if (sync > 0) answered += 1;
      syncs[w] = sync + 1;
      const account = `acct-${(sync * 7 + w) % 200}`;
      pair.request(0, `w${w}`, sync + 1, { op: 'deposit', account, amount: 1 });
    });
    pair.run(1);
    if (pair.whole && until === Number.POSITIVE_INFINITY) until = pair.nowMs + 500;
  }
  t.true(pair.whole, 'the backup rejoined');
  t.true(answered > 50, `${answered} writes answered`);
  const resent = resentFrames(pair, 0) - resentBefore;
  t.log(`${resent} frames sent again by the primary`);
  t.is(resent, 0);
  pair.run(1000);
  t.deepEqual(pair.core(1).state, pair.core(0).state);
});
