/**
 * The interconnect line counters `tandem bench` breaks the line's time down
 * with: every frame a core puts on a path is counted once, by what it
 * carried. Two cores back to back, virtual time.
 */
import test from 'ava';
import { ledgerV1 } from '../firmware/apps/ledger/index.ts';
import {
  FRAME_USES,
  type LineUseCounts,
  type PathLineUse,
  pathLineUse,
} from '../firmware/runtime/line-use.ts';
import { FRAME_OVERHEAD_BYTES } from '../firmware/wire/frame.ts';
import { CorePair } from './helpers/core-pair.ts';

const read = (counts: readonly LineUseCounts[]): PathLineUse[] => counts.map(pathLineUse);

const total = (paths: readonly PathLineUse[], use: (typeof FRAME_USES)[number]) =>
  paths.reduce(
    (sum, path) => ({ frames: sum.frames + path[use].frames, bytes: sum.bytes + path[use].bytes }),
    { frames: 0, bytes: 0 },
  );

function wholeLedgerPair(): CorePair {
  const pair = new CorePair([ledgerV1('state'), ledgerV1('state')], { heartbeatIntervalMs: 20 });
  pair.runUntil(() => pair.whole);
  return pair;
}

function openAccounts(pair: CorePair, count: number, from = 1): void {
  for (let i = from; i < from + count; i++) {
    pair.request(0, `c${i}`, 1, { op: 'open', account: `a${i}` });
  }
  pair.runUntil(() => pair.replies.length >= from + count - 1);
}

test('checkpoints, acknowledgements and heartbeats are counted by path and kind; nothing is resent on a clean line', (t) => {
  const pair = wholeLedgerPair();
  openAccounts(pair, 40);
  pair.run(100);
  const primary = read(pair.core(0).lineUse);
  const backup = read(pair.core(1).lineUse);
  t.is(primary.length, 2, 'one count per path');
  const checkpoints = total(primary, 'checkpoint');
  t.true(checkpoints.frames > 0);
  // A checkpoint frame holds the entries' payload, its envelope and the framing.
  t.true(
    checkpoints.bytes >=
      pair.core(0).checkpointSentBytes + checkpoints.frames * FRAME_OVERHEAD_BYTES,
  );
  t.is(total(primary, 'resent').frames, 0);
  t.true(total(primary, 'bare').frames > 0, 'heartbeats');
  t.is(total(backup, 'checkpoint').frames, 0, 'a backup sends no checkpoints');
  t.true(total(backup, 'bare').frames > 0, 'acknowledgements and heartbeats');
  for (const path of [...primary, ...backup]) {
    for (const use of FRAME_USES) {
      t.true(path[use].bytes >= path[use].frames * FRAME_OVERHEAD_BYTES, `${use} holds its frames`);
    }
  }
});

test('the checkpoint payload is counted as its frames go, never ahead of the line, also with batches queued for the channel', (t) => {
  const pair = wholeLedgerPair();
  // A burst: batches wait in the channel's queue while the line carries the first ones.
  openAccounts(pair, 1);
  for (let i = 2; i <= 300; i++) pair.request(0, `c${i}`, 1, { op: 'open', account: `a${i}` });
  let ahead = 0;
  for (let ms = 0; ms < 3000 && pair.replies.length < 300; ms++) {
    pair.run(1);
    const frames = total(read(pair.core(0).lineUse), 'checkpoint');
    const payload = pair.core(0).checkpointSentBytes;
    if (payload > frames.bytes - frames.frames * FRAME_OVERHEAD_BYTES) ahead += 1;
  }
  t.is(pair.replies.length, 300);
  t.is(ahead, 0, 'milliseconds in which more payload was counted than checkpoint frames carried');
});

test('segments lost on the line are counted as resent when their timer runs out', (t) => {
  const pair = wholeLedgerPair();
  openAccounts(pair, 5);
  const before = total(read(pair.core(0).lineUse), 'resent').frames;
  // The primary's frames are lost both ways for less than the suspicion time.
  for (const path of pair.cut) path[0] = true;
  for (let i = 6; i <= 10; i++) pair.request(0, `c${i}`, 1, { op: 'open', account: `a${i}` });
  pair.run(45);
  for (const path of pair.cut) path[0] = false;
  pair.runUntil(() => pair.replies.length >= 10);
  t.true(total(read(pair.core(0).lineUse), 'resent').frames > before);
  t.is(pair.core(1).txn, pair.core(0).txn);
});
