import assert from 'node:assert/strict';
import test from 'ava';
import fc from 'fast-check';
import { crc8 } from '../firmware/wire/crc8.ts';
import { crc32c } from '../firmware/wire/crc32c.ts';
import { FrameError, WireArgumentError } from '../firmware/wire/errors.ts';
import {
  encodeFrame,
  FRAME_OVERHEAD_BYTES,
  FRAME_PAYLOAD_MAX_BYTES,
  FRAME_SYNC_BYTE,
  FrameDecoder,
  type FrameEvent,
} from '../firmware/wire/frame.ts';

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (char) => char.charCodeAt(0));

const concat = (...parts: Uint8Array[]): Uint8Array => {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
};

const payloadsOf = (events: FrameEvent[]): Uint8Array[] =>
  events.flatMap((event) => (event.kind === 'frame' ? [event.payload] : []));

const errorCodesOf = (events: FrameEvent[]): string[] =>
  events.flatMap((event) => (event.kind === 'error' ? [event.error.code] : []));

/** Payload bytes that never contain SYNC, so a test can reason about where SYNC appears. */
const payloadWithoutSync = (length: number, seed: number): Uint8Array =>
  Uint8Array.from({ length }, (_, index) => (seed + index * 7) % FRAME_SYNC_BYTE);

const headerFor = (length: number): Uint8Array => {
  const header = Uint8Array.of(FRAME_SYNC_BYTE, length & 0xff, length >>> 8, 0);
  header[3] = crc8(header, 0, 3);
  return header;
};

const indexOfBytes = (haystack: Uint8Array, needle: Uint8Array): number => {
  outer: for (let start = 0; start + needle.length <= haystack.length; start++) {
    for (let index = 0; index < needle.length; index++) {
      if (haystack[start + index] !== needle[index]) continue outer;
    }
    return start;
  }
  return -1;
};

test('crc32c of "123456789" is the Castagnoli check value 0xE3069283', (t) => {
  t.is(crc32c(ascii('123456789')), 0xe3069283);
  t.is(crc32c(new Uint8Array(0)), 0);
});

test('crc32c taken piece by piece, each piece with the CRC before it, is the CRC of the whole', (t) => {
  const bytes = ascii('123456789');
  for (let split = 0; split <= bytes.length; split++) {
    t.is(crc32c(bytes, split, bytes.length, crc32c(bytes, 0, split)), 0xe3069283, `split ${split}`);
  }
});

test('crc32c covers only the requested range', (t) => {
  const bytes = concat(ascii('xx'), ascii('123456789'), ascii('yy'));
  t.is(crc32c(bytes, 2, 11), 0xe3069283);
  t.throws(() => crc32c(bytes, 0, 14), { instanceOf: WireArgumentError });
});

test('crc8 and crc32c refuse a range outside the bytes', (t) => {
  const bytes = ascii('123456789');
  for (const crc of [crc8, crc32c]) {
    for (const [start, end] of [
      [-1, 3],
      [0, 10],
      [5, 4],
    ] as const) {
      const refusal = t.throws(() => crc(bytes, start, end), { instanceOf: WireArgumentError });
      t.deepEqual(refusal.why, { code: 'bad-range', start, end, length: 9 });
    }
  }
});

test('crc8 of "123456789" is the CRC-8/SMBUS check value 0xF4', (t) => {
  t.is(crc8(ascii('123456789')), 0xf4);
});

test('a frame has exactly 8 bytes of overhead with a little-endian length', (t) => {
  const frame = encodeFrame(new Uint8Array(300));
  t.is(FRAME_OVERHEAD_BYTES, 8);
  t.is(frame.length, 308);
  t.is(frame[0], 0xa5);
  t.is(frame[1], 300 & 0xff);
  t.is(frame[2], 300 >>> 8);
  t.is(frame[3], crc8(frame, 0, 3));
});

test('encodeFrame refuses a payload above the limit with FrameError oversize', (t) => {
  const error = t.throws(() => encodeFrame(new Uint8Array(FRAME_PAYLOAD_MAX_BYTES + 1)), {
    instanceOf: FrameError,
  });
  t.is(error?.code, 'oversize');
  t.true(error?.frameError);
  t.is(encodeFrame(new Uint8Array(10), 10).length, 18);
  t.throws(() => encodeFrame(new Uint8Array(11), 10), { instanceOf: FrameError });
  t.throws(() => encodeFrame(new Uint8Array(1), 70_000), { instanceOf: WireArgumentError });
});

