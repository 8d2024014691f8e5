/**
 * A switch's first round, the whole state, is encoded a slice a call
 * (`encodeSliceBytes`) from the copy the next round is diffed against, and
 * requests run meanwhile: in one call it took a microcontroller-class
 * engine 4 million XS units at the bench's large state. Virtual time: the
 * harness ticks a core at most once a millisecond.
 */
import test from 'ava';
import type { AnyApp } from '../firmware/app.ts';
import { RoundInSlices } from '../firmware/runtime/state-transfer.ts';
import { BIG_CELLS, cellsApp } from './helpers/cells-app.ts';
import { aroundEachCall } from './helpers/core-calls.ts';
import { CorePair } from './helpers/core-pair.ts';
import { onEachCall } from './helpers/on-each-call.ts';

test('a switch encodes its first round a slice a call while requests run, and the new version gets the same state', (t) => {
  let steps = 0;
  let done = false;
  onEachCall<ReturnType<RoundInSlices['step']>>(t, RoundInSlices.prototype, 'step', (chunks) => {
    steps += 1;
    if (chunks !== null) done = true;
  });
  const v1 = cellsApp(BIG_CELLS);
  const v2: AnyApp = { ...v1, version: '2.0.0' };
  const pair = new CorePair([v1, v1], { encodeSliceBytes: 512 });
  for (const board of [0, 1] as const) pair.boot(board, { otherVersion: v2.version });
  pair.runUntil(() => pair.whole, 60_000);
  // The joiner's big checkpoint at the pair's forming went in slices too.
  steps = 0;
  done = false;
  const board = pair.cores[0]?.serving === true ? 0 : 1;
  const stepsPerCall: number[] = [];
  aroundEachCall(pair.core(board), (_name, call) => {
    const before = steps;
    const result = call();
    stepsPerCall.push(steps - before);
    return result;
  });
  if (pair.core(board).switchToOther(pair.nowMs) !== null) throw new Error('switch refused');
  // Served while the first round is encoded: one request a millisecond.
  let sync = 0;
  let answeredMeanwhile = 0;
  const deadline = pair.nowMs + 60_000;
  while (!done && pair.nowMs < deadline) {
    const seen = pair.replies.length;
    pair.request(board, 'c', ++sync, null);
    pair.run(1);
    answeredMeanwhile += pair.replies.slice(seen).filter((r) => r.ok).length;
    rebootStopped(pair, v2);
  }
  const encodingCalls = stepsPerCall.filter((n) => n > 0).length;
  t.log(
    `${steps} slices of 512 bytes in ${encodingCalls} calls; ${answeredMeanwhile} requests answered meanwhile`,
  );
  t.true(done, 'the first round was encoded');
  // BIG_CELLS are about 24 KB: some 45 slices.
  t.true(encodingCalls >= 30, `${encodingCalls} calls encoded the first round`);
  t.true(
    stepsPerCall.every((n) => n <= 1),
    'a call encodes one slice at most',
  );
  t.true(answeredMeanwhile >= 20, `${answeredMeanwhile} requests answered while it was encoded`);
  // The switch completes, every request once, the new version holding the same state.
  const onV2 = () =>
    pair.whole && pair.cores.every((c) => c?.hello.version === v2.version && !c.hello.testMode);
  const end = pair.nowMs + 120_000;
  while (!onV2() && pair.nowMs < end) {
    pair.run(10);
    rebootStopped(pair, v2);
  }
  t.true(onV2(), 'the pair is whole on 2.0.0');
  pair.runUntil(() => pair.core(0).txn === pair.core(1).txn, 10_000);
  t.is(pair.core(0).txn, 1 + sync, 'every request ran once (the registration first)');
  t.deepEqual(pair.core(1).state, pair.core(0).state);
});

/** A board the switch stopped comes back on the other image, on trial. */
function rebootStopped(pair: CorePair, to: AnyApp): void {
  for (const board of [0, 1] as const) {
    if (pair.cores[board] == null) pair.boot(board, { testMode: true, otherVersion: '' }, to);
  }
}
