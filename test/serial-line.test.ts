import test from 'ava';
import { Direction } from '../host/lab/hub/line.ts';

// One direction of a hub cable, driven with made-up times: 10,000 baud is
// exactly one byte a millisecond.

function bytes(n: number, from = 0): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);
}

function receiver() {
  const got: number[] = [];
  let listening = true;
  return {
    deliver: (chunk: Uint8Array) => {
      if (!listening) return false;
      got.push(...chunk);
      return true;
    },
    got,
    stopListening: () => {
      listening = false;
    },
  };
}

test('bytes leave at the baud rate, in order, one write after another', (t) => {
  const line = new Direction(10_000, () => 0.5);
  const rx = receiver();
  line.write(bytes(100), 0);
  line.write(bytes(50, 100), 10);
  line.advance(40.5, rx.deliver);
  t.deepEqual(rx.got, [...bytes(40)]);
  t.is(line.counters().backlog, 110);
  line.advance(149.99, rx.deliver);
  t.is(rx.got.length, 149);
  line.advance(150, rx.deliver);
  t.deepEqual(rx.got, [...bytes(150)]);
  t.true(line.idle);
  t.deepEqual(line.counters(), {
    bytesWritten: 150,
    bytesDelivered: 150,
    bytesDropped: 0,
    backlog: 0,
  });
});

test('a cut drops what leaves while it is in place; a delay holds bytes back', (t) => {
  const line = new Direction(10_000, () => 0.5);
  const rx = receiver();
  line.write(bytes(30), 0);
  line.advance(10, rx.deliver);
  line.faults = { ...line.faults, cut: true };
  line.advance(20, rx.deliver);
  line.faults = { ...line.faults, cut: false, delayMs: 5 };
  line.advance(30, rx.deliver);
  t.deepEqual(rx.got, [...bytes(10)]);
  line.advance(35, rx.deliver);
  t.deepEqual(rx.got, [...bytes(10), ...bytes(10, 20)]);
  t.is(line.counters().bytesDropped, 10);
});

test('losing the sender drops its unsent bytes; those on the wire still arrive', (t) => {
  const line = new Direction(10_000, () => 0.5);
  line.faults = { ...line.faults, delayMs: 20 };
  const rx = receiver();
  line.write(bytes(100), 0);
  for (let ms = 1; ms <= 30; ms++) line.advance(ms, rx.deliver); // the hub's pacer ticks
  line.discardUnsent(30);
  t.is(line.counters().backlog, 0);
  t.is(line.settled, line.written);
  line.advance(49, rx.deliver);
  t.is(rx.got.length, 29);
  line.advance(50, rx.deliver);
  t.deepEqual(rx.got, [...bytes(30)]);
  t.true(line.idle);
  t.is(line.counters().bytesDropped, 70);
});

test('bytes with nobody listening are dropped', (t) => {
  const line = new Direction(10_000, () => 0.5);
  const rx = receiver();
  rx.stopListening();
  line.write(bytes(10), 0);
  line.advance(10, rx.deliver);
  t.deepEqual(line.counters(), {
    bytesWritten: 10,
    bytesDelivered: 0,
    bytesDropped: 10,
    backlog: 0,
  });
});

test('loss, corruption and duplication are drawn per write and keep the line time', (t) => {
  const line = new Direction(10_000, () => 0.25);
  const rx = receiver();
  line.faults = { ...line.faults, lossRate: 1 };
  line.write(bytes(8), 0);
  line.advance(8, rx.deliver);
  // 0.25 of 8 from byte 2, then 1 + floor(0.25 * 6) bytes: bytes 2 and 3 lost.
  t.deepEqual(rx.got, [0, 1, 4, 5, 6, 7]);
  line.faults = { ...line.faults, lossRate: 0, corruptRate: 1 };
  line.write(bytes(4), 8);
  line.advance(12, rx.deliver);
  t.deepEqual(rx.got.slice(6), [0, 1 ^ 4, 2, 3]);
  line.faults = { ...line.faults, corruptRate: 0, duplicateRate: 1 };
  line.write(bytes(2), 12);
  line.advance(14, rx.deliver);
  t.deepEqual(rx.got.slice(10), [0, 1, 0, 1]);
  t.is(line.counters().bytesWritten, 14);
});