test('decoder round-trips frames of many sizes, including empty', (t) => {
  const decoder = new FrameDecoder();
  const payloads = [0, 1, 2, 255, 256, 1000, FRAME_PAYLOAD_MAX_BYTES].map((length) =>
    payloadWithoutSync(length, length),
  );
  const events = decoder.push(concat(...payloads.map((payload) => encodeFrame(payload))));
  t.deepEqual(payloadsOf(events), payloads);
  t.deepEqual(errorCodesOf(events), []);
  t.is(decoder.stats.frames, payloads.length);
  t.is(decoder.bufferedBytes, 0);
});

// A sender that lost power mid-frame: with cutShortAfterMs, the next life's
// first frame comes out as soon as it arrives after the silence, instead of
// filling the cut frame's declared length.
test('a frame cut short by silence is dropped, and the frame after it comes out at once', (t) => {
  const decoder = new FrameDecoder({ cutShortAfterMs: 100 });
  const cut = encodeFrame(payloadWithoutSync(500, 3)).subarray(0, 200);
  const next = payloadWithoutSync(10, 4);
  t.deepEqual(decoder.push(cut, 1000), []);
  const events = decoder.push(encodeFrame(next), 1101);
  t.deepEqual(payloadsOf(events), [next]);
  t.deepEqual(errorCodesOf(events), ['cut-short']);
  t.is(decoder.stats.bytesSkipped, 200);
});

test('pauses shorter than cutShortAfterMs inside a frame change nothing', (t) => {
  const decoder = new FrameDecoder({ cutShortAfterMs: 100 });
  const payload = payloadWithoutSync(500, 5);
  const frame = encodeFrame(payload);
  t.deepEqual(decoder.push(frame.subarray(0, 200), 1000), []);
  const events = decoder.push(frame.subarray(200), 1100);
  t.deepEqual(payloadsOf(events), [payload]);
  t.deepEqual(errorCodesOf(events), []);
});

// The reader stalled (a loaded machine, a long call into an XS engine): the
// rest of a frame its sender wrote whole waited in the UART and arrives long
// after its start. It does not begin a frame, so it is the frame's rest.
test('a long pause inside a frame whose rest does not begin a frame changes nothing', (t) => {
  const decoder = new FrameDecoder({ cutShortAfterMs: 100 });
  const payload = payloadWithoutSync(500, 6);
  const frame = encodeFrame(payload);
  t.deepEqual(decoder.push(frame.subarray(0, 200), 1000), []);
  const events = decoder.push(frame.subarray(200), 1500);
  t.deepEqual(payloadsOf(events), [payload]);
  t.deepEqual(errorCodesOf(events), []);
});

// Noise that passed the header's CRC-8 (1 in 256) declared a long frame. On a
// line that carries only acknowledgements and heartbeats, the frames behind it
// would fill its length for seconds, each swallowed (simulator seed 27179: an
// ack stream held 2.6 s, no request served). Its sender writes a frame back to
// back: once twice its line time has passed, a frame beginning drops it.
test('a frame still incomplete long after its line time is dropped when a frame begins', (t) => {
  const byteTimeMs = 1 / 11.52; // 115200 baud
  const decoder = new FrameDecoder({ cutShortAfterMs: 100, byteTimeMs });
  const declared = 2056;
  const dueMs = 2 * (declared + FRAME_OVERHEAD_BYTES) * byteTimeMs + 100;
  t.deepEqual(decoder.push(headerFor(declared), 1000), []);
  const ack = payloadWithoutSync(13, 7);
  let nowMs = 1000;
  let events: FrameEvent[] = [];
  while (payloadsOf(events).length === 0 && nowMs < 10_000) {
    nowMs += 27;
    events = decoder.push(encodeFrame(ack), nowMs);
  }
  t.true(nowMs > 1000 + dueMs, 'nothing is dropped before its time');
  t.true(nowMs <= 1000 + dueMs + 27, `the first frame after its time comes out (at ${nowMs} ms)`);
  t.deepEqual(payloadsOf(events), [ack]);
  t.deepEqual(errorCodesOf(events), ['overdue']);
  t.is(decoder.bufferedBytes, 0);
});

