/**
 * The engine's side of the XS board's channel writes and reads CBOR with a
 * codec of its own (boards/xs/engine/channel-codec.ts) instead of the
 * firmware's, which cost the engine 20 KB of XS heap. It must write what the
 * firmware codec writes, byte for byte, and read what it writes, for the
 * values the channel carries; and it must cost the engine far less.
 *
 * The seed is printed; to replay a run:
 *   CHANNEL_CODEC_SEED=<seed> npx ava test/xs-channel-codec.test.ts
 */
import assert from 'node:assert/strict';
import test from 'ava';
import fc from 'fast-check';
import { readChannel, writeChannel } from '../boards/xs/engine/channel-codec.ts';
import { engineScript } from '../boards/xs/engine-script.ts';
import { findXsnap } from '../boards/xs/xsnap-cache.ts';
import { type XsMeter, XsnapProcess } from '../boards/xs/xsnap-process.ts';
import { decodeCbor, encodeCbor } from '../firmware/wire/cbor.ts';

const given = process.env.CHANNEL_CODEC_SEED;
const seed = given === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(given);
const WIDE = { bytesMax: 1 << 22, depthMax: 32, itemsMax: 1 << 20 };
const xs = findXsnap();

const text = fc.oneof(
  // A lone surrogate keeps its bytes below 64 code units and becomes U+FFFD from 64.
  fc.constantFrom(`\ud800${'a'.repeat(62)}`, `\ud800${'a'.repeat(63)}`),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({
    unit: fc.integer({ min: 0xd7f0, max: 0xe010 }).map((u) => String.fromCharCode(u)),
    maxLength: 80,
  }),
);
const number = fc.oneof(
  fc.constantFrom(
    0,
    -0,
    23,
    24,
    255,
    256,
    65_535,
    65_536,
    2 ** 32 - 1,
    2 ** 32,
    -1,
    -(2 ** 32),
    -(2 ** 32) - 1,
  ),
  fc.constantFrom(Number.NaN, Infinity, -Infinity, 0.5, Number.MAX_SAFE_INTEGER),
  fc.integer(),
  fc.double(),
);
/** What crosses the channel: plain data (commands, IO calls, statuses, app states, store pieces). */
const channelValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(null, undefined, true, false),
    number,
    text,
    fc.uint8Array({ maxLength: 600 }),
    fc.array(tie('value'), { maxLength: 6 }),
    fc.dictionary(
      text.filter((key) => key !== '__proto__'),
      tie('value'),
      { maxKeys: 6 },
    ),
  ),
})).value;

test(`the engine writes what the firmware codec writes, and reads what it writes (seed ${seed})`, (t) => {
  t.log(`replay: CHANNEL_CODEC_SEED=${seed} npx ava test/xs-channel-codec.test.ts`);
  fc.assert(
    fc.property(channelValue, (value) => {
      const firmware = encodeCbor(value, WIDE);
      const engine = new Uint8Array(writeChannel(value));
      assert.equal(Buffer.from(engine).toString('hex'), Buffer.from(firmware).toString('hex'));
      assert.deepEqual(readChannel(firmware.slice().buffer), decodeCbor(firmware, WIDE));
    }),
    { seed, numRuns: 3000 },
  );
  t.pass();
});

test("the engine's side of a board costs a fraction of what it did in XS's heap", (t) => {
  if (!xs.available) {
    t.log(`skipped: ${xs.reason}`);
    t.pass();
    return;
  }
  const worker = new XsnapProcess(xs.path, () => {});
  t.teardown(() => worker.close());
  const live = (meter: XsMeter) => meter.chunks + meter.currentHeapCount * meter.slotBytes;
  const before = live(worker.evaluate('gc()'));
  worker.runInPlace(engineScript());
  const cost = live(worker.evaluate('gc()')) - before;
  t.log(`the engine script holds ${cost} bytes once loaded`);
  // With the firmware codec it held 25,296 bytes, 20,016 of them the codec's.
  t.true(cost < 12 * 1024, `${cost} bytes`);
});
