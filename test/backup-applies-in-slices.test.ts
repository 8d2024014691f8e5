/**
 * A joiner installs the big checkpoint in the call that reads its last
 * chunk; the entries that came with it (early entries, and those of the
 * requests its rounds held back, run once the last round went) wait on the
 * new backup and are applied `heldServedMax` a call from the next one on,
 * so that the install is not also their call; so do the entries of a batch
 * beyond that share. The backup acknowledged them
 * already: a takeover, a stop or a store that compacts meanwhile must lose
 * none of them, and a backup must not fall behind without end. Virtual
 * time: the harness ticks a core at most once a millisecond.
 */
import test from 'ava';
import { RetentiveMemory } from '../boards/retentive-memory.ts';
import type { ReceiveMessage } from '../firmware/app.ts';
import type { StoreGeometry } from '../firmware/hal.ts';
import type { PairConfig } from '../firmware/runtime/config.ts';
import type { PairCore } from '../firmware/runtime/core.ts';
import { acknowledged, cellsApp } from './helpers/cells-app.ts';
import { aroundEachCall } from './helpers/core-calls.ts';
import { CorePair } from './helpers/core-pair.ts';

/** Entries a backup applies a call (`heldServedMax`), of batches of twice as many. */
const ENTRIES_A_CALL = 2;

/** What a board's app saw, with a mark at the start of each call into its core. */
type Seen = ReceiveMessage | { readonly kind: 'call'; readonly name: string };

/** Marks each call into `core` in `seen`. */
function markCalls(core: PairCore, seen: Seen[]): void {
  aroundEachCall(core, (name, call) => {
    seen.push({ kind: 'call', name });
    return call();
  });
}

/** A state holds each of its `n` requests once. */
function holdsEachOnce(state: unknown): boolean {
  const { n, cells } = state as { n: number; cells: number[] };
  return cells.reduce((sum, c) => sum + c, 0) === n;
}

const STORE: StoreGeometry = {
  eraseBlockBytes: 32_768,
  writeBytes: 16,
  blockCount: 4,
  enduranceCycles: 100_000,
};

/**
 * A pair whose backup restarts and rejoins while a client sends a request
 * every millisecond; runs until processor 2 has installed the big
 * checkpoint. `seen` is what processor 2's app saw from its boot on.
 */
function rejoinUnderLoad(durability: 'memory' | 'retained', config: Partial<PairConfig> = {}) {
  const seen: Seen[] = [];
  const stores =
    durability === 'retained'
      ? ([new RetentiveMemory(STORE), new RetentiveMemory(STORE)] as const)
      : ([null, null] as const);
  const pair = new CorePair(
    [cellsApp({ durability }), cellsApp({ durability, receive: (message) => seen.push(message) })],
    {
      heldServedMax: ENTRIES_A_CALL,
      checkpointEntriesMax: 2 * ENTRIES_A_CALL,
      encodeSliceBytes: 512,
      ...config,
    },
    stores,
  );
  pair.runUntil(() => pair.whole, 60_000);
  pair.ask(0, 'c', 1, null);
  pair.powerOff(1);
  pair.run(5);
  pair.boot(1);
  seen.length = 0;
  markCalls(pair.core(1), seen);
  let sync = 1;
  const installed = () => seen.some((m) => m.kind === 'state-transfer');
  const deadline = pair.nowMs + 30_000;
  while (!installed()) {
    if (pair.nowMs >= deadline) throw new Error('the joiner did not install the big checkpoint');
    pair.request(0, 'c', ++sync, null);
    pair.run(1);
  }
  return { pair, seen, sync };
}

