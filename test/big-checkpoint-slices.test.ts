/**
 * A primary encodes a joiner's big checkpoint a slice a tick
 * (`encodeSliceBytes`), so that no single call holds a microcontroller past
 * the suspicion time. The state must hold still meanwhile: requests that
 * arrive wait, then run; the joiner installs the state as it was when the
 * encoding began, and every request after it reaches the joiner as a
 * checkpoint. Virtual time: the test harness ticks a core at most once a
 * millisecond, so a slice a tick is a slice a millisecond here.
 */
import test from 'ava';
import type { AnyApp } from '../firmware/app.ts';
import type { PairConfig } from '../firmware/runtime/config.ts';
import { RoundInSlices } from '../firmware/runtime/state-transfer.ts';
import { cellsApp } from './helpers/cells-app.ts';
import { aroundEachCall } from './helpers/core-calls.ts';
import { CorePair } from './helpers/core-pair.ts';

const CELLS = 4000;
/** Cells counting up from their index: about 14 KB of state, some 50 slices of 256 bytes. */
const countingCells = () => cellsApp({ cells: CELLS, cellValue: (i) => i });

/** When processor 1 began a joiner's big checkpoint at `fromMs` or later, if it did. */
function bigCheckpointBeganMs(pair: CorePair, fromMs: number): number | undefined {
  return pair.events.find(
    (e) =>
      e.board === 0 &&
      e.atMs >= fromMs &&
      e.event.kind === 'role' &&
      e.event.cause === 'big-checkpoint-to-joiner',
  )?.atMs;
}

/**
 * A pair that served `before` requests; the backup restarts and rejoins while
 * a client sends a request every millisecond. Gives when the primary began
 * the big checkpoint and how long its first request after that waited.
 */
function rejoinUnderLoad(config: Partial<PairConfig>, before = 50) {
  const pair = new CorePair([countingCells(), countingCells()], config);
  pair.runUntil(() => pair.whole, 60_000);
  for (let sync = 1; sync <= before; sync++) pair.ask(0, 'c', sync, null);
  pair.powerOff(1);
  pair.run(5);
  pair.boot(1);
  const bootMs = pair.nowMs;
  const began = () => bigCheckpointBeganMs(pair, bootMs);
  pair.runUntil(() => began() !== undefined, 20_000);
  const beganMs = began() as number;
  let sync = before;
  const sentAtMs = new Map<number, number>();
  const repliedAtMs = new Map<number, number>();
  const deadline = pair.nowMs + 60_000;
  while (!(pair.whole && repliedAtMs.size === sentAtMs.size)) {
    if (pair.nowMs >= deadline) throw new Error('the pair did not re-form with every reply in');
    // A reply that comes in the request's own call counts too.
    const seen = pair.replies.length;
    if (!pair.whole && sync < before + 200) {
      sync += 1;
      sentAtMs.set(sync, pair.nowMs);
      pair.request(0, 'c', sync, null);
    }
    pair.run(1);
    for (const reply of pair.replies.slice(seen)) {
      if (reply.clientId === 'c' && !repliedAtMs.has(reply.syncId))
        repliedAtMs.set(reply.syncId, pair.nowMs);
    }
  }
  const first = before + 1;
  const firstWaitMs = (repliedAtMs.get(first) ?? Infinity) - (sentAtMs.get(first) ?? 0);
  return { pair, beganMs, firstWaitMs, sent: sentAtMs.size };
}

