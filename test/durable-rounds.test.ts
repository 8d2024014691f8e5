/**
 * A joiner's big checkpoint in its log as the rounds it came in
 * (durable-log.ts, beginRounds and appendRound): they read back in order
 * with the entries after them, and a power cut at any store operation while
 * they are logged leaves the log that was there or a prefix of the rounds,
 * holding every round whose write returned.
 */
import test from 'ava';
import { PowerCutError, RetentiveMemory } from '../boards/retentive-memory.ts';
import type { StoreGeometry } from '../firmware/hal.ts';
import { DurableLog, lastTxn, type StoredLog } from '../firmware/runtime/durable-log.ts';
import type { CheckpointEntry, Round } from '../firmware/runtime/messages.ts';

/** Two areas of 2 KiB, 16-byte writes. */
const STORE: StoreGeometry = {
  eraseBlockBytes: 1024,
  writeBytes: 16,
  blockCount: 4,
  enduranceCycles: 100_000,
};
const before = { version: '1.0.0', term: 2, solo: true };
const joiner = { version: '1.0.0', term: 3, solo: false };

function entry(txn: number): CheckpointEntry {
  return { txn, clientId: 'c', syncId: txn, update: txn, reply: `ok ${txn}` };
}

/** Round `id` of a transfer: the whole state (a list as long as `txn`) first, then what changed. */
function round(id: number, txn: number, final = false): Round {
  const state = { n: txn, list: Array.from({ length: txn }, (_, i) => i) };
  return {
    base: id - 1,
    final,
    stateVersion: 1,
    txn,
    term: joiner.term,
    state: [[0, [], state]],
    cache: id === 1 ? [['c', [[txn, `ok ${txn}`]], []]] : [],
    cacheOps: [],
  };
}

const ROUNDS = [round(1, 40), round(2, 44), round(3, 45, true)];

/**
 * A log of entries 1 to 5, then the rounds (the first a slice of 64 bytes
 * a step) and one entry after them; gives how many rounds' writes returned.
 */
function logRounds(region: RetentiveMemory): number {
  const log = new DurableLog(region);
  log.open();
  let logged = 0;
  try {
    for (let txn = 1; txn <= 5; txn++) log.commit(before, [entry(txn)], () => null as never);
    const [first, ...rest] = ROUNDS;
    if (first === undefined) throw new Error('no rounds');
    log.beginRounds(joiner, 1, first);
    while (!log.compactSlice(64)) {}
    logged = 1;
    for (const [index, next] of rest.entries()) {
      if (!log.appendRound(joiner, index + 2, next)) throw new Error(`round ${index + 2} refused`);
      logged += 1;
    }
    log.commit(joiner, [entry(46)], () => null as never);
  } catch (error) {
    if (!(error instanceof PowerCutError)) throw error;
  }
  return logged;
}

function opened(region: RetentiveMemory): StoredLog | null {
  const opening = new DurableLog(region).open();
  return opening.kind === 'found' ? opening.log : null;
}

test("a big checkpoint's rounds start the log's next generation and read back in order, with the entries after them", (t) => {
  const region = new RetentiveMemory(STORE);
  t.is(logRounds(region), ROUNDS.length);
  const log = opened(region);
  if (log === null) return t.fail('no log');
  t.deepEqual(
    log.joinedRounds.map(({ id, round: r }) => [id, r.txn, r.final]),
    [
      [1, 40, false],
      [2, 44, false],
      [3, 45, true],
    ],
  );
  t.deepEqual(log.joinedRounds[0]?.round, ROUNDS[0]);
  t.is(log.snapshot, null);
  t.deepEqual(
    [...log.entries].map((e) => e.entry.txn),
    [46],
  );
  t.deepEqual(log.mark, joiner);
  t.is(lastTxn(log), 46);
  const reopened = new DurableLog(region);
  reopened.open();
  t.is(reopened.position?.generation, 1, 'the rounds started a generation');
  t.false(reopened.appendRound(joiner, 4, round(4, 47)), 'no round after entries');
});

test('a round is appended only to a log that ends with the rounds before it', (t) => {
  const log = new DurableLog(new RetentiveMemory(STORE));
  log.open();
  log.commit(before, [entry(1)], () => null as never);
  t.false(log.appendRound(joiner, 2, round(2, 44)), 'a log of entries');
  const [first] = ROUNDS;
  if (first === undefined) return t.fail();
  log.beginRounds(joiner, 1, first);
  t.false(log.appendRound(joiner, 2, round(2, 44)), 'the first round not written yet');
  while (!log.compactSlice(64)) {}
  t.true(log.appendRound(joiner, 2, round(2, 44)));
});

test('a power cut at every store operation while rounds are logged leaves the log before them, or a prefix of them holding every round written', (t) => {
  const total = (() => {
    const region = new RetentiveMemory(STORE);
    logRounds(region);
    return region.operations;
  })();
  t.true(total > 10, `${total} operations`);
  for (let at = 1; at <= total; at++) {
    const region = new RetentiveMemory(STORE);
    region.cutAtOperation = at;
    const logged = logRounds(region);
    region.powerOn();
    const log = opened(region);
    if (log === null) {
      // A torn first record of the store: nothing was committed yet.
      continue;
    }
    if (log.joinedRounds.length === 0) {
      t.is(logged, 0, `cut at operation ${at}: the rounds' written first round is gone`);
      t.true(lastTxn(log) >= 1 && lastTxn(log) <= 5, `cut at operation ${at}: the log before`);
      continue;
    }
    if (log.joinedRounds.length < logged)
      t.fail(
        `cut at operation ${at}: ${logged} rounds written, ${log.joinedRounds.length} read back`,
      );
    t.deepEqual(
      log.joinedRounds.map((r) => r.id),
      ROUNDS.slice(0, log.joinedRounds.length).map((_, i) => i + 1),
      `cut at operation ${at}`,
    );
  }
});
