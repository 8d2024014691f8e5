/**
 * A switch's rounds after the first are encoded a slice a call
 * (`encodeSliceBytes`) when one slice does not hold them, and requests run
 * meanwhile: in one call a round of what 64 clients changed took a
 * microcontroller-class engine 1.3 million XS units at the bench's large
 * state. A round encoded across calls cannot be the last (requests changed
 * the state between its slices), so the last goes after it, encoded with
 * requests held. Virtual time: the harness ticks a core at most once a
 * millisecond.
 */
import test from 'ava';
import type { AnyApp } from '../firmware/app.ts';
import { RoundInSlices } from '../firmware/runtime/state-transfer.ts';
import { BIG_CELLS, cellsApp } from './helpers/cells-app.ts';
import { aroundEachCall } from './helpers/core-calls.ts';
import { CorePair } from './helpers/core-pair.ts';

test('rounds after the first go a slice a call while requests run, the last with requests held, and the new version gets the same state', (t) => {
  // The slices of each round the switching board encodes, in the order they were taken.
  const slicesOf = new Map<RoundInSlices, number[]>();
  let stepsNow = 0;
  let switching = (): boolean => false;
  let txn = (): number => 0;
  const proto = RoundInSlices.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  const step = proto.step as (...a: unknown[]) => unknown;
  proto.step = function (this: RoundInSlices, ...args: unknown[]) {
    // With the transaction the state stood at as each slice was taken.
    if (switching()) slicesOf.set(this, [...(slicesOf.get(this) ?? []), txn()]);
    stepsNow += 1;
    return step.apply(this, args);
  };
  t.teardown(() => {
    proto.step = step;
  });
  const v1 = cellsApp(BIG_CELLS);
  const v2: AnyApp = { ...v1, version: '2.0.0' };
  const pair = new CorePair([v1, v1], { encodeSliceBytes: 512 });
  for (const board of [0, 1] as const) pair.boot(board, { otherVersion: v2.version });
  pair.runUntil(() => pair.whole, 60_000);
  const board = pair.cores[0]?.serving === true ? 0 : 1;
  switching = () => pair.cores[board]?.role === 'switching';
  txn = () => pair.cores[board]?.txn ?? 0;
  const stepsPerCall: number[] = [];
  aroundEachCall(pair.core(board), (_name, call) => {
    const before = stepsNow;
    const result = call();
    stepsPerCall.push(stepsNow - before);
    return result;
  });
  if (pair.core(board).switchToOther(pair.nowMs) !== null) throw new Error('switch refused');
  // One request a millisecond throughout: each round after the first carries what they changed.
  let sync = 0;
  const onV2 = () =>
    pair.whole && pair.cores.every((c) => c?.hello.version === v2.version && !c.hello.testMode);
  const end = pair.nowMs + 120_000;
  while (!onV2() && pair.nowMs < end) {
    if (pair.cores[board]?.serving === true) pair.request(board, 'c', ++sync, null);
    pair.run(1);
    rebootStopped(pair, v2);
  }
  t.true(onV2(), 'the pair is whole on 2.0.0');
  const [first = [], ...later] = [...slicesOf.values()];
  const last = later.at(-1) ?? [];
  const lastRound = pair.events.find(
    (e) => e.event.kind === 'role' && e.event.cause === 'big-checkpoint-to-new-version',
  );
  t.log(
    `first round ${first.length} slices; ${later.length} rounds after it, in ${later.map((r) => r.length).join(', ')} slices; ${lastRound?.event.kind === 'role' ? JSON.stringify(lastRound.event.why) : 'no last round'}`,
  );
  const ranBetween = (round: number[]) => new Set(round).size > 1;
  t.true(
    later.slice(0, -1).some(ranBetween),
    'requests ran between the slices of a round after the first',
  );
  t.false(ranBetween(last), "none ran between the last round's slices");
  t.true(
    stepsPerCall.every((n) => n <= 1),
    'a call encodes one slice at most',
  );
  t.truthy(lastRound, 'the last round went');
  pair.runUntil(() => pair.core(0).txn === pair.core(1).txn, 10_000);
  const ran = pair.replies.filter((r) => r.clientId === 'c' && r.ok).length;
  t.true(ran > 100, `${ran} requests answered`);
  t.is(
    (pair.core(0).state as { n: number }).n,
    pair.core(0).txn - 1,
    'every request ran once (the registration first)',
  );
  t.deepEqual(pair.core(1).state, pair.core(0).state);
});

/** A board the switch stopped comes back on the other image, on trial. */
function rebootStopped(pair: CorePair, to: AnyApp): void {
  for (const board of [0, 1] as const) {
    if (pair.cores[board] == null) pair.boot(board, { testMode: true, otherVersion: '' }, to);
  }
}