test('the big checkpoint is encoded a slice a tick; requests wait meanwhile, and the joiner holds the same state', (t) => {
  const sliced = rejoinUnderLoad({ encodeSliceBytes: 256 });
  const whole = rejoinUnderLoad({ encodeSliceBytes: 1 << 20 });
  t.log(
    `first request after the join: waited ${sliced.firstWaitMs} ms in 256-byte slices, ${whole.firstWaitMs} ms in one`,
  );
  // 4,000 cells are about 14 KB: some 50 slices, one a millisecond here.
  t.true(sliced.firstWaitMs >= 30, `${sliced.firstWaitMs} ms`);
  t.true(whole.firstWaitMs < 10, `${whole.firstWaitMs} ms`);
  for (const { pair, sent } of [sliced, whole]) {
    pair.run(200);
    const [primary, backup] = [pair.core(0), pair.core(1)];
    t.is(primary.role, 'primary');
    t.is(backup.role, 'backup');
    // The client's registration is a transaction too.
    t.is(primary.txn, 1 + 50 + sent, 'every request ran once');
    t.deepEqual(backup.state, primary.state, 'the joiner installed the state the primary had');
  }
});

test('a joiner lost while its big checkpoint is encoded: the requests it held are served, and it rejoins', (t) => {
  const pair = new CorePair([countingCells(), countingCells()], { encodeSliceBytes: 256 });
  pair.runUntil(() => pair.whole, 60_000);
  pair.ask(0, 'c', 1, null);
  pair.powerOff(1);
  pair.run(5);
  pair.boot(1);
  const bootMs = pair.nowMs;
  pair.runUntil(() => bigCheckpointBeganMs(pair, bootMs) !== undefined, 20_000);
  pair.run(3);
  for (let sync = 2; sync <= 6; sync++) pair.request(0, 'c', sync, null);
  pair.run(2);
  t.is(pair.replies.length, 1, 'held while the state is encoded');
  pair.powerOff(1);
  pair.runUntil(() => pair.replies.length === 6, 5_000);
  t.deepEqual(
    pair.replies.map((r) => [r.syncId, r.ok]),
    [1, 2, 3, 4, 5, 6].map((sync) => [sync, true]),
  );
  pair.boot(1);
  pair.runUntil(() => pair.whole, 60_000);
  pair.run(200);
  t.deepEqual(pair.core(1).state, pair.core(0).state);
});

test('the call that takes the last slice of the big checkpoint runs none of the requests it held', (t) => {
  // The last slice and the first held requests served in one call made it
  // twice as long as either (an XS bench call of 420,104 units): a call
  // does one bounded job, and the held requests run from the next one.
  let handled = 0;
  let lastSlice = false;
  const base = countingCells();
  const app: AnyApp = {
    ...base,
    handle: (...args: Parameters<AnyApp['handle']>) => {
      handled += 1;
      return base.handle(...args);
    },
  };
  // The slice that gives the chunks is the last.
  const step = RoundInSlices.prototype.step;
  RoundInSlices.prototype.step = function (this: RoundInSlices, bytes: number) {
    const chunks = step.call(this, bytes);
    if (chunks !== null) lastSlice = true;
    return chunks;
  };
  t.teardown(() => {
    RoundInSlices.prototype.step = step;
  });
  const pair = new CorePair([app, app], { encodeSliceBytes: 256 });
  pair.runUntil(() => pair.whole, 60_000);
  pair.ask(0, 'c', 1, null);
  pair.powerOff(1);
  pair.run(5);
  pair.boot(1);
  const calls: { handled: number; lastSlice: boolean }[] = [];
  aroundEachCall(pair.core(0), (_name, call) => {
    handled = 0;
    lastSlice = false;
    const result = call();
    calls.push({ handled, lastSlice });
    return result;
  });
  let sync = 1;
  const deadline = pair.nowMs + 30_000;
  while (!pair.whole && pair.nowMs < deadline) {
    pair.request(0, 'c', ++sync, null);
    pair.run(1);
  }
  const at = calls.findIndex((call) => call.lastSlice);
  t.true(at >= 0, 'the big checkpoint was encoded in slices');
  t.is(calls[at]?.handled, 0, 'the last slice ran no request');
  t.true(
    calls.slice(at + 1).some((call) => call.handled > 0),
    'the held requests ran after it',
  );
});
