import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import test from 'ava';
import fc from 'fast-check';
import { WireArgumentError } from '../firmware/wire/errors.ts';
import {
  type DataSegment,
  DEFAULT_CHANNEL_OPTIONS,
  ReliableChannel,
} from '../firmware/wire/reliable-channel.ts';

setFlagsFromString('--expose-gc');
/** A full collection, to see what the channel still holds (weak references let go of the rest). */
const collect = runInNewContext('gc') as () => void;

const seqsOf = <T>(segments: DataSegment<T>[]): number[] => segments.map((segment) => segment.seq);

test('bodies sent are delivered in order and acknowledged', (t) => {
  const sender = new ReliableChannel<string>();
  const receiver = new ReliableChannel<string>();
  for (const body of ['a', 'b', 'c']) t.true(sender.send(body));
  const segments = sender.poll(0);
  t.deepEqual(seqsOf(segments), [1, 2, 3]);
  t.deepEqual(
    segments.flatMap((segment) => receiver.receive(segment)),
    ['a', 'b', 'c'],
  );
  t.is(receiver.ackNumber, 3);
  t.true(receiver.ackOwed);
  receiver.ackSent();
  t.false(receiver.ackOwed);
  sender.onAck(receiver.ackNumber);
  t.is(sender.pending, 0);
  t.is(sender.nextRetransmitAt(), undefined);
  t.deepEqual(sender.poll(1000), []);
});

// On a microcontroller the send queue is allocated whole: a body kept after
// its acknowledgement holds heap until its slot comes round again.
test('an acknowledged body is let go, one not yet acknowledged is kept', async (t) => {
  const sender = new ReliableChannel<object>();
  const sent = (() => {
    const refs: WeakRef<object>[] = [];
    for (let i = 0; i < 4; i++) {
      const body = { i, bytes: new Uint8Array(1024) };
      refs.push(new WeakRef(body));
      sender.send(body);
    }
    sender.poll(0);
    return refs;
  })();
  sender.onAck(3);
  await new Promise((resolve) => setImmediate(resolve));
  collect();
  t.deepEqual(
    sent.map((ref) => ref.deref() !== undefined),
    [false, false, false, true],
  );
});

test('the default options are a 32-segment window, 1024 queued bodies and a 20 ms timeout', (t) => {
  t.deepEqual(
    { ...DEFAULT_CHANNEL_OPTIONS },
    {
      windowMax: 32,
      queueMax: 1024,
      retransmitTimeoutMs: 20,
    },
  );
});

test('no more than windowMax segments are in flight', (t) => {
  const sender = new ReliableChannel<number>({ windowMax: 4 });
  for (let body = 1; body <= 10; body++) sender.send(body);
  t.deepEqual(seqsOf(sender.poll(0)), [1, 2, 3, 4]);
  t.deepEqual(sender.poll(1), []);
  t.is(sender.inFlight, 4);
  sender.onAck(2);
  t.deepEqual(seqsOf(sender.poll(2)), [5, 6]);
  t.is(sender.inFlight, 4);
  t.is(sender.pending, 8);
});

test('send refuses bodies beyond queueMax until acks free room', (t) => {
  const sender = new ReliableChannel<number>({ queueMax: 3, windowMax: 2 });
  t.true(sender.send(1));
  t.true(sender.send(2));
  t.true(sender.send(3));
  t.false(sender.send(4));
  t.is(sender.pending, 3);
  t.deepEqual(seqsOf(sender.poll(0)), [1, 2]);
  t.false(sender.send(4));
  sender.onAck(1);
  t.true(sender.send(4));
  t.false(sender.send(5));
  t.deepEqual(
    sender.poll(1).map((segment) => segment.body),
    [3],
  );
});

