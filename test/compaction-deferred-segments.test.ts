/**
 * A processor whose store compacts takes no checkpoint meanwhile, nothing
 * being logged before the snapshot is down: it keeps the segments that
 * arrive, and takes them once the compaction is done, so that its partner
 * need not send them again. After a joiner installs the big checkpoint its
 * first compaction comes at once, under load; the area it writes was erased
 * ahead while the big checkpoint crossed.
 */
import test from 'ava';
import { RetentiveMemory } from '../boards/retentive-memory.ts';
import { ledgerV1 } from '../firmware/apps/ledger/index.ts';
import type { DurableRegion, StoreGeometry } from '../firmware/hal.ts';
import { DurableLog } from '../firmware/runtime/durable-log.ts';
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

/** Areas of 16 blocks of 1 KiB: an erase a tick, as the core does them, takes 16 ticks. */
const MANY_BLOCKS: StoreGeometry = {
  eraseBlockBytes: 1024,
  writeBytes: 16,
  blockCount: 32,
  enduranceCycles: 100_000,
};

test('a joiner erases the area its first compaction writes while the big checkpoint crosses, not after the install', (t) => {
  const app = ledgerV1('state');
  const stores = [new RetentiveMemory(MANY_BLOCKS), new RetentiveMemory(MANY_BLOCKS)] as const;
  const erases: { readonly atMs: number; readonly block: number }[] = [];
  let nowMs = () => 0;
  const recorded: DurableRegion = {
    geometry: stores[1].geometry,
    read: (offset, length) => stores[1].read(offset, length),
    write: (offset, bytes) => stores[1].write(offset, bytes),
    erase: (block) => {
      erases.push({ atMs: nowMs(), block });
      stores[1].erase(block);
    },
  };
  const pair = new CorePair([app, app], {}, [stores[0], recorded]);
  nowMs = () => pair.nowMs;
  pair.runUntil(() => pair.whole, 60_000);
  // About 1.5 KB of state: its big checkpoint crosses in some 150 ms at 115200 baud.
  for (let a = 0; a < 60; a++) pair.ask(0, 'setup', a + 1, { op: 'open', account: `acct-${a}` });
  pair.run(100);
  pair.powerOff(1);
  // The other area holds bytes of an older log, as after a reset that came before its erase-ahead.
  const opened = new DurableLog(stores[1]);
  opened.open();
  const other = opened.position?.area === 0 ? 1 : 0;
  const areaBlocks = MANY_BLOCKS.blockCount / 2;
  const otherAt = other * areaBlocks * MANY_BLOCKS.eraseBlockBytes;
  stores[1].bytes.fill(0, otherAt, otherAt + MANY_BLOCKS.writeBytes);
  pair.run(50);
  erases.length = 0;
  const bootedAtMs = pair.nowMs;
  pair.boot(1);
  pair.runUntil(() => pair.whole, 60_000);
  pair.run(1000);
  const installed = pair.events.find(
    (e) =>
      e.board === 1 &&
      e.atMs >= bootedAtMs &&
      e.event.kind === 'role' &&
      e.event.cause === 'big-checkpoint-installed',
  );
  if (installed === undefined) return t.fail('the joiner never installed the big checkpoint');
  const inOther = (block: number) => Math.floor(block / areaBlocks) === other;
  const before = erases.filter((e) => e.atMs < installed.atMs && inOther(e.block)).length;
  const after = erases.filter((e) => e.atMs >= installed.atMs && inOther(e.block)).length;
  t.log(
    `blocks of the area the compaction writes, erased before the install: ${before}; after: ${after}`,
  );
  t.is(before, areaBlocks);
  t.is(after, 0);
  t.deepEqual(pair.core(1).state, pair.core(0).state);
});
