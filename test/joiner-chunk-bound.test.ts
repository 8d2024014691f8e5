/**
 * A joiner says how many bytes of a big checkpoint it reads in one call
 * (its `encodeSliceBytes`, in its hello), and the primary sends it chunks
 * no larger: a microcontroller-class joiner of a Linux-class primary at
 * 1,000,000 baud got 2 KiB chunks, each read in one call (about 440,000 XS
 * units), where its own slices are 512 bytes.
 */
import test from 'ava';
import type { PairConfig } from '../firmware/runtime/config.ts';
import { RoundInSlices } from '../firmware/runtime/state-transfer.ts';
import { BIG_CELLS, cellsApp } from './helpers/cells-app.ts';
import { CorePair } from './helpers/core-pair.ts';
import { onEachCall } from './helpers/on-each-call.ts';

const BAUD = 1_000_000;
const LINUX: Partial<PairConfig> = { baud: BAUD };
const MICROCONTROLLER: Partial<PairConfig> = { baud: BAUD, encodeSliceBytes: 512 };

/** The largest chunk of the joiner's first round, when processor 2 (`joiner`) rejoins processor 1 (`primary`). */
function largestChunkToJoiner(
  t: { teardown(fn: () => void): void },
  primary: Partial<PairConfig>,
  joiner: Partial<PairConfig>,
): number {
  let largest = 0;
  onEachCall<ReturnType<RoundInSlices['step']>>(t, RoundInSlices.prototype, 'step', (chunks) => {
    for (const chunk of chunks ?? []) largest = Math.max(largest, chunk.data.length);
  });
  const pair = new CorePair([cellsApp(BIG_CELLS), cellsApp(BIG_CELLS)], [primary, joiner]);
  pair.runUntil(() => pair.whole, 60_000);
  if (pair.cores[0]?.serving !== true) throw new Error('processor 1 is not the primary');
  pair.ask(0, 'c', 1, null);
  pair.powerOff(1);
  pair.run(5);
  largest = 0;
  pair.boot(1);
  pair.runUntil(() => pair.whole, 60_000);
  pair.run(100);
  if (JSON.stringify(pair.core(1).state) !== JSON.stringify(pair.core(0).state))
    throw new Error('the joiner holds another state');
  return largest;
}

test('a Linux-class primary sends a microcontroller-class joiner chunks no larger than its slice', (t) => {
  const toLinux = largestChunkToJoiner(t, LINUX, LINUX);
  const toMicrocontroller = largestChunkToJoiner(t, LINUX, MICROCONTROLLER);
  t.log(
    `largest chunk at ${BAUD} baud: ${toLinux} B to a Linux-class joiner, ${toMicrocontroller} B to a microcontroller-class one`,
  );
  t.is(toLinux, 2048, 'the line rate sets it between Linux-class boards');
  t.is(toMicrocontroller, 512);
});

test('a microcontroller-class primary sends chunks no larger than its own slice', (t) => {
  t.is(largestChunkToJoiner(t, MICROCONTROLLER, LINUX), 512);
});
