/**
 * A retained processor compacts its store a slice a tick (durable-log.ts,
 * beginCompaction): the snapshot is encoded, checked, its area erased and
 * its record written a piece at a time, while the processor hears and
 * answers its lines; its state holds still meanwhile (requests wait, and
 * checkpoints are sent again). Both boards losing power at any tick of a
 * compaction lose nothing acknowledged and run nothing twice. Virtual time:
 * the harness ticks a core at most once a millisecond.
 */
import test, { type ExecutionContext } from 'ava';
import { RetentiveMemory } from '../boards/retentive-memory.ts';
import { type AnyApp, defineApp } from '../firmware/app.ts';
import type { StoreGeometry } from '../firmware/hal.ts';
import { DurableLog } from '../firmware/runtime/durable-log.ts';
import { applyEntry } from '../firmware/runtime/transactions.ts';
import { CorePair } from './helpers/core-pair.ts';

const CLIENTS = 8;
/** About 1.2 KB of state: some 40 slices of 32 bytes to encode. */
const CELLS = 400;
/** Two areas of 16 KiB: a compaction every hundred-odd requests. */
const STORE: StoreGeometry = {
  eraseBlockBytes: 8192,
  writeBytes: 16,
  blockCount: 4,
  enduranceCycles: 100_000,
};

/**
 * A retained app whose state is a list of cells, each a list of one count:
 * a request increments its client's cell in place. Counts apply twice if a
 * snapshot was encoded while they changed (the encoder reads each list as
 * it reaches it), and an entry replayed on it ran again.
 */
const countsApp: AnyApp = defineApp<{ cells: number[][] }, number, number, number>({
  name: 'counts',
  version: '1.0.0',
  stateVersion: 1,
  checkpoint: 'state',
  durability: 'retained',
  init: () => ({ cells: Array.from({ length: CELLS }, () => [0]) }),
  parseRequest: (input) => Number(input),
  handle: (state, cell) => ({ update: cell, reply: (state.cells[cell]?.[0] ?? 0) + 1 }),
  apply: (state, cell) => {
    const counted = state.cells[cell];
    if (counted !== undefined) counted[0] = (counted[0] ?? 0) + 1;
    return state;
  },
});

/** Client i counts in cell CELLS - 1 - i: the last the encoder reaches, changed as long as it can be. */
function cellOf(client: number): number {
  return CELLS - 1 - client;
}

/**
 * What a store holds, replayed: its transaction and whether its counts add
 * up to its requests (each transaction but the clients' registrations is
 * one increment). A snapshot encoded while the state changed, or an entry
 * applied on top of a snapshot that already held it, does not add up.
 */
function storeAddsUp(region: RetentiveMemory): { readonly txn: number; readonly addsUp: boolean } {
  const opening = new DurableLog(region).open();
  if (opening.kind !== 'found') return { txn: 0, addsUp: true };
  const { snapshot, entries } = opening.log;
  let state = structuredClone(snapshot?.state ?? countsApp.init());
  let txn = snapshot?.txn ?? 0;
  // A client registers once: each session a snapshot holds was a registration.
  let registrations = snapshot?.cache.length ?? 0;
  for (const { entry } of entries) {
    if (entry.txn <= txn) continue;
    state = applyEntry(countsApp, state, entry).state;
    txn = entry.txn;
    if (entry.registration === true) registrations += 1;
  }
  const counted = (state as { cells: number[][] }).cells.reduce((sum, [n = 0]) => sum + n, 0);
  return { txn, addsUp: counted === txn - registrations };
}

/** Clients that each deposit 1 in their own cell of processor 2's state, a request at a time. */
class Depositors {
  readonly clients = Array.from({ length: CLIENTS }, (_, i) => `c${i}`);
  /** Deposits acknowledged and sent, by client. */
  readonly acknowledged = this.clients.map(() => 0);
  readonly sent = this.clients.map(() => 0);
  readonly #waiting = this.clients.map(() => false);
  #lastReplyMs: number;
  /** The longest time no reply came. */
  longestGapMs = 0;

  constructor(readonly pair: CorePair) {
    this.#lastReplyMs = pair.nowMs;
  }

