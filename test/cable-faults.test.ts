/**
 * The cable fault model is one: the deterministic simulator's cable and the
 * lab hub's, given the same faults and the same random draws, deliver the
 * same bytes (the hub hands a duplicate on at once, the simulator a line
 * time later; both deliver it).
 */
import test from 'ava';
import { seededRandom } from '../firmware/runtime/random.ts';
import { isFaultFree, type LineFaults, noFaults } from '../host/lab/cable-faults.ts';
import { Direction } from '../host/lab/hub/line.ts';
import { Line } from '../host/simulator/cable.ts';
import { EventQueue } from '../host/simulator/event-queue.ts';

/** 10,000 baud: a byte a millisecond. */
const BAUD = 10_000;
const WRITES = 200;

function writes(seed: number): Uint8Array[] {
  const random = seededRandom(seed);
  return Array.from({ length: WRITES }, () =>
    Uint8Array.from({ length: 1 + Math.floor(random() * 40) }, () => Math.floor(random() * 256)),
  );
}

/** What the simulator's cable delivers, write after write, in order. */
function throughSimulator(faults: LineFaults, seed: number, data: Uint8Array[]): number[] {
  const queue = new EventQueue();
  const got: number[] = [];
  const line = new Line(queue, BAUD, seededRandom(seed), (bytes) => got.push(...bytes));
  line.faults = faults;
  for (const bytes of data) {
    line.write(bytes);
    // Let each write and its duplicate arrive before the next: the hub's order.
    while (queue.step(Number.POSITIVE_INFINITY));
  }
  return got;
}

function throughHub(faults: LineFaults, seed: number, data: Uint8Array[]): number[] {
  const line = new Direction(BAUD, seededRandom(seed));
  line.faults = faults;
  const got: number[] = [];
  let nowMs = 0;
  for (const bytes of data) {
    line.write(bytes, nowMs);
    nowMs += 1_000;
    line.advance(nowMs, (chunk) => {
      got.push(...chunk);
      return true;
    });
  }
  return got;
}

const noisy: readonly (readonly [string, Partial<LineFaults>])[] = [
  ['loss', { lossRate: 0.3 }],
  ['corruption', { corruptRate: 0.3 }],
  ['duplication', { duplicateRate: 0.3 }],
  ['all three, some writes lost whole', { lossRate: 0.6, corruptRate: 0.6, duplicateRate: 0.3 }],
];

for (const [name, change] of noisy) {
  test(`${name}: the simulator's cable and the hub's deliver the same bytes`, (t) => {
    const faults = { ...noFaults(), ...change };
    const seed = 20_261_202;
    t.log(`seed ${seed}`);
    const data = writes(seed);
    const simulated = throughSimulator(faults, seed + 1, data);
    t.deepEqual(throughHub(faults, seed + 1, data), simulated);
    // The faults did something: not a comparison of two clean copies.
    t.notDeepEqual(
      simulated,
      data.flatMap((bytes) => [...bytes]),
    );
    t.true(simulated.length > 0);
  });
}

test('no fault at all is fault-free; any one fault is not', (t) => {
  t.true(isFaultFree(noFaults()));
  const one: Partial<LineFaults>[] = [
    { cut: true },
    { lossRate: 0.1 },
    { corruptRate: 0.1 },
    { duplicateRate: 0.1 },
    { delayMs: 1 },
  ];
  for (const change of one)
    t.false(isFaultFree({ ...noFaults(), ...change }), JSON.stringify(change));
});
