/**
 * A board that stops (here the old backup, told to by a switch) leaves the
 * next image a snapshot of its state, written a slice a call
 * (`encodeSliceBytes`) before it reboots: in one call it took a
 * microcontroller-class engine up to 7 million XS units. The switch then
 * ends with both boards on the new version holding one state.
 */
import test from 'ava';
import { RetentiveMemory } from '../boards/retentive-memory.ts';
import type { AnyApp } from '../firmware/app.ts';
import type { PairCore } from '../firmware/runtime/core.ts';
import { DurableLog } from '../firmware/runtime/durable-log.ts';
import { BIG_CELLS, cellsApp } from './helpers/cells-app.ts';
import { aroundEachCall } from './helpers/core-calls.ts';
import { onEachCall } from './helpers/on-each-call.ts';
import { switchingPair } from './helpers/switching-pair.ts';

/** Room for BIG_CELLS' snapshot, about 24 KB. */
const STORE = {
  eraseBlockBytes: 64 * 1024,
  writeBytes: 16,
  blockCount: 4,
  enduranceCycles: 100_000,
};

test('a stopping board writes its snapshot a slice a call before it reboots', (t) => {
  let slices = 0;
  onEachCall(t, DurableLog.prototype, 'compactSlice', () => {
    slices += 1;
  });
  const v1 = cellsApp({ ...BIG_CELLS, durability: 'retained' });
  const v2: AnyApp = { ...v1, version: '2.0.0' };
  const run = switchingPair(v1, v2, { encodeSliceBytes: 512 }, [
    new RetentiveMemory(STORE),
    new RetentiveMemory(STORE),
  ]);
  const { pair } = run;
  for (let sync = 1; sync <= 20; sync++) pair.ask(0, 'c', sync, null);
  // Slices each call into a stopped board wrote.
  const whileStopped: number[] = [];
  for (const core of pair.cores as PairCore[]) {
    aroundEachCall(core, (_name, call) => {
      const stopped = core.role === 'stopped';
      const before = slices;
      const result = call();
      if (stopped) whileStopped.push(slices - before);
      return result;
    });
  }
  const primary = pair.cores[0]?.serving === true ? 0 : 1;
  t.is(pair.core(primary).switchToOther(pair.nowMs), null, 'the switch starts');
  run.runUntil(() => run.onTarget(), 120_000);
  const writing = whileStopped.filter((n) => n > 0).length;
  t.log(`${writing} calls of stopped boards wrote a slice of the snapshot`);
  // Both boards stop in a switch: some 45 slices of 512 bytes each.
  t.true(writing >= 40, `${writing} calls`);
  t.true(
    whileStopped.every((n) => n <= 1),
    'a call writes one slice at most',
  );
  run.runUntil(() => pair.core(0).txn === pair.core(1).txn, 10_000);
  t.deepEqual(pair.core(1).state, pair.core(0).state);
});