  /** Each client not waiting sends its next deposit, then a millisecond passes. */
  step(): void {
    const { pair, clients } = this;
    clients.forEach((client, i) => {
      if (this.#waiting[i]) return;
      this.#waiting[i] = true;
      this.sent[i] = (this.sent[i] ?? 0) + 1;
      pair.request(1, client, this.sent[i] ?? 0, cellOf(i));
    });
    const seen = pair.replies.length;
    pair.run(1);
    for (const reply of pair.replies.slice(seen)) {
      const i = clients.indexOf(reply.clientId);
      if (i < 0 || reply.syncId < 1) continue;
      this.#waiting[i] = false;
      if (reply.ok) this.acknowledged[i] = (this.acknowledged[i] ?? 0) + 1;
      this.longestGapMs = Math.max(this.longestGapMs, pair.nowMs - this.#lastReplyMs);
      this.#lastReplyMs = pair.nowMs;
    }
  }

  /** Fails unless each client's cell on the serving board counts every deposit acknowledged and none not sent. */
  check(t: ExecutionContext, what: string): void {
    const board = this.pair.cores.findIndex((c) => c?.serving === true) as 0 | 1;
    const { cells } = this.pair.core(board).state as { cells: number[][] };
    for (let i = 0; i < CLIENTS; i++) {
      const count = cells[cellOf(i)]?.[0] ?? -1;
      const [acked, asked] = [this.acknowledged[i] ?? 0, this.sent[i] ?? 0];
      if (count < acked || count > asked)
        t.fail(`${what}: cell ${i} counts ${count}, ${acked} acknowledged of ${asked}`);
    }
  }
}

interface Run {
  readonly pair: CorePair;
  readonly stores: readonly [RetentiveMemory, RetentiveMemory];
  readonly depositors: Depositors;
  /** When the backup's store moved to a new area by a compaction (the first: its big checkpoint's). */
  readonly compactedAtMs: number[];
}

/**
 * A retained pair, processor 2 primary and processor 1 its backup (a tie
 * between their stores goes to processor 1: the backup's store then
 * serves), whose clients deposit until `untilMs` (both boards lose power
 * then) or until the backup's store compacted twice.
 */
function depositRun(untilMs: number, encodeSliceBytes = 32): Run {
  const stores = [new RetentiveMemory(STORE), new RetentiveMemory(STORE)] as const;
  const pair = new CorePair(
    [countsApp, countsApp],
    { heartbeatIntervalMs: 20, encodeSliceBytes },
    stores,
  );
  pair.runUntil(() => pair.whole);
  pair.powerOff(0);
  pair.runUntil(() => pair.core(1).serving);
  pair.boot(0);
  pair.runUntil(() => pair.whole);
  const generation = () => pair.cores[0]?.durable?.position?.generation ?? 0;
  const startGeneration = generation();
  const depositors = new Depositors(pair);
  const compactedAtMs: number[] = [];
  while (pair.nowMs < untilMs && generation() < startGeneration + 2) {
    depositors.step();
    if (generation() > startGeneration + compactedAtMs.length) compactedAtMs.push(pair.nowMs);
  }
  return { pair, stores, depositors, compactedAtMs };
}

test('a compaction goes a slice a tick, and both boards losing power at any tick of it lose nothing acknowledged', (t) => {
  const { compactedAtMs } = depositRun(Infinity);
  t.is(compactedAtMs.length, 2, 'the backup compacted after its big checkpoint, then once more');
  const [first = 0, second = 0] = compactedAtMs;
  // A compaction takes some 30 ticks here (32 bytes a slice): cut at every
  // third millisecond from well before the first one ended until the second had.
  let cuts = 0;
  for (let cutMs = first - 60; cutMs <= second + 3; cutMs += 3) {
    const { pair, stores, depositors } = depositRun(cutMs);
    pair.powerOff(0, 1);
    for (const [board, store] of stores.entries()) {
      const held = storeAddsUp(store);
      if (!held.addsUp)
        t.fail(`cut at ${cutMs} ms: P${board + 1}'s store at txn ${held.txn} does not add up`);
    }
    pair.run(100);
    pair.boot(0);
    pair.boot(1);
    pair.runUntil(() => pair.whole, 30_000);
    depositors.check(t, `cut at ${cutMs} ms`);
    cuts += 1;
  }
  t.log(
    `${cuts} power cuts from before a compaction that ended at ${first} ms to after one at ${second} ms`,
  );
});

test('while their stores compact a slice a tick, the processors hold requests and checkpoints, then run each once', (t) => {
  const sliced = depositRun(Infinity);
  const whole = depositRun(Infinity, 1 << 20);
  const [slicedGapMs, wholeGapMs] = [sliced, whole].map((run) => run.depositors.longestGapMs);
  t.log(`longest wait for a reply: ${slicedGapMs} ms in 32-byte slices, ${wholeGapMs} ms whole`);
  t.true((slicedGapMs ?? 0) >= 2 * (wholeGapMs ?? 0), 'the compaction held requests for its ticks');
  // The last request may be under way: run, not answered yet.
  sliced.depositors.check(t, 'in slices');
  whole.depositors.check(t, 'whole');
});

test('a store operation that fails with the power on during a compaction stops the board, which says so once; its partner serves on and nothing acknowledged is lost', (t) => {
  const { compactedAtMs } = depositRun(Infinity);
  const [first = 0] = compactedAtMs;
  // The backup's next store operation fails (worn flash), armed at every other millisecond from
  // before its first compaction began until after it ended: a commit's, a slice's or an erase's.
  let runs = 0;
  for (let armMs = first - 50; armMs <= first + 2; armMs += 2) {
    const { pair, stores, depositors } = depositRun(armMs);
    stores[0].failAtOperation = stores[0].operations + 1;
    const since = pair.events.length;
    for (let ms = 0; ms < 2000 && pair.cores[0] !== null; ms++) depositors.step();
    if (pair.cores[0] !== null) {
      t.fail(`armed at ${armMs} ms: processor 1 still runs on a store that failed`);
      continue;
    }
    const refused = pair.events
      .slice(since)
      .filter(({ board, event }) => board === 0 && event.kind === 'store-refused');
    t.deepEqual(
      refused.map(({ event }) => (event.kind === 'store-refused' ? event.code : '')),
      ['failed'],
      `armed at ${armMs} ms: processor 1 says its store failed, once`,
    );
    pair.boot(0); // the reset the stop asks for
    const acknowledged = depositors.acknowledged.reduce((a, b) => a + b);
    for (let ms = 0; ms < 500; ms++) depositors.step();
    t.true(
      pair.core(1).serving && depositors.acknowledged.reduce((a, b) => a + b) > acknowledged,
      `armed at ${armMs} ms: processor 2 serves on`,
    );
    pair.runUntil(() => pair.whole, 30_000);
    depositors.check(t, `armed at ${armMs} ms`);
    runs += 1;
  }
  t.log(`${runs} store failures from before a compaction that ended at ${first} ms to after it`);
});
