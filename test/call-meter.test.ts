import test from 'ava';
import { CallMeter } from '../boards/call-meter.ts';

test('the call meter keeps the longest call of each kind, a call that throws included', (t) => {
  let now = 0;
  const meter = new CallMeter(() => now);
  const takes = (ms: number) => () => {
    now += ms;
  };
  meter.time('data', takes(3));
  meter.time('data', takes(7));
  meter.time('data', takes(2));
  meter.time('wake', takes(1));
  t.throws(() =>
    meter.time('status', () => {
      now += 5;
      throw new Error('the image failed');
    }),
  );
  t.deepEqual(meter.longest(), { data: { ms: 7 }, wake: { ms: 1 }, status: { ms: 5 } });
  t.deepEqual(meter.busy(), { calls: 5, ms: 18 });
});

test("the call meter keeps XS's largest computation apart from its slowest call", (t) => {
  const meter = new CallMeter(() => 0);
  meter.note('data', 4, { compute: 900 });
  meter.note('data', 9, { compute: 300 });
  t.deepEqual(meter.longest(), { data: { ms: 9, compute: 900 } });
  t.deepEqual(meter.busy(), { calls: 2, ms: 13, compute: 1200 });
  // What it gives is a copy: the next call does not change a status already sent.
  const before = meter.longest();
  meter.note('data', 12, { compute: 1000 });
  t.deepEqual(before, { data: { ms: 9, compute: 900 } });
});

test("the call meter keeps XS's longest call by the engine's clock apart from the board's", (t) => {
  const meter = new CallMeter(() => 0);
  meter.note('wake', 9, { compute: 300, engineMs: 2 });
  meter.note('wake', 4, { compute: 900, engineMs: 3 });
  t.deepEqual(meter.longest(), { wake: { ms: 9, compute: 900, engineMs: 3 } });
});