test('the install applies none of the entries that came meanwhile; the next calls apply them a few at a time', (t) => {
  const { pair, seen } = rejoinUnderLoad('memory');
  pair.run(1000);
  const calls: Seen[][] = [];
  for (const message of seen) {
    if (message.kind === 'call') calls.push([]);
    else calls.at(-1)?.push(message);
  }
  const install = calls.findIndex((call) => call.some((m) => m.kind === 'state-transfer'));
  const installCall = calls[install] ?? [];
  const after = installCall.slice(installCall.findIndex((m) => m.kind === 'state-transfer') + 1);
  t.deepEqual(
    after.filter((m) => m.kind === 'checkpoint'),
    [],
    'no entry applied in the install call',
  );
  const applied = calls.slice(install + 1).map((c) => c.filter((m) => m.kind === 'checkpoint'));
  const full = applied.filter((c) => c.length === ENTRIES_A_CALL).length;
  t.log(`${full} calls of ${ENTRIES_A_CALL} entries after the install`);
  t.true(full >= 3, 'entries came while the chunks crossed, more than one call takes');
  t.true(
    applied.every((c) => c.length <= ENTRIES_A_CALL),
    `at most ${ENTRIES_A_CALL} a call: ${applied.map((c) => c.length).join(' ')}`,
  );
  t.is(pair.core(0).role, 'primary');
  t.deepEqual(pair.core(1).state, pair.core(0).state);
});

for (const durability of ['memory', 'retained'] as const) {
  test(`a takeover at any call while the new backup applies them holds every acknowledged write (${durability})`, (t) => {
    let midway = 0;
    for (let offsetMs = 0; offsetMs <= 160; offsetMs += offsetMs < 24 ? 2 : 8) {
      const { pair } = rejoinUnderLoad(durability);
      pair.run(offsetMs);
      const ran = acknowledged(pair);
      if ((pair.core(1).state as { n: number }).n < ran) midway += 1;
      pair.powerOff(0);
      pair.runUntil(() => pair.cores[1]?.serving === true);
      const state = pair.core(1).state as { n: number };
      t.true(state.n >= ran, `+${offsetMs} ms: took over at ${state.n}, ${ran} acknowledged`);
      t.true(holdsEachOnce(state), `+${offsetMs} ms: each request once`);
      if (durability === 'retained') {
        // What it took over with is in its store: both boards off and on again keep it.
        pair.powerOff(1);
        pair.run(100);
        pair.boot(0);
        pair.boot(1);
        pair.runUntil(() => pair.whole, 30_000);
        const serving = pair.cores.find((c) => c?.serving === true) as PairCore;
        const kept = serving.state as { n: number };
        t.true(
          kept.n >= ran,
          `+${offsetMs} ms: ${kept.n} after power came back, ${ran} acknowledged`,
        );
        t.true(holdsEachOnce(kept), `+${offsetMs} ms: each request once after power came back`);
      }
    }
    // With its store in memory the new backup keeps up: since a joiner takes
    // its state in rounds, hardly an acknowledged entry waits on it at its
    // install. A store's writes hold it up long enough.
    t.log(`${midway} takeovers came before the backup had applied every acknowledged entry`);
    if (durability === 'retained')
      t.true(
        midway > 0,
        'some takeovers came before the backup had applied every acknowledged entry',
      );
  });
}

test('a backup that acknowledges faster than it applies its share a call falls no further behind than a batch', (t) => {
  // Ten clients a millisecond, and a backup that stalls now and then: after
  // each stall the batches that waited come in a burst, and its share of
  // two a call alone would leave it further behind after every stall.
  const seen: Seen[] = [];
  const pair = new CorePair([cellsApp(), cellsApp({ receive: (message) => seen.push(message) })], {
    heldServedMax: ENTRIES_A_CALL,
    checkpointEntriesMax: 2 * ENTRIES_A_CALL,
    // A line that is never the bound: the backup's share is.
    baud: 100_000_000,
  });
  pair.runUntil(() => pair.whole, 60_000);
  const clients = Array.from({ length: 10 }, (_, i) => `c${i}`);
  let worst = 0;
  for (let ms = 1; ms <= 1000; ms++) {
    if (ms % 50 === 0) pair.freeze(1, 20);
    for (const client of clients) pair.request(0, client, ms, null);
    pair.run(1);
    if (pair.frozen(1)) continue;
    worst = Math.max(worst, acknowledged(pair) - (pair.core(1).state as { n: number }).n);
  }
  t.log(`the backup was at most ${worst} requests behind what the clients had been answered`);
  t.true(acknowledged(pair) > 5000, 'the load ran');
  t.true(worst <= 2 * ENTRIES_A_CALL, `${worst} behind`);
});