test('an unacknowledged segment is retransmitted when its timeout expires, once per poll', (t) => {
  const sender = new ReliableChannel<string>({ retransmitTimeoutMs: 20 });
  sender.send('x');
  t.deepEqual(sender.poll(100), [{ seq: 1, body: 'x' }]);
  t.is(sender.nextRetransmitAt(), 120);
  t.deepEqual(sender.poll(119), []);
  t.deepEqual(sender.poll(120), [{ seq: 1, body: 'x', resent: true }]);
  t.is(sender.nextRetransmitAt(), 140);
  t.deepEqual(sender.poll(120), []);
  // A late poll resends once, not once per missed timeout.
  t.deepEqual(seqsOf(sender.poll(500)), [1]);
  sender.onAck(1);
  t.is(sender.nextRetransmitAt(), undefined);
});

test("a segment's timer counts from when its frame finished leaving, the oldest one's too", (t) => {
  const sender = new ReliableChannel<string>({ retransmitTimeoutMs: 20 });
  sender.send('long');
  sender.send('next');
  t.deepEqual(seqsOf(sender.poll(0)), [1, 2]);
  // At a low baud rate the frames take longer on the line than the timeout.
  sender.sentUntil(1, 50);
  sender.sentUntil(2, 90);
  t.deepEqual(seqsOf(sender.poll(69)), []);
  t.deepEqual(seqsOf(sender.poll(70)), [1]);
  sender.onAck(1);
  t.deepEqual(seqsOf(sender.poll(109)), []);
  t.deepEqual(seqsOf(sender.poll(110)), [2]);
});

test('retransmissions come before new segments and each timer restarts at its own send', (t) => {
  const sender = new ReliableChannel<number>({ retransmitTimeoutMs: 10 });
  sender.send(1);
  sender.poll(0);
  sender.send(2);
  t.deepEqual(seqsOf(sender.poll(5)), [2]);
  t.deepEqual(seqsOf(sender.poll(10)), [1]);
  t.is(sender.nextRetransmitAt(), 15);
  sender.send(3);
  t.deepEqual(seqsOf(sender.poll(15)), [2, 3]);
});

test('poll sends at most the number of segments asked for, retransmissions first', (t) => {
  const sender = new ReliableChannel<number>({ retransmitTimeoutMs: 10 });
  sender.send(1);
  sender.poll(0);
  sender.send(2);
  t.is(sender.sendable, 1);
  t.deepEqual(seqsOf(sender.poll(10, 1)), [1]);
  t.deepEqual(seqsOf(sender.poll(10, 1)), [2]);
  t.is(sender.sendable, 0);
});

test('with a zero timeout a new segment is not resent in the poll that first sends it', (t) => {
  const sender = new ReliableChannel<number>({ retransmitTimeoutMs: 0 });
  sender.send(1);
  t.deepEqual(seqsOf(sender.poll(0)), [1]);
  t.deepEqual(seqsOf(sender.poll(0)), [1]);
});

test('segments arriving out of order are buffered and released in order', (t) => {
  const receiver = new ReliableChannel<string>();
  t.deepEqual(receiver.receive({ seq: 3, body: 'c' }), []);
  t.deepEqual(receiver.receive({ seq: 2, body: 'b' }), []);
  t.is(receiver.ackNumber, 0);
  t.deepEqual(receiver.receive({ seq: 1, body: 'a' }), ['a', 'b', 'c']);
  t.is(receiver.ackNumber, 3);
});

test('duplicates are dropped but still make an ack owed', (t) => {
  const receiver = new ReliableChannel<string>();
  receiver.receive({ seq: 1, body: 'a' });
  receiver.receive({ seq: 3, body: 'c' });
  receiver.ackSent();
  t.deepEqual(receiver.receive({ seq: 1, body: 'a' }), []);
  t.true(receiver.ackOwed);
  t.deepEqual(receiver.receive({ seq: 3, body: 'c' }), []);
  t.deepEqual(receiver.receive({ seq: 2, body: 'b' }), ['b', 'c']);
});

