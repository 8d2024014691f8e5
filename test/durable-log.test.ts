/**
 * The durable log under power cuts at every store operation (MCUboot's
 * perm_with_fails style): whatever operation the power dies in, including a
 * torn write of the last record and a torn erase during compaction, the
 * store reads back as a prefix of the history that holds every entry whose
 * commit had returned (the ones a reply could have been released for).
 */
import test from 'ava';
import { CountedStore } from '../boards/counted-store.ts';
import { StoreFaultError } from '../boards/flash-region.ts';
import { PowerCutError, RetentiveMemory } from '../boards/retentive-memory.ts';
import type { DurableRegion, StoreGeometry } from '../firmware/hal.ts';
import { DurableLog, StoreFullError } from '../firmware/runtime/durable-log.ts';
import type { CheckpointEntry, Snapshot } from '../firmware/runtime/messages.ts';
import { encodedLength } from '../firmware/wire/cbor.ts';
import { ReasonError } from '../firmware/wire/errors.ts';

/** Tiny, so that a short history compacts several times: 4 blocks of 256 bytes, 16-byte writes. */
const TINY: StoreGeometry = {
  eraseBlockBytes: 256,
  writeBytes: 16,
  blockCount: 4,
  enduranceCycles: 100_000,
};
const ENTRIES = 40;
const mark = { version: '1.0.0', term: 1, solo: true };

function entry(txn: number): CheckpointEntry {
  return { txn, clientId: 'c', syncId: txn, update: txn, reply: `ok ${txn}` };
}

function snapshotAt(txn: number): Snapshot {
  return { stateVersion: 1, state: { n: txn }, txn, term: 1, cache: [] };
}

/** How compactions go: whole, in the commit that passes the share, or a slice at a time (32 bytes) as a processor does them. */
type Compacting = 'whole' | 'sliced';

/**
 * Commits entries 1..ENTRIES one per group, with a block erased ahead after
 * each when `eraseAhead` (as a processor does between inputs); returns the
 * last txn whose commit returned.
 */
function history(
  region: DurableRegion,
  eraseAhead = false,
  compacting: Compacting = 'whole',
): number {
  const log = new DurableLog(region);
  log.open();
  let committed = 0;
  try {
    for (let txn = 1; txn <= ENTRIES; txn++) {
      log.commit(mark, [entry(txn)], () => snapshotAt(txn));
      committed = txn;
      if (compacting === 'sliced' && log.compactionDue) {
        log.beginCompaction(mark, snapshotAt(txn));
        while (!log.compactSlice(32)) {}
      }
      if (eraseAhead) log.eraseAhead();
    }
  } catch (error) {
    if (!(error instanceof PowerCutError || error instanceof StoreFaultError)) throw error;
  }
  return committed;
}

/** The txns the store reads back as: the snapshot's, then each entry's. Fails on a gap. */
function readBack(region: RetentiveMemory): { last: number; kind: string } {
  const opening = new DurableLog(region).open();
  if (opening.kind !== 'found') return { last: 0, kind: opening.kind };
  let last = opening.log.snapshot?.txn ?? 0;
  if (opening.log.snapshot !== null) {
    const state = opening.log.snapshot.state as { n: number };
    if (state.n !== last) throw new Error(`snapshot at txn ${last} holds state ${state.n}`);
  }
  for (const { entry: e } of opening.log.entries) {
    if (e.txn <= last) continue;
    if (e.txn !== last + 1) throw new Error(`gap: ${last} then ${e.txn}`);
    last = e.txn;
  }
  return { last, kind: 'found' };
}

test('the log compacts within its region and reads back whole', (t) => {
  const region = new RetentiveMemory(TINY);
  const counted = new CountedStore(region);
  t.is(history(counted), ENTRIES);
  t.is(readBack(region).last, ENTRIES);
  const erases = counted.wear().erasesByBlock;
  t.true(
    erases.every((count) => count >= 1),
    `every block took erases: ${erases}`,
  );
  const spread = Math.max(...erases) - Math.min(...erases);
  t.true(spread <= 1, `the areas take turns: erase counts ${erases}`);
});

