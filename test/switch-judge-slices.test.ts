/**
 * A switch's new version measures the state it converted for its store's
 * room a slice a call (`encodeSliceBytes`), at the first round and at the
 * last: in one call that took a microcontroller-class engine 5.4 million
 * XS units at the bench's large state. Rounds that arrive meanwhile wait
 * their turn, and the switch ends with every request run once.
 */
import test from 'ava';
import { RetentiveMemory } from '../boards/retentive-memory.ts';
import { ledgerV1, ledgerV2 } from '../firmware/apps/ledger/index.ts';
import type { PairCore } from '../firmware/runtime/core.ts';
import { RoomMeasure } from '../firmware/runtime/store-room.ts';
import { aroundEachCall } from './helpers/core-calls.ts';
import { onEachCall } from './helpers/on-each-call.ts';
import { switchingPair } from './helpers/switching-pair.ts';

const ACCOUNTS = 300;
/** Room for the converted state, about 8 KB with its replies (the default store gives a snapshot 4 KB). */
const STORE = {
  eraseBlockBytes: 16 * 1024,
  writeBytes: 16,
  blockCount: 4,
  enduranceCycles: 100_000,
};

for (const model of ['state', 'replay'] as const) {
  test(`${model} model: the new version judges the converted state a slice a call, and the pair ends whole on it with one state`, (t) => {
    let steps = 0;
    onEachCall(t, RoomMeasure.prototype, 'step', () => {
      steps += 1;
    });
    const from = ledgerV1(model);
    const to = ledgerV2(model);
    const run = switchingPair(from, to, { encodeSliceBytes: 512 }, [
      new RetentiveMemory(STORE),
      new RetentiveMemory(STORE),
    ]);
    const { pair } = run;
    for (let n = 1; n <= ACCOUNTS; n++) {
      const reply = pair.ask(0, 'c', n, { op: 'open', account: `acct-${n}` });
      if (!reply.ok) return t.fail(JSON.stringify(reply));
    }
    // Each call into a board on the new version: the slices of judgement it took.
    const stepsPerCall: number[] = [];
    const watched = new Set<PairCore>();
    const watchNewVersion = () => {
      for (const core of pair.cores) {
        if (core == null || core.hello.version !== to.version || watched.has(core)) continue;
        watched.add(core);
        aroundEachCall(core, (_name, call) => {
          const before = steps;
          const result = call();
          stepsPerCall.push(steps - before);
          return result;
        });
      }
    };
    t.is(pair.core(0).switchToOther(pair.nowMs), null, 'the switch starts');
    run.runUntil(() => {
      watchNewVersion();
      return run.onTarget();
    }, 120_000);
    const judging = stepsPerCall.filter((n) => n > 0).length;
    t.log(`${judging} calls judged the converted state, ${stepsPerCall.length} calls in all`);
    // 300 accounts and their replies, converted, are several KB: two judgements of some slices each.
    t.true(judging >= 10, `${judging} calls judged`);
    t.true(
      stepsPerCall.every((n) => n <= 1),
      'a call judges one slice at most',
    );
    t.deepEqual(pair.eventsOf('store-refused'), [], 'no store refused its snapshot');
    run.runUntil(() => pair.core(0).txn === pair.core(1).txn, 10_000);
    t.deepEqual(pair.core(1).state, pair.core(0).state);
    const primary = pair.cores[0]?.serving === true ? 0 : 1;
    const deposit = pair.ask(primary, 'c', ACCOUNTS + 1, {
      op: 'deposit',
      account: 'acct-1',
      amount: 5,
    });
    t.true(deposit.ok, JSON.stringify(deposit));
  });
}