// A real frame delayed by a reader's stall is its own rest: it completes, even long past its time.
test('an overdue frame completed by the next bytes comes out', (t) => {
  const decoder = new FrameDecoder({ cutShortAfterMs: 100, byteTimeMs: 1 / 11.52 });
  const payload = payloadWithoutSync(500, 8);
  const frame = encodeFrame(payload);
  t.deepEqual(decoder.push(frame.subarray(0, 200), 1000), []);
  t.deepEqual(decoder.push(frame.subarray(200, 300), 1050), []);
  const events = decoder.push(frame.subarray(300), 5000);
  t.deepEqual(payloadsOf(events), [payload]);
  t.deepEqual(errorCodesOf(events), []);
});

test('decoder returns payload copies that later input does not overwrite', (t) => {
  const decoder = new FrameDecoder({ payloadMaxBytes: 16 });
  const first = payloadsOf(decoder.push(encodeFrame(Uint8Array.of(1, 2, 3))))[0];
  decoder.push(encodeFrame(Uint8Array.of(9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9)));
  t.deepEqual(first, Uint8Array.of(1, 2, 3));
  t.is(first?.byteLength, first?.buffer.byteLength);
});

test('decoder skips garbage before and between frames, one garbage event per run', (t) => {
  const decoder = new FrameDecoder();
  const a = payloadWithoutSync(20, 1);
  const b = payloadWithoutSync(30, 2);
  const garbage = Uint8Array.of(1, 2, 3, 4, 5);
  const events = decoder.push(concat(garbage, encodeFrame(a), garbage, garbage, encodeFrame(b)));
  t.deepEqual(payloadsOf(events), [a, b]);
  t.deepEqual(errorCodesOf(events), ['garbage', 'garbage']);
  t.is(decoder.stats.bytesSkipped, 15);
});

test('a run of garbage split across pushes is reported once', (t) => {
  const decoder = new FrameDecoder();
  const events = [
    ...decoder.push(Uint8Array.of(1, 2, 3)),
    ...decoder.push(Uint8Array.of(4, 5, 6)),
    ...decoder.push(encodeFrame(Uint8Array.of(7))),
  ];
  t.deepEqual(errorCodesOf(events), ['garbage']);
  t.deepEqual(payloadsOf(events), [Uint8Array.of(7)]);
});

test('decoder recovers the next frame after a frame cut mid-header', (t) => {
  const decoder = new FrameDecoder();
  const cut = encodeFrame(payloadWithoutSync(50, 3)).subarray(0, 2);
  const good = payloadWithoutSync(40, 4);
  const events = decoder.push(concat(cut, encodeFrame(good)));
  t.deepEqual(payloadsOf(events), [good]);
  t.true(errorCodesOf(events).length >= 1);
  t.is(decoder.bufferedBytes, 0);
});

test('decoder recovers the next frame after a frame cut mid-payload', (t) => {
  const decoder = new FrameDecoder();
  // The cut frame declares 10 payload bytes; the good frame behind it supplies enough bytes to show the cut.
  const cut = encodeFrame(payloadWithoutSync(10, 5)).subarray(0, 4 + 6);
  const good = payloadWithoutSync(20, 6);
  const events = decoder.push(concat(cut, encodeFrame(good)));
  t.deepEqual(payloadsOf(events), [good]);
  t.deepEqual(errorCodesOf(events), ['bad-crc']);
  t.is(decoder.stats.crcErrors, 1);
  t.is(decoder.bufferedBytes, 0);
});

test('decoder catches a corrupted length with the header CRC and does not wait for it', (t) => {
  const decoder = new FrameDecoder();
  const corrupted = encodeFrame(payloadWithoutSync(8, 7));
  corrupted[2] = 0x0f; // now declares ~3840 bytes
  const good = payloadWithoutSync(8, 8);
  const events = decoder.push(concat(corrupted, encodeFrame(good)));
  t.deepEqual(payloadsOf(events), [good]);
  t.is(errorCodesOf(events)[0], 'bad-header');
  t.is(decoder.stats.headerErrors, 1);
});

test('decoder rejects an oversize length before its payload arrives', (t) => {
  const decoder = new FrameDecoder({ payloadMaxBytes: 100 });
  const events = decoder.push(headerFor(101));
  t.deepEqual(errorCodesOf(events), ['oversize']);
  t.is(decoder.stats.oversize, 1);
  t.is(decoder.bufferedBytes, 0);
  const good = payloadWithoutSync(100, 9);
  t.deepEqual(payloadsOf(decoder.push(encodeFrame(good, 100))), [good]);
});