// A failed operation (worn flash, a file error) is torn as a cut one is, but
// the power stays on: the processor stops, and the next boot reads the store
// without a power-on.
for (const compacting of ['whole', 'sliced'] as const)
  for (const [stop, eraseAhead] of [
    ['power cut', false],
    ['failure', false],
    ['power cut', true],
    ['failure', true],
  ] as const) {
    const between = eraseAhead ? ', blocks erased ahead between commits,' : '';
    test(`a ${stop} at every store operation${between} leaves a prefix holding every committed entry (compactions ${compacting})`, (t) => {
      const total = (() => {
        const region = new RetentiveMemory(TINY);
        history(region, eraseAhead, compacting);
        return region.operations;
      })();
      t.true(total > 40, `${total} operations`);
      for (let at = 1; at <= total; at++) {
        const region = new RetentiveMemory(TINY);
        if (stop === 'power cut') region.cutAtOperation = at;
        else region.failAtOperation = at;
        const committed = history(region, eraseAhead, compacting);
        if (stop === 'power cut') region.powerOn();
        else t.is(region.failures, 1, `the failure at operation ${at} struck`);
        const back = readBack(region);
        if (committed === 0 && back.kind !== 'found') continue; // a torn first record: nothing was committed
        t.is(back.kind, 'found', `${stop} at operation ${at}`);
        if (back.last < committed || back.last > committed + 1)
          t.fail(`${stop} at operation ${at}: committed ${committed}, read back ${back.last}`);
        // The log goes on from what it read (in a new term, so its records
        // differ from any torn one), and keeps all of it.
        const log = new DurableLog(region);
        log.open();
        for (let txn = back.last + 1; txn <= back.last + 10; txn++) {
          log.commit({ ...mark, term: 2 }, [entry(txn)], () => snapshotAt(txn));
          const now = readBack(region).last;
          if (now !== txn)
            t.fail(`after the ${stop} at operation ${at}, wrote txn ${txn}, read back ${now}`);
        }
      }
    });
  }

test('a compaction after the redundant area was erased ahead erases nothing, and a boot counts what reads erased', (t) => {
  // Areas of 4 blocks: a log that fills half an area spans two of them.
  const region = new RetentiveMemory({ ...TINY, blockCount: 8 });
  const counted = new CountedStore(region);
  const erasesOf = () => counted.wear().erasesByBlock;
  const total = () => erasesOf().reduce((a, b) => a + b, 0);
  const log = new DurableLog(counted);
  t.is(log.open().kind, 'empty');
  // An empty store is erased already: nothing to erase ahead, nor at the first compaction.
  t.false(log.eraseAhead());
  for (let txn = 1; txn <= 8; txn++) log.commit(mark, [entry(txn)], () => snapshotAt(txn));
  log.compact(mark, snapshotAt(8));
  t.is(total(), 0);
  // Now the first area is redundant: one block a call, first block first, then nothing left.
  t.true(log.eraseAhead());
  t.deepEqual(erasesOf(), [1, 0, 0, 0, 0, 0, 0, 0]);
  while (log.eraseAhead());
  t.deepEqual(erasesOf(), [1, 1, 1, 1, 0, 0, 0, 0]);
  t.is(readBack(region).last, 8, 'the live log is whole');
  for (let txn = 9; txn <= 16; txn++) log.commit(mark, [entry(txn)], () => snapshotAt(txn));
  log.compact(mark, snapshotAt(16));
  t.is(total(), 4, 'the compaction erased nothing more');
  t.is(readBack(region).last, 16);
  // A reset after one block of the second area was erased ahead: the next boot
  // reads that block as erased and goes on from the next one.
  const rebooted = new DurableLog(counted);
  t.is(rebooted.open().kind, 'found');
  t.true(rebooted.eraseAhead());
  const again = new DurableLog(counted);
  t.is(again.open().kind, 'found');
  while (again.eraseAhead());
  t.deepEqual(erasesOf(), [1, 1, 1, 1, 1, 1, 1, 1]);
  const third = new DurableLog(counted);
  t.is(third.open().kind, 'found');
  t.false(third.eraseAhead(), 'the other area reads as erased');
  t.is(readBack(region).last, 16);
});