test('segments beyond the reorder window are dropped', (t) => {
  const receiver = new ReliableChannel<number>({ windowMax: 4 });
  t.deepEqual(receiver.receive({ seq: 5, body: 5 }), []);
  t.deepEqual(receiver.receive({ seq: 4, body: 4 }), []);
  t.deepEqual(receiver.receive({ seq: 2, body: 2 }), []);
  t.deepEqual(receiver.receive({ seq: 3, body: 3 }), []);
  t.deepEqual(receiver.receive({ seq: 1, body: 1 }), [1, 2, 3, 4]);
  t.deepEqual(receiver.receive({ seq: 5, body: 5 }), [5]);
});

test('segments with a nonsense seq are ignored', (t) => {
  const receiver = new ReliableChannel<number>();
  for (const seq of [0, -1, 1.5, Number.NaN]) t.deepEqual(receiver.receive({ seq, body: 1 }), []);
  t.false(receiver.ackOwed);
  t.is(receiver.ackNumber, 0);
});

test('acks for seqs never sent, and stale acks, are ignored', (t) => {
  const sender = new ReliableChannel<number>();
  for (let body = 1; body <= 5; body++) sender.send(body);
  sender.poll(0); // seqs 1..5 in flight
  sender.onAck(9);
  t.is(sender.pending, 5);
  sender.onAck(3);
  t.is(sender.pending, 2);
  sender.onAck(2);
  sender.onAck(Number.NaN);
  t.is(sender.pending, 2);
  const waiting = new ReliableChannel<number>();
  waiting.send(1);
  waiting.onAck(1); // queued but never sent
  t.is(waiting.pending, 1);
});

test('reset forgets everything and numbering restarts at 1', (t) => {
  const channel = new ReliableChannel<string>();
  channel.send('a');
  channel.send('b');
  channel.poll(0);
  channel.receive({ seq: 1, body: 'x' });
  channel.receive({ seq: 3, body: 'z' });
  channel.reset();
  t.is(channel.pending, 0);
  t.is(channel.ackNumber, 0);
  t.false(channel.ackOwed);
  t.is(channel.nextRetransmitAt(), undefined);
  channel.send('c');
  t.deepEqual(channel.poll(1), [{ seq: 1, body: 'c' }]);
  t.deepEqual(channel.receive({ seq: 2, body: 'y' }), []);
  t.deepEqual(channel.receive({ seq: 1, body: 'x' }), ['x', 'y']);
});

test('invalid options are refused, naming the option', (t) => {
  const option = (options: ConstructorParameters<typeof ReliableChannel>[0]) => {
    const error = t.throws(() => new ReliableChannel(options), { instanceOf: WireArgumentError });
    const why = error?.why as { code?: string; option?: string } | undefined;
    t.is(why?.code, 'bad-option');
    return why?.option;
  };
  t.is(option({ windowMax: 0 }), 'windowMax');
  t.is(option({ queueMax: 1.5 }), 'queueMax');
  t.is(option({ retransmitTimeoutMs: -1 }), 'retransmitTimeoutMs');
});

/** mulberry32: a small seeded PRNG, so a failing run can be replayed from its seed. */
const seededRandom = (seed: number): (() => number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
};

interface Packet {
  readonly to: 0 | 1;
  readonly deliverAtMs: number;
  readonly ack: number;
  readonly segment: DataSegment<number> | undefined;
}

interface LinkScenario {
  seed: number;
  lossRate: number;
  duplicateRate: number;
  delayMaxMs: number;
  bodyCounts: [number, number];
  windowMax: number;
  queueMax: number;
}

/**
 * Two channels exchange numbered bodies over a link that loses, duplicates and
 * reorders packets. Every packet carries a piggybacked ack. Returns when both
 * sides delivered everything; asserts order, window and queue bounds throughout.
 */