test('decoder waits for a partial header and a partial payload without errors', (t) => {
  const decoder = new FrameDecoder();
  const payload = payloadWithoutSync(64, 10);
  const frame = encodeFrame(payload);
  t.deepEqual(decoder.push(frame.subarray(0, 3)), []);
  t.deepEqual(decoder.push(frame.subarray(3, 40)), []);
  t.is(decoder.bufferedBytes, 40);
  t.deepEqual(payloadsOf(decoder.push(frame.subarray(40))), [payload]);
});

test('decoder fed one byte at a time yields every frame', (t) => {
  const decoder = new FrameDecoder();
  const payloads = [3, 0, 200, 17].map((length) => payloadWithoutSync(length, length));
  const stream = concat(Uint8Array.of(0x11), ...payloads.map((payload) => encodeFrame(payload)));
  const events: FrameEvent[] = [];
  for (const byte of stream) events.push(...decoder.push(Uint8Array.of(byte)));
  t.deepEqual(payloadsOf(events), payloads);
  t.deepEqual(errorCodesOf(events), ['garbage']);
});

test('reset drops buffered bytes but keeps the counters', (t) => {
  const decoder = new FrameDecoder();
  const frame = encodeFrame(payloadWithoutSync(30, 11));
  decoder.push(Uint8Array.of(1));
  decoder.push(frame.subarray(0, 10));
  decoder.reset();
  t.is(decoder.bufferedBytes, 0);
  t.is(decoder.stats.bytesSkipped, 1);
  t.is(payloadsOf(decoder.push(frame)).length, 1);
});

// The same, when the rest begins with a sync byte but no frame header: it is no frame's start.
test('a long pause inside a frame whose rest begins with a sync byte but no header changes nothing', (t) => {
  const decoder = new FrameDecoder({ cutShortAfterMs: 100 });
  const payload = payloadWithoutSync(500, 6);
  payload[196] = FRAME_SYNC_BYTE; // the frame's byte 200: after the 4-byte header
  const frame = encodeFrame(payload);
  t.not(crc8(frame, 200, 203), frame[203], 'the rest does not begin with a valid header');
  t.deepEqual(decoder.push(frame.subarray(0, 200), 1000), []);
  const events = decoder.push(frame.subarray(200), 1500);
  t.deepEqual(payloadsOf(events), [payload]);
  t.deepEqual(errorCodesOf(events), []);
});

test('decoder rejects an invalid payload limit, saying which option and value', (t) => {
  const refusal = t.throws(() => new FrameDecoder({ payloadMaxBytes: 65_536 }), {
    instanceOf: WireArgumentError,
  });
  t.deepEqual(refusal.why, { code: 'bad-option', option: 'payloadMaxBytes', value: 65_536 });
  t.throws(() => new FrameDecoder({ payloadMaxBytes: -1 }), { instanceOf: WireArgumentError });
  t.notThrows(() => new FrameDecoder({ payloadMaxBytes: 65_535 }));
});

const smallPayload = fc.uint8Array({ maxLength: 300 });