test('after a compaction whose snapshot write failed, nothing is erased ahead: the old area holds the log', (t) => {
  const region = new RetentiveMemory({ ...TINY, blockCount: 8 });
  const log = new DurableLog(region);
  log.open();
  for (let txn = 1; txn <= 8; txn++) log.commit(mark, [entry(txn)], () => snapshotAt(txn));
  // The compaction's only operation (the other area is erased already) is its snapshot write.
  region.failAtOperation = region.operations + 1;
  t.throws(() => log.compact(mark, snapshotAt(8)), { instanceOf: StoreFaultError });
  t.false(log.eraseAhead());
  t.is(readBack(region).last, 8);
});

test('a store whose areas span several reads: empty reads as empty, and a boot counts erased blocks, aligned or not', (t) => {
  // Blocks of 8 KiB, areas of 16 KiB: four reads of 4 KiB an area.
  const region = new RetentiveMemory({ ...TINY, eraseBlockBytes: 8192 });
  const log = new DurableLog(region);
  t.is(log.open().kind, 'empty');
  for (let txn = 1; txn <= 5; txn++) log.commit(mark, [entry(txn)], () => snapshotAt(txn));
  log.compact(mark, snapshotAt(5));
  t.is(log.position?.area, 1);
  t.true(log.eraseAhead(), 'the first block of area A held the entries');
  // A file-backed store's reads may come back as views at any byte offset.
  const unaligned: DurableRegion = {
    geometry: region.geometry,
    read: (offset, length) => {
      const copy = new Uint8Array(length + 1);
      copy.set(region.read(offset, length), 1);
      return copy.subarray(1);
    },
    write: (offset, bytes) => region.write(offset, bytes),
    erase: (block) => region.erase(block),
  };
  for (const store of [region, unaligned]) {
    const rebooted = new DurableLog(store);
    t.is(rebooted.open().kind, 'found');
    // Area A's second block was never written: both read erased, nothing is left to erase.
    t.false(rebooted.eraseAhead());
  }
  t.is(readBack(region).last, 5);
});

test('nothing is erased ahead of a store whose log does not read', (t) => {
  const region = new RetentiveMemory(TINY);
  // Bytes that are not a record where the first area starts: not a log, and not empty.
  region.write(0, new Uint8Array(TINY.writeBytes));
  const counted = new CountedStore(region);
  const log = new DurableLog(counted);
  t.is(log.open().kind, 'unreadable');
  t.false(log.eraseAhead());
  t.deepEqual(counted.wear().erasesByBlock, [0, 0, 0, 0]);
});

test('a snapshot over its share of an area is refused as store-full, and the log keeps what it had', (t) => {
  const region = new RetentiveMemory(TINY);
  const log = new DurableLog(region);
  log.open();
  log.commit(mark, [entry(1)], () => snapshotAt(1));
  const big: Snapshot = { ...snapshotAt(2), state: { n: 2, pad: 'x'.repeat(400) } };
  const error = t.throws(() => log.compact(mark, big));
  t.true(error instanceof StoreFullError);
  t.is(readBack(region).last, 1);
});

const LIMITS = { bytesMax: 1 << 20, depthMax: 8, itemsMax: 100 };

test('the room a store gives a snapshot is a quarter of an area less its record: one of that size compacts', (t) => {
  // The named limit requests are judged by (store-room.ts) must fit what
  // compaction writes, whatever the state, term and generation.
  const geometry: StoreGeometry = { ...TINY, eraseBlockBytes: 1024 };
  const log = new DurableLog(new RetentiveMemory(geometry));
  log.open();
  const max = log.snapshotBytesMax('1.0.0');
  t.true(max > log.areaBytes / 4 - 128 && max < log.areaBytes / 4, `${max} of ${log.areaBytes}`);
  // A state of bytes sized so that the snapshot's CBOR is exactly the limit, with the largest numbers.
  const sized = (bytes: number): Snapshot => ({
    stateVersion: 1,
    state: new Uint8Array(bytes),
    txn: Number.MAX_SAFE_INTEGER,
    term: Number.MAX_SAFE_INTEGER,
    cache: [],
  });
  let bytes = max;
  while (encodedLength(sized(bytes), LIMITS) > max) bytes -= 1;
  const snapshot = sized(bytes);
  t.is(encodedLength(snapshot, LIMITS), max);
  const most = { ...mark, term: Number.MAX_SAFE_INTEGER };
  for (let generation = 0; generation < 3; generation++)
    t.notThrows(() => log.compact(most, snapshot));
});

