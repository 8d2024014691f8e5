/**
 * A joiner on a retained store logs the big checkpoint's rounds as they
 * come (durable-log.ts, beginRounds): the first starts its log's new
 * history while the primary still serves, and its install appends only the
 * last round, with no compaction of the whole state before it acknowledges
 * as a backup. What its store then holds is the pair's history: a board
 * that boots from it alone serves every acknowledged request. Virtual time.
 */
import test from 'ava';
import { RetentiveMemory } from '../boards/retentive-memory.ts';
import type { StoreGeometry } from '../firmware/hal.ts';
import { DurableLog } from '../firmware/runtime/durable-log.ts';
import { acknowledged, BIG_CELLS, cellsApp } from './helpers/cells-app.ts';
import { CorePair } from './helpers/core-pair.ts';

const cells = cellsApp({ ...BIG_CELLS, durability: 'retained' });
/** Room for the cells' 20 KB snapshot: a quarter of an area of 128 KiB. */
const STORE: StoreGeometry = {
  eraseBlockBytes: 32 * 1024,
  writeBytes: 16,
  blockCount: 8,
  enduranceCycles: 100_000,
};

/** Adds the cells up: each request added one, so they sum to `n` unless one ran twice or was lost. */
function addsUp(state: unknown): boolean {
  const { n, cells: counts } = state as { n: number; cells: number[] };
  const first = cellsApp(BIG_CELLS);
  const initial = (first.init() as { cells: number[] }).cells;
  return counts.reduce((sum, c, i) => sum + c - (initial[i] ?? 0), 0) === n;
}

test("a joiner logs the big checkpoint's rounds as they come, and its install compacts nothing", (t) => {
  const stores: [RetentiveMemory, RetentiveMemory] = [
    new RetentiveMemory(STORE),
    new RetentiveMemory(STORE),
  ];
  const pair = new CorePair([cells, cells], { heartbeatIntervalMs: 20 }, stores);
  pair.runUntil(() => pair.whole, 60_000);
  pair.powerOff(1);
  pair.runUntil(() => pair.core(0).role === 'primary-alone');
  pair.boot(1);
  pair.runUntil(() => pair.cores[1]?.role === 'joining');
  const generation = () => pair.cores[1]?.durable?.position?.generation ?? -1;
  const lastRounds = () =>
    pair.eventsOf('role').filter((e) => e.kind === 'role' && e.cause === 'last-round-to-joiner');
  const atJoin = generation();
  const roundsBefore = lastRounds().length;
  // One writer, answered at once, while the rounds cross: each round has something new.
  let syncId = 0;
  let generationAtLastRound: number | null = null;
  while (pair.cores[1]?.role !== 'backup') {
    t.true(pair.nowMs < 120_000, 'the joiner installs');
    if (pair.nowMs > 120_000) return;
    pair.ask(0, 'w', ++syncId, null);
    if (generationAtLastRound === null && lastRounds().length > roundsBefore)
      generationAtLastRound = generation();
    pair.run(5);
  }
  t.is(generationAtLastRound, atJoin + 1, 'the first round started a new history before the last');
  t.is(generation(), atJoin + 1, 'the install compacted nothing');
  const opening = new DurableLog(stores[1]).open();
  if (opening.kind !== 'found') return t.fail(opening.kind);
  t.true(opening.log.joinedRounds.length >= 2, `${opening.log.joinedRounds.length} rounds logged`);
  t.true(opening.log.joinedRounds.at(-1)?.round.final, 'the last round is in');
  t.is(opening.log.snapshot, null);

  // Checkpoints after the install go in as entries; then both boards lose
  // power and only the old joiner's store is left (the other is wiped).
  for (let i = 0; i < 20; i++) pair.ask(0, 'w', ++syncId, null);
  pair.runUntil(() => pair.core(1).txn === pair.core(0).txn);
  const ran = acknowledged(pair);
  pair.powerOff(0, 1);
  stores[0].bytes.fill(0xff);
  pair.boot(0);
  pair.boot(1);
  pair.runUntil(() => pair.cores[1]?.serving === true, 30_000);
  const state = pair.core(1).state as { n: number };
  t.is(state.n, ran, 'every acknowledged request, none twice');
  t.true(addsUp(state), 'the cells add up');
});