/** Splits `stream` at the given cut points (any values; folded into range). */
const chunksOf = (stream: Uint8Array, cuts: number[]): Uint8Array[] => {
  const points = [...new Set(cuts.map((cut) => cut % (stream.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of points) {
    chunks.push(stream.subarray(start, point));
    start = point;
  }
  chunks.push(stream.subarray(start));
  return chunks;
};

test('property: frames interleaved with SYNC-free garbage, in any chunks, all come out in order', (t) => {
  const garbageWithoutSync = fc
    .uint8Array({ maxLength: 40 })
    .map((bytes) => bytes.map((byte) => (byte === FRAME_SYNC_BYTE ? 0 : byte)));
  fc.assert(
    fc.property(
      fc.array(fc.tuple(garbageWithoutSync, smallPayload), { maxLength: 12 }),
      garbageWithoutSync,
      fc.array(fc.nat(), { maxLength: 30 }),
      (pairs, tailGarbage, cuts) => {
        const stream = concat(
          ...pairs.flatMap(([garbage, payload]) => [garbage, encodeFrame(payload)]),
          tailGarbage,
        );
        const decoder = new FrameDecoder({ payloadMaxBytes: 300 });
        const events = chunksOf(stream, cuts).flatMap((chunk) => decoder.push(chunk));
        const garbageRuns = [...pairs.map(([garbage]) => garbage), tailGarbage].filter(
          (garbage) => garbage.length > 0,
        ).length;
        assert.deepEqual(
          payloadsOf(events),
          pairs.map(([, payload]) => payload),
        );
        assert.equal(errorCodesOf(events).length, garbageRuns);
        assert.ok(errorCodesOf(events).every((code) => code === 'garbage'));
      },
    ),
    { numRuns: 300 },
  );
  t.pass();
});

test('property: with arbitrary garbage and mutations the decoder never throws, stays bounded and only emits frames that were on the wire', (t) => {
  const payloadMaxBytes = 300;
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.nat(20) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array() }),
  );
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.uint8Array({ maxLength: 30 }), smallPayload), { maxLength: 10 }),
      fc.array(mutation, { maxLength: 8 }),
      fc.array(fc.nat(), { maxLength: 30 }),
      (pairs, mutations, cuts) => {
        let stream = concat(
          ...pairs.flatMap(([garbage, payload]) => [garbage, encodeFrame(payload)]),
        );
        for (const change of mutations) {
          const at = change.at % (stream.length + 1);
          if (change.kind === 'flip' && at < stream.length) {
            stream[at] = (stream[at] as number) ^ (1 << change.bit);
          } else if (change.kind === 'delete') {
            stream = concat(stream.subarray(0, at), stream.subarray(at + change.count));
          } else if (change.kind === 'insert') {
            stream = concat(stream.subarray(0, at), change.bytes, stream.subarray(at));
          }
        }
        const decoder = new FrameDecoder({ payloadMaxBytes });
        const events: FrameEvent[] = [];
        for (const chunk of chunksOf(stream, cuts)) {
          events.push(...decoder.push(chunk));
          assert.ok(decoder.bufferedBytes <= payloadMaxBytes + FRAME_OVERHEAD_BYTES);
        }
        for (const payload of payloadsOf(events)) {
          // Every emitted payload was a byte-exact, CRC-valid frame in the stream.
          assert.ok(indexOfBytes(stream, encodeFrame(payload, payloadMaxBytes)) >= 0);
        }
        for (const event of events) {
          if (event.kind === 'error') assert.ok(event.error instanceof FrameError);
        }
      },
    ),
    { numRuns: 300 },
  );
  t.pass();
});

test('property: after any cut frame or garbage, the good frames that follow are all recovered', (t) => {
  const payloadMaxBytes = 300;
  fc.assert(
    fc.property(
      // Garbage: the head of some frame cut anywhere, then arbitrary bytes (SYNC included).
      smallPayload,
      fc.nat(),
      fc.uint8Array({ maxLength: 40 }),
      fc.array(smallPayload, { minLength: 1, maxLength: 6 }),
      fc.array(fc.nat(), { maxLength: 30 }),
      (cutPayload, cutAt, noise, payloads, cuts) => {
        const cutFrame = encodeFrame(cutPayload, payloadMaxBytes);
        const cutLength = cutAt % cutFrame.length;
        // Trailing idle fill lets the decoder resolve any candidate still waiting for its length.
        const idleFill = new Uint8Array(payloadMaxBytes + FRAME_OVERHEAD_BYTES);
        const rest = concat(
          noise,
          ...payloads.map((payload) => encodeFrame(payload, payloadMaxBytes)),
          idleFill,
        );
        // If the bytes that follow happen to be the missing tail, the cut frame is really complete
        // on the wire (e.g. its last CRC byte is 0xA5, the next SYNC) and rightly takes that byte.
        fc.pre(
          indexOfBytes(
            rest.subarray(0, cutFrame.length - cutLength),
            cutFrame.subarray(cutLength),
          ) !== 0,
        );
        const stream = concat(cutFrame.subarray(0, cutLength), rest);
        const decoder = new FrameDecoder({ payloadMaxBytes });
        const events = chunksOf(stream, cuts).flatMap((chunk) => decoder.push(chunk));
        assert.deepEqual(payloadsOf(events).slice(-payloads.length), payloads);
      },
    ),
    { numRuns: 500 },
  );
  t.pass();
});