test('recovery reads a snapshot record in pieces of at most 4 KiB, never its payload whole', (t) => {
  // On a microcontroller every read lands in RAM: a whole snapshot's bytes sat beside what they decoded to.
  const region = new RetentiveMemory({ ...TINY, eraseBlockBytes: 64 * 1024 });
  const accounts: Record<string, number> = {};
  for (let index = 0; index < 1000; index++) accounts[`acct-${index}`] = index * 7;
  const snapshot: Snapshot = { stateVersion: 1, state: { accounts }, txn: 9, term: 1, cache: [] };
  const written = new DurableLog(region);
  written.open();
  written.compact(mark, snapshot);
  written.commit(mark, [entry(10)], () => snapshot);
  let longest = 0;
  const watched: DurableRegion = {
    geometry: region.geometry,
    read: (offset, length) => {
      longest = Math.max(longest, length);
      return region.read(offset, length);
    },
    write: (offset, bytes) => region.write(offset, bytes),
    erase: (block) => region.erase(block),
  };
  const opening = new DurableLog(watched).open();
  if (opening.kind !== 'found') return t.fail(opening.kind);
  t.deepEqual(opening.log.snapshot, snapshot);
  t.deepEqual(
    [...opening.log.entries].map((e) => e.entry.txn),
    [10],
  );
  t.log(
    `a ${encodedLength(snapshot, { ...LIMITS, itemsMax: 1e4 })}-byte snapshot; the longest read ${longest} bytes`,
  );
  t.true(longest <= 4096, `a read of ${longest} bytes`);
});

test('a torn header claiming more than its area holds ends the log there, even in the last area', (t) => {
  const region = new RetentiveMemory(TINY);
  const log = new DurableLog(region);
  log.open();
  let txn = 0;
  while (!(log.position?.area === 1 && log.position.usedBytes > 0)) {
    txn += 1;
    log.commit(mark, [entry(txn)], () => snapshotAt(txn));
  }
  const { areaBytes, usedBytes } = log.position;
  // A header as the log writes one, its length running past the region's end: the rest never landed.
  const header = new Uint8Array(TINY.writeBytes).fill(0xff);
  header.set([0x54, 0x44, 2, 0]);
  new DataView(header.buffer).setUint32(4, areaBytes - 16, true);
  region.write(areaBytes + usedBytes, header);
  t.deepEqual(readBack(region), { last: txn, kind: 'found' });
});

/** Starts a compaction of a log past its share and steps it until it has written past its head. */
function compactionUnderWay(region: RetentiveMemory): DurableLog {
  const log = new DurableLog(region);
  log.open();
  let txn = 0;
  while (!log.compactionDue) {
    txn += 1;
    log.commit(mark, [entry(txn)], () => snapshotAt(txn));
  }
  // Another term and state than the compaction after it: what it wrote differs from that one's.
  log.beginCompaction(
    { ...mark, term: 9 },
    { ...snapshotAt(txn), state: { pad: 'p'.repeat(100) } },
  );
  const other = (log.position?.area === 0 ? 1 : 0) * (log.position?.areaBytes ?? 0);
  // Until 48 bytes past the head (its first 16 bytes) are written.
  while (region.read(other + 48, 16).every((byte) => byte === 0xff)) log.compactSlice(16);
  return log;
}

test('a compaction given up midway leaves the live area the log, and the next one erases what it wrote', (t) => {
  const region = new RetentiveMemory(TINY);
  const log = compactionUnderWay(region);
  const before = readBack(region).last;
  log.cancelCompaction();
  t.is(readBack(region).last, before, 'the live area is still the log');
  log.commit(mark, [entry(before + 1)], () => snapshotAt(before + 1));
  log.beginCompaction(mark, snapshotAt(before + 1));
  while (!log.compactSlice(16)) {}
  t.is(readBack(region).last, before + 1);
  t.is(new DurableLog(region).open().kind, 'found');
});