const runLink = (scenario: LinkScenario): void => {
  const random = seededRandom(scenario.seed);
  const options = { windowMax: scenario.windowMax, queueMax: scenario.queueMax };
  const channels = [new ReliableChannel<number>(options), new ReliableChannel<number>(options)];
  const nextToSend = [1, 1];
  const delivered: number[][] = [[], []];
  const highestAckFed = [0, 0];
  let inTransit: Packet[] = [];
  const timeLimitMs = 200_000;

  const transmit = (to: 0 | 1, now: number, ack: number, segment?: DataSegment<number>): void => {
    if (random() < scenario.lossRate) return;
    const copies = random() < scenario.duplicateRate ? 2 : 1;
    for (let copy = 0; copy < copies; copy++) {
      const deliverAtMs = now + 1 + Math.floor(random() * scenario.delayMaxMs);
      inTransit.push({ to, deliverAtMs, ack, segment });
    }
  };

  for (let now = 0; ; now++) {
    assert.ok(now < timeLimitMs, `link did not converge in ${timeLimitMs} ms`);
    for (const side of [0, 1] as const) {
      const channel = channels[side] as ReliableChannel<number>;
      const peer = side === 0 ? 1 : 0;
      const bodyCount = scenario.bodyCounts[side];
      while ((nextToSend[side] as number) <= bodyCount) {
        const accepted = channel.send(nextToSend[side] as number);
        if (!accepted) {
          assert.equal(channel.pending, scenario.queueMax);
          break;
        }
        nextToSend[side] = (nextToSend[side] as number) + 1;
      }
      assert.ok(channel.pending <= scenario.queueMax);
      const segments = channel.poll(now);
      for (const segment of segments) {
        assert.ok(segment.seq <= (highestAckFed[side] as number) + scenario.windowMax);
        transmit(peer, now, channel.ackNumber, segment);
      }
      assert.ok(channel.inFlight <= scenario.windowMax);
      if (segments.length === 0 && channel.ackOwed) transmit(peer, now, channel.ackNumber);
      channel.ackSent();
    }
    const arrived = inTransit.filter((packet) => packet.deliverAtMs <= now);
    inTransit = inTransit.filter((packet) => packet.deliverAtMs > now);
    for (const packet of arrived) {
      const channel = channels[packet.to] as ReliableChannel<number>;
      channel.onAck(packet.ack);
      highestAckFed[packet.to] = Math.max(highestAckFed[packet.to] as number, packet.ack);
      if (packet.segment)
        (delivered[packet.to] as number[]).push(...channel.receive(packet.segment));
    }
    const done = [0, 1].every((side) => {
      const channel = channels[side] as ReliableChannel<number>;
      const fromPeer = scenario.bodyCounts[side === 0 ? 1 : 0];
      return (delivered[side] as number[]).length === fromPeer && channel.pending === 0;
    });
    if (done) break;
  }
  for (const side of [0, 1] as const) {
    const fromPeer = scenario.bodyCounts[side === 0 ? 1 : 0];
    assert.deepEqual(
      delivered[side],
      Array.from({ length: fromPeer }, (_, index) => index + 1),
    );
  }
};

test('property: both directions deliver every body once, in order, over a lossy, duplicating, reordering link', (t) => {
  const scenario = fc.record<LinkScenario>({
    seed: fc.integer({ min: 0, max: 0xffffffff }),
    lossRate: fc.double({ min: 0, max: 0.4, noNaN: true }),
    duplicateRate: fc.double({ min: 0, max: 0.3, noNaN: true }),
    delayMaxMs: fc.integer({ min: 1, max: 60 }),
    bodyCounts: fc.tuple(fc.integer({ min: 0, max: 150 }), fc.integer({ min: 0, max: 150 })),
    windowMax: fc.integer({ min: 1, max: 16 }),
    queueMax: fc.integer({ min: 1, max: 40 }),
  });
  // The counterexample printed on failure holds the PRNG seed; runLink(counterexample) replays it.
  fc.assert(fc.property(scenario, runLink), { numRuns: 60 });
  t.pass();
});

test('a fixed-seed lossy link delivers in order (seed 20240611)', (t) => {
  const seed = 20_240_611;
  t.log(`PRNG seed ${seed}`);
  runLink({
    seed,
    lossRate: 0.25,
    duplicateRate: 0.1,
    delayMaxMs: 40,
    bodyCounts: [500, 300],
    windowMax: 32,
    queueMax: 1024,
  });
  t.pass();
});