test('a snapshot the flash took otherwise is refused before its header goes: the live area stays the log', (t) => {
  const region = new RetentiveMemory(TINY);
  const log = compactionUnderWay(region);
  const before = readBack(region).last;
  const area = log.position?.area === 0 ? 1 : 0;
  // Bits the flash did not take as written, in what the compaction wrote past its head.
  region.write(area * (log.position?.areaBytes ?? 0) + 16, new Uint8Array(16));
  const error = t.throws(() => {
    while (!log.compactSlice(16)) {}
  });
  t.like((error as { why?: unknown }).why, { code: 'written-otherwise' });
  t.true(log.compactionDue, 'given up, and due again');
  t.is(readBack(region).last, before);
});

test('a whole compaction or a commit in place of one given up midway erases what that one wrote', (t) => {
  for (const instead of ['compact', 'commit'] as const) {
    const region = new RetentiveMemory(TINY);
    const log = compactionUnderWay(region);
    const txn = readBack(region).last + 1;
    if (instead === 'compact') log.compact(mark, snapshotAt(txn));
    else {
      log.commit(mark, [entry(txn)], () => snapshotAt(txn));
      log.beginCompaction(mark, snapshotAt(txn));
      while (!log.compactSlice(16)) {}
    }
    t.is(readBack(region).last, txn, instead);
  }
});

test('a compaction a slice at a time reads back whole for any write unit and slice size', (t) => {
  for (const writeBytes of [1, 4, 16, 64, 256]) {
    for (const slice of [1, 7, 64, 1000]) {
      const region = new RetentiveMemory({ ...TINY, eraseBlockBytes: 1024, writeBytes });
      const log = new DurableLog(region);
      log.open();
      log.commit(mark, [entry(1)], () => snapshotAt(1));
      const state = { n: 1, text: 'x'.repeat(slice % 300) };
      log.beginCompaction(mark, { ...snapshotAt(1), state });
      while (!log.compactSlice(slice)) {}
      const opening = new DurableLog(region).open();
      if (opening.kind !== 'found') return t.fail(`write unit ${writeBytes}, slice ${slice}`);
      t.deepEqual(opening.log.snapshot?.state, state, `write unit ${writeBytes}, slice ${slice}`);
    }
  }
});

test('a store of fewer than two blocks, or whose blocks are not whole writes, is refused', (t) => {
  const refused = (geometry: StoreGeometry) =>
    t.throws<ReasonError>(() => new DurableLog(new RetentiveMemory(geometry)), {
      instanceOf: ReasonError,
    })?.why;
  t.like(refused({ ...TINY, blockCount: 1 }), { code: 'bad-geometry', blocks: 1 });
  t.like(refused({ ...TINY, writeBytes: 24 }), { code: 'bad-geometry', writeBytes: 24 });
  t.notThrows(() => new DurableLog(new RetentiveMemory({ ...TINY, blockCount: 2 })));
});

test('a record whose CRC holds but whose mark has other types does not read as a log', (t) => {
  // No writer of ours makes one; a store written by something else, or a
  // codec bug, could: recovery must refuse it, not boot on `term: '2'`.
  for (const bad of [
    { version: 1, term: 1, solo: true },
    { version: '1.0.0', term: '1', solo: true },
    { version: '1.0.0', term: 1.5, solo: true },
    { version: '1.0.0', term: 1, solo: 'yes' },
  ]) {
    const region = new RetentiveMemory(TINY);
    const log = new DurableLog(region);
    log.open();
    log.commit(mark, [entry(1)], () => snapshotAt(1));
    log.commit(bad as unknown as typeof mark, [entry(2)], () => snapshotAt(2));
    const opening = new DurableLog(region).open();
    t.deepEqual(
      opening,
      {
        kind: 'unreadable',
        why: { code: 'bad-record', error: { code: 'bad-field', field: 'record mark' } },
      },
      JSON.stringify(bad),
    );
  }
});
