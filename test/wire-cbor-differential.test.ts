/**
 * The firmware's CBOR codec (firmware/wire/cbor.ts) against cbor-x, the
 * host's reference configured as the firmware used it (helpers/cbor-x-reference.ts):
 * every encoding byte-identical, every decoding identical (-0, NaN, key order,
 * prototypes, byte strings that own their memory), every refusal the same
 * typed error. Inputs: random values, the pair's real messages (envelopes,
 * checkpoint entries, client requests and replies, the big checkpoint) from
 * runs of the ledger apps, hand-built CBOR that uses every head form, random
 * bytes, and mutations of all of these.
 *
 * One seed drives every property here. It is printed; to replay a run:
 *   CBOR_FUZZ_SEED=<seed> npx ava test/wire-cbor-differential.test.ts
 */
import assert from 'node:assert/strict';
import test from 'ava';
import fc from 'fast-check';
import type { AnyApp, CheckpointModel } from '../firmware/app.ts';
import { LEDGER_VERSIONS, ledgerWorkload } from '../firmware/apps/ledger/index.ts';
import {
  type CheckpointEntry,
  type ClientReply,
  entryToWire,
  envelopeToWire,
  type Hello,
  type PeerBody,
  type RoleName,
  type Snapshot,
} from '../firmware/runtime/messages.ts';
import { seededRandom } from '../firmware/runtime/random.ts';
import { type CborLimits, decodeCbor, encodeCbor, SlicedEncoding } from '../firmware/wire/cbor.ts';
import { CborStream } from '../firmware/wire/cbor-stream.ts';
import { MessageError, type MessageErrorCode } from '../firmware/wire/errors.ts';
import { referenceDecode, referenceEncode } from './helpers/cbor-x-reference.ts';
import { envSeed } from './helpers/env-seed.ts';

const seed = envSeed('CBOR_FUZZ_SEED');
const replay = `CBOR_FUZZ_SEED=${seed} npx ava test/wire-cbor-differential.test.ts`;

/** Limits wide enough that random values pass them: differences must then be the codec's. */
const WIDE: CborLimits = { bytesMax: 1 << 20, depthMax: 64, itemsMax: 1 << 20 };

type Outcome = { ok: true; value: unknown } | { ok: false; code: MessageErrorCode };

function outcome(run: () => unknown): Outcome {
  try {
    return { ok: true, value: run() };
  } catch (error) {
    if (error instanceof MessageError) return { ok: false, code: error.code };
    throw error; // anything but a typed refusal is a defect of either codec
  }
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

const ownsMemory = (bytes: Uint8Array): boolean =>
  bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.length;

/** Where two decoded values differ, or null: Object.is on leaves, prototypes, key order. */
function difference(a: unknown, b: unknown, path = '$'): string | null {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) {
    return Object.is(a, b) ? null : `${path}: ${String(a)} vs ${String(b)}`;
  }
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return `${path}: prototypes differ`;
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    if (ownsMemory(a) !== ownsMemory(b)) return `${path}: only one owns its memory`;
    return hex(a) === hex(b) ? null : `${path}: bytes ${hex(a)} vs ${hex(b)}`;
  }
  const keysA = Reflect.ownKeys(a);
  const keysB = Reflect.ownKeys(b);
  if (keysA.join('\u0000') !== keysB.join('\u0000')) {
    return `${path}: keys [${keysA.map(String)}] vs [${keysB.map(String)}]`;
  }
  for (const key of keysA) {
    if (typeof key === 'symbol') return `${path}: symbol key`;
    const found = difference(
      (a as Record<string, unknown>)[key],
      (b as Record<string, unknown>)[key],
      `${path}.${key}`,
    );
    if (found !== null) return found;
  }
  return null;
}

/** Decodes `bytes` both ways, as given and from inside a larger Buffer, and insists on the same result. */
function checkDecode(bytes: Uint8Array, limits: CborLimits): void {
  const host = Buffer.alloc(bytes.length + 3, 0xff);
  host.set(bytes, 2);
  for (const input of [bytes, host.subarray(2, 2 + bytes.length)]) {
    const mine = outcome(() => decodeCbor(input, limits));
    const reference = outcome(() => referenceDecode(input, limits));
    const where = `decoding ${hex(bytes)}`;
    if (reference.ok) {
      assert.ok(
        mine.ok,
        `${where}: cbor-x reads it, the firmware refuses it (${!mine.ok && mine.code})`,
      );
      const found = difference(mine.value, reference.value);
      assert.equal(found, null, `${where}: ${found}`);
    } else {
      assert.deepEqual(mine, reference, `${where}: refusals differ`);
      assert.deepEqual(
        reasonOf(() => decodeCbor(input, limits)),
        reasonOf(() => referenceDecode(input, limits)),
        `${where}: the refusals' reasons differ`,
      );
    }
  }
}

/** The typed reason of a run's refusal. */
function reasonOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    if (error instanceof MessageError) return error.why;
  }
  return null;
}

/** Encodes `value` both ways and insists on the same bytes or the same refusal; then decodes them. */
function checkEncode(value: unknown, limits: CborLimits): Uint8Array | null {
  const mine = outcome(() => encodeCbor(value, limits));
  const reference = outcome(() => referenceEncode(value, limits));
  if (!reference.ok) {
    assert.deepEqual(mine, reference, 'refusals differ');
    return null;
  }
  assert.ok(mine.ok, `cbor-x writes it, the firmware refuses it (${!mine.ok && mine.code})`);
  const bytes = mine.value as Uint8Array;
  const expected = reference.value as Uint8Array;
  assert.equal(hex(bytes), hex(expected), 'encodings differ');
  assert.equal(bytes.constructor, Uint8Array);
  assert.equal(bytes.buffer.byteLength, bytes.length, 'the encoding is a compact copy');
  checkDecode(bytes, limits);
  return bytes;
}

// ---- random values ------------------------------------------------------

/** Every head width and the integer/float boundaries cbor-x draws. */
const boundaryNumber = fc.oneof(
  fc.constantFrom(0, -0, 1, 23, 24, 255, 256, 65_535, 65_536, -1, -24, -25, -256, -257),
  fc.constantFrom(-65_536, -65_537, 0.5, -1.5, 0.1, 1e12, Number.MAX_SAFE_INTEGER),
  fc.constantFrom(Number.MIN_VALUE, Number.MAX_VALUE, Number.NaN, Infinity, -Infinity),
  fc
    .tuple(
      fc.constantFrom(2 ** 31, 2 ** 32, -(2 ** 31), -(2 ** 32), 2 ** 53, -(2 ** 53)),
      fc.integer({ min: -3, max: 3 }),
    )
    .map(([base, offset]) => base + offset),
);
const anyNumber = fc.oneof(boundaryNumber, fc.integer(), fc.maxSafeInteger(), fc.double());

const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit));
const surrogateZone = fc
  .integer({ min: 0xd7f0, max: 0xe010 })
  .map((unit) => String.fromCharCode(unit));
/** cbor-x writes lone surrogates differently below and above 64 code units: both sides. */
const anyText = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: surrogateZone, maxLength: 80 }),
  fc.string({ unit: anyUnit, minLength: 58, maxLength: 70 }),
  fc.string({ unit: fc.oneof(anyUnit, surrogateZone), maxLength: 300 }),
);
const anyKey = fc.oneof(
  anyText,
  fc.constantFrom('__proto__', 'constructor', 'toString', '0', '1', '10', '-1', ''),
);

const anyBytes = fc.oneof(
  fc.uint8Array({ maxLength: 40 }),
  fc.uint8Array({ minLength: 250, maxLength: 300 }),
  fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes)),
  // A view into a larger buffer: only its own bytes are written.
  fc.uint8Array({ maxLength: 40 }).map((bytes) => {
    const larger = new Uint8Array(bytes.length + 6).fill(0xee);
    larger.set(bytes, 3);
    return larger.subarray(3, 3 + bytes.length);
  }),
  fc.uint8Array({ maxLength: 40 }).map((bytes) => bytes.slice().buffer),
);

class Point {
  x = 1;
  y = 'two';
}
class Bytes extends Uint8Array {}
class List extends Array<unknown> {}

/** Values outside what messages carry, and odd objects cbor-x has rules for. */
const oddValue = fc.constantFrom<() => unknown>(
  () => new Map([['a', 1]]),
  () => new Set([1]),
  () => new Date(0),
  () => /x/g,
  () => new Error('e'),
  () => new TypeError('t'),
  () => 10n,
  () => 2n ** 70n,
  () => new Uint16Array(2),
  () => new Int8Array(1),
  () => new Float64Array(1),
  () => new Uint8ClampedArray(1),
  () => new DataView(new ArrayBuffer(2)),
  () => () => 1,
  () => Symbol('s'),
  () => new Point(),
  () => Bytes.of(1, 2),
  () => List.of(1),
  () => new String('ab'),
  () => (function* () {})(),
  () => new Blob(['x']),
  () => ({ constructor: Array, length: 2, 0: 'a' }),
  () => ({ constructor: Map }),
  () => ({ constructor: 'not a function' }),
  // cbor-x goes by the constructor property: these claim Array's and Map's, unseen by Object.keys.
  () => Object.defineProperty({ 0: 'a', length: 1 }, 'constructor', { value: Array }),
  () => Object.defineProperty({ a: 1 }, 'constructor', { value: Map }),
  () => Object.assign(Object.create(null), { a: 1 }),
  () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = { back: cyclic };
    return cyclic;
  },
);

const anyValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.constant(undefined),
    fc.boolean(),
    anyNumber,
    anyText,
    anyBytes,
    fc.array(tie('value'), { maxLength: 6 }),
    fc.sparseArray(tie('value'), { maxLength: 6 }),
    fc.dictionary(anyKey, tie('value'), { maxKeys: 6 }),
    oddValue.map((make) => make()),
  ),
})).value;

const smallLimits = fc.record({
  bytesMax: fc.integer({ min: 0, max: 400 }),
  depthMax: fc.integer({ min: 0, max: 6 }),
  itemsMax: fc.integer({ min: 0, max: 60 }),
});

test('random values encode byte for byte as cbor-x, or are refused with the same code', (t) => {
  t.log(`seed ${seed} (replay: ${replay})`);
  fc.assert(
    fc.property(anyValue, (value) => {
      checkEncode(value, WIDE);
    }),
    { seed, numRuns: 4000 },
  );
  t.pass();
});

test('random values against small limits: the same refusals as cbor-x', (t) => {
  t.log(`seed ${seed}`);
  fc.assert(
    fc.property(
      fc.letrec((tie) => ({
        value: fc.oneof(
          { depthSize: 'small' },
          fc.constant(null),
          anyNumber,
          fc.string({ maxLength: 30 }),
          fc.uint8Array({ maxLength: 30 }),
          fc.array(tie('value'), { maxLength: 8 }),
          fc.dictionary(fc.string({ maxLength: 6 }), tie('value'), { maxKeys: 8 }),
        ),
      })).value,
      smallLimits,
      (value, limits) => {
        checkEncode(value, limits);
      },
    ),
    { seed, numRuns: 2000 },
  );
  t.pass();
});

/**
 * `value` encoded a slice of `slice` bytes at a time, with `between`
 * encoded whole after every slice (as a board sends frames between two
 * slices of the big checkpoint): the slices joined are encodeCbor's bytes,
 * or its refusal.
 */
function checkSliced(value: unknown, limits: CborLimits, slice: number, between: unknown): void {
  const whole = outcome(() => encodeCbor(value, limits));
  const betweenBytes = outcome(() => encodeCbor(between, WIDE));
  const sliced = outcome(() => {
    const encoding = new SlicedEncoding(value, limits, 8);
    const pieces: number[] = [];
    while (!encoding.done) {
      // A slice is valid until the next step: copied out.
      pieces.push(...encoding.step(slice));
      assert.equal(encoding.written, pieces.length);
      // The shared area in between gives the same bytes as without a paused encoding.
      assert.deepEqual(
        outcome(() => encodeCbor(between, WIDE)),
        betweenBytes,
      );
    }
    return Uint8Array.from(pieces);
  });
  assert.deepEqual(sliced, whole);
}

test('values encoded a slice at a time, other messages between the slices: the same bytes or refusal', (t) => {
  t.log(`seed ${seed}`);
  fc.assert(
    fc.property(
      anyValue,
      fc.option(smallLimits, { nil: WIDE }),
      fc.integer({ min: 1, max: 64 }),
      anyValue,
      (value, limits, slice, between) => {
        checkSliced(value, limits, slice, between);
      },
    ),
    { seed, numRuns: 2000 },
  );
  t.pass();
});

test('a slice writes about the bytes asked for, no more than an item beyond', (t) => {
  const value = { accounts: Array.from({ length: 1000 }, (_, i) => [`a${i}`, i * 1000]) };
  const whole = encodeCbor(value, WIDE);
  const encoding = new SlicedEncoding(value, WIDE);
  const slices: number[] = [];
  const joined: number[] = [];
  while (!encoding.done) {
    const slice = encoding.step(100);
    slices.push(slice.length);
    joined.push(...slice);
  }
  t.deepEqual(Uint8Array.from(joined), whole);
  // An item here is at most 12 bytes (a pair's heads, a key, a 4-byte integer).
  t.true(
    slices.slice(0, -1).every((bytes) => bytes >= 100 && bytes < 112),
    `slices of ${slices.join(', ')} bytes`,
  );
});

// ---- the pair's messages ------------------------------------------------

interface LedgerRun {
  readonly version: keyof typeof LEDGER_VERSIONS;
  readonly model: CheckpointModel;
  readonly workloadSeed: number;
  readonly requests: number;
  readonly accounts: number;
}

/** Runs a ledger app as a primary would, and returns the messages it would send. */
function ledgerMessages(run: LedgerRun): unknown[] {
  const app: AnyApp = LEDGER_VERSIONS[run.version](run.model);
  const random = seededRandom(run.workloadSeed);
  const next = ledgerWorkload(random, run.accounts, { includeV2Ops: run.version === '2.0.0' });
  const hello: Hello = {
    app: app.name,
    version: app.version,
    stateVersion: app.stateVersion,
    model: run.model,
    priorStateVersion: app.converters?.priorStateVersion ?? -1,
    testMode: random() < 0.5,
    otherVersion: random() < 0.5 ? '' : '1.0.0',
  };
  let state = app.init();
  const entries: CheckpointEntry[] = [];
  const messages: unknown[] = [];
  const cache: Array<[string, Array<[number, unknown]>, number[]]> = [];
  for (let txn = 1; txn <= run.requests; txn++) {
    const clientId = `c${txn % 5}-${run.workloadSeed.toString(36)}`;
    const body = next();
    messages.push({ clientId, syncId: txn, body });
    const nowMs = Math.floor(random() * 1e9) + random();
    const handlerSeed = Math.floor(random() * 2 ** 32);
    const request = app.parseRequest(body);
    const { update, reply } = app.handle(state, request, {
      nowMs,
      random: seededRandom(handlerSeed),
    });
    state = app.apply(state, update);
    entries.push(
      run.model === 'state'
        ? { txn, clientId, syncId: txn, update, reply }
        : { txn, clientId, syncId: txn, request, nowMs, seed: handlerSeed },
    );
    const answer: ClientReply = { clientId, syncId: txn, ok: true, reply, txn };
    messages.push(answer);
    cache.push([clientId, [[txn, reply]], [txn - 1, txn]]);
  }
  messages.push({ clientId: 'c9', syncId: 3, ok: false, error: 'busy', message: 'backup silent' });
  const snapshot: Snapshot = {
    stateVersion: app.stateVersion,
    state,
    txn: run.requests,
    term: 3,
    cache,
  };
  messages.push(snapshot);
  const roles: RoleName[] = ['booting', 'joining', 'backup', 'primary', 'primary-alone'];
  const bodies: PeerBody[] = [
    { k: 'join', hello },
    { k: 'ckpt', entries },
    { k: 'snap', id: 7, index: 0, count: 2, data: Uint8Array.of(0xa1, 0x61, 0x61, 0x01) },
    { k: 'stop', boot: 'other-test', why: { code: 'switch-to', version: '2.0.0' } },
    {
      k: 'held',
      requests: entries.map((e) => ({
        clientId: e.clientId,
        syncId: e.syncId,
        body: e.request ?? e.update,
        arrivedMs: e.txn * 1.5,
      })),
    },
    { k: 'role-switch' },
    { k: 'roles-taken' },
    { k: 'confirm' },
    {
      k: 'reject',
      why: { code: 'no-converter', ours: 1, version: '1.0.0', theirs: 9, partner: '9.0.0' },
    },
    { k: 'dropped', why: { code: 'entry-failed', txn: 3, error: 'apply failed' } },
  ];
  bodies.forEach((body, index) => {
    messages.push(
      envelopeToWire({
        from: { p: index % 2 === 0 ? 1 : 2, inc: 1 + index * 977 },
        toInc: index * 65_537,
        ack: index * 300,
        st: { role: roles[index % roles.length] as RoleName, term: index, backupInc: 0 },
        hears: index % 4,
        ...(index % 3 === 0 ? { hello } : {}),
        seg: { seq: index + 1, body },
      }),
    );
  });
  messages.push(
    envelopeToWire({
      from: { p: 2, inc: 2 ** 32 - 1 },
      toInc: 0,
      ack: 0,
      st: { role: 'stopped', term: 0, backupInc: 0 },
      hears: 3,
    }),
  );
  messages.push(...entries.map(entryToWire));
  return messages;
}

const ledgerRun = fc.record<LedgerRun>({
  version: fc.constantFrom('1.0.0', '2.0.0'),
  model: fc.constantFrom('state', 'replay'),
  workloadSeed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  requests: fc.integer({ min: 0, max: 40 }),
  accounts: fc.integer({ min: 1, max: 12 }),
});

test("the pair's messages from ledger runs encode and decode exactly as with cbor-x", (t) => {
  t.log(`seed ${seed}`);
  let checked = 0;
  fc.assert(
    fc.property(ledgerRun, (run) => {
      for (const message of ledgerMessages(run)) {
        assert.ok(checkEncode(message, WIDE) !== null, 'a real message must encode');
        checked++;
      }
    }),
    { seed, numRuns: 150 },
  );
  t.log(`${checked} messages`);
  t.true(checked > 1000);
});

// ---- decoding: hand-built CBOR, random bytes and mutations ---------------

/** A head with `argument` in the given width (0: in the initial byte), minimal or not. */
function head(major: number, argument: number, width: 0 | 1 | 2 | 4 | 8): number[] {
  const bytes: number[] = [];
  for (let shift = width - 1; shift >= 0; shift--) {
    bytes.push(Math.floor(argument / 2 ** (8 * shift)) % 256);
  }
  const info = width === 0 ? argument : 23 + Math.log2(width) + 1;
  return [(major << 5) | info, ...bytes];
}

/** Widths an argument fits in: the minimal one most often, 8 bytes (refused by the pre-scan) rarely. */
function widthFor(argument: number): fc.Arbitrary<0 | 1 | 2 | 4 | 8> {
  const fits = ([0, 1, 2, 4] as const).filter((width) =>
    width === 0 ? argument < 24 : argument < 2 ** (8 * width),
  );
  return fc.oneof(
    { arbitrary: fc.constant(fits[0] as 0 | 1 | 2 | 4), weight: 8 },
    { arbitrary: fc.constantFrom(...fits), weight: 3 },
    { arbitrary: fc.constant(8 as const), weight: 1 },
  );
}

/** CBOR items built byte by byte: every head width, float16/32/64, ill-formed UTF-8, repeated keys. */
const cborItem: fc.Arbitrary<number[]> = fc.letrec<{ item: number[]; key: number[] }>((tie) => ({
  key: fc.oneof(
    fc.constantFrom('a', 'b', '1', '0', 'constructor', '__proto_', 'x').map((key) => {
      const utf8 = [...Buffer.from(key)];
      return [...head(3, utf8.length, 0), ...utf8];
    }),
    tie('item').filter((item) => (item[0] as number) >> 5 === 3),
  ),
  item: fc.oneof(
    { depthSize: 'small' },
    fc
      .tuple(fc.constantFrom(0, 1), fc.oneof(fc.integer({ min: 0, max: 30 }), fc.nat()))
      .chain(([major, value]) => widthFor(value).map((width) => head(major, value, width))),
    fc
      .tuple(fc.constantFrom(2, 3), fc.uint8Array({ maxLength: 20 }))
      .chain(([major, bytes]) =>
        widthFor(bytes.length).map((width) => [...head(major, bytes.length, width), ...bytes]),
      ),
    // Text that is almost UTF-8: valid sequences cut, surrogates, overlongs, stray tails.
    fc
      .array(
        fc.constantFrom(
          [0x41],
          [0xc3, 0xa9],
          [0xe2, 0x82, 0xac],
          [0xf0, 0x9d, 0x84, 0x9e],
          [0xed, 0xa0, 0x80],
          [0xc0, 0xaf],
          [0xe0, 0x80, 0xaf],
          [0xf4, 0x90, 0x80, 0x80],
          [0xf0, 0x8f, 0xbf, 0xbf],
          [0xe0, 0x9f, 0xbf],
          [0xf4, 0x8f, 0xbf, 0xbf],
          [0x80],
          [0xff],
          [0xe2, 0x82],
          [0xf0, 0x9d],
        ),
        { maxLength: 30 },
      )
      .map((parts) => {
        const bytes = parts.flat();
        return [...head(3, bytes.length, bytes.length < 24 ? 0 : 1), ...bytes];
      }),
    // Bytes UTF-8 gives meaning to, in any order.
    fc
      .array(fc.constantFrom(0x41, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xdf), {
        maxLength: 30,
      })
      .chain((bytes) =>
        fc
          .array(fc.constantFrom(0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff), { maxLength: 6 })
          .map((leads) => {
            const mixed: number[] = [...bytes];
            for (const [index, lead] of leads.entries()) mixed.splice(index * 5, 0, lead);
            return [...head(3, mixed.length, mixed.length < 24 ? 0 : 1), ...mixed];
          }),
      ),
    fc.constantFrom(0xf4, 0xf5, 0xf6, 0xf7).map((simple) => [simple]),
    fc.uint8Array({ minLength: 2, maxLength: 2 }).map((bits) => [0xf9, ...bits]),
    fc.uint8Array({ minLength: 4, maxLength: 4 }).map((bits) => [0xfa, ...bits]),
    fc.uint8Array({ minLength: 8, maxLength: 8 }).map((bits) => [0xfb, ...bits]),
    fc
      .array(tie('item'), { maxLength: 5 })
      .chain((items) =>
        widthFor(items.length).map((width) => [...head(4, items.length, width), ...items.flat()]),
      ),
    fc
      .array(fc.tuple(tie('key'), tie('item')), { maxLength: 5 })
      .chain((entries) =>
        widthFor(entries.length).map((width) => [
          ...head(5, entries.length, width),
          ...entries.flat(2),
        ]),
      ),
  ),
})).item;

const mutation = fc.record({
  at: fc.nat(),
  byte: fc.nat(255),
  kind: fc.constantFrom('set', 'insert', 'delete', 'truncate'),
});

function mutate(
  bytes: readonly number[],
  mutations: ReadonlyArray<{ at: number; byte: number; kind: string }>,
): Uint8Array {
  const out = [...bytes];
  for (const { at, byte, kind } of mutations) {
    const index = out.length === 0 ? 0 : at % out.length;
    if (kind === 'set' && out.length > 0) out[index] = byte;
    if (kind === 'insert') out.splice(index, 0, byte);
    if (kind === 'delete') out.splice(index, 1);
    if (kind === 'truncate') out.length = index;
  }
  return Uint8Array.from(out);
}

test('hand-built CBOR decodes exactly as with cbor-x', (t) => {
  t.log(`seed ${seed}`);
  let read = 0;
  fc.assert(
    fc.property(cborItem, (item) => {
      const bytes = Uint8Array.from(item);
      checkDecode(bytes, WIDE);
      if (outcome(() => decodeCbor(bytes, WIDE)).ok) read++;
    }),
    { seed, numRuns: 4000 },
  );
  t.log(`${read} of 4000 read (the rest refused by the pre-scan, as they must be)`);
  t.true(read > 2000);
});

/** Messages to mutate or cut: hand-built CBOR, random values and the pair's real messages, encoded by cbor-x. */
const messageBytes = fc.oneof(
  cborItem,
  anyValue.map((value) => {
    const encoded = outcome(() => referenceEncode(value, WIDE));
    return encoded.ok ? [...(encoded.value as Uint8Array)] : [0xa0];
  }),
  ledgerRun
    .map((run) => ({ ...run, requests: Math.min(run.requests, 6) }))
    .chain((run) => fc.constantFrom(...ledgerMessages(run)))
    .map((message) => [...referenceEncode(message, WIDE)]),
);

test('mutated CBOR and random bytes: the same value or the same refusal as cbor-x', (t) => {
  t.log(`seed ${seed}`);
  const source = messageBytes;
  fc.assert(
    fc.property(
      source,
      fc.array(mutation, { minLength: 1, maxLength: 4 }),
      fc.oneof(fc.constant(WIDE), smallLimits),
      (bytes, mutations, limits) => {
        checkDecode(mutate(bytes, mutations), limits);
      },
    ),
    { seed, numRuns: 4000 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 60 }), (bytes) => checkDecode(bytes, WIDE)),
    { seed, numRuns: 4000 },
  );
  t.pass();
});

// ---- decoding in pieces (cbor-stream.ts) ---------------------------------

/**
 * Decodes `bytes` with CborStream in pieces cut at `cuts` (offsets into the
 * message, in any order), and insists on decodeCbor's value where it reads
 * the message and on a refusal where it refuses it.
 */
function checkStream(bytes: Uint8Array, limits: CborLimits, cuts: readonly number[]): void {
  const whole = outcome(() => decodeCbor(bytes, limits));
  const stream = new CborStream(limits);
  const ends = [...new Set(cuts.map((cut) => cut % (bytes.length + 1))), bytes.length];
  ends.sort((a, b) => a - b);
  let from = 0;
  for (const end of ends) {
    stream.push(bytes.subarray(from, end));
    from = end;
  }
  const pieces = outcome(() => stream.finish());
  const where = `decoding ${hex(bytes)} cut at ${ends}`;
  if (whole.ok) {
    assert.ok(
      pieces.ok,
      `${where}: decodeCbor reads it, in pieces it is refused (${!pieces.ok && pieces.code})`,
    );
    const found = difference(pieces.value, whole.value);
    assert.equal(found, null, `${where}: ${found}`);
  } else {
    assert.ok(!pieces.ok, `${where}: decodeCbor refuses it (${whole.code}), in pieces it is read`);
  }
}

/** Cuts: a few anywhere, or one after every byte. */
const cuts = fc.oneof(
  { arbitrary: fc.array(fc.nat(), { maxLength: 8 }), weight: 4 },
  { arbitrary: fc.constant(Array.from({ length: 400 }, (_, index) => index)), weight: 1 },
);

test('CBOR read in pieces cut anywhere: the value decodeCbor gives, or a refusal where it refuses', (t) => {
  t.log(`seed ${seed}`);
  const source = fc.oneof(
    messageBytes,
    messageBytes.chain((bytes) =>
      fc.array(mutation, { minLength: 1, maxLength: 4 }).map((m) => [...mutate(bytes, m)]),
    ),
    fc.uint8Array({ maxLength: 60 }).map((bytes) => [...bytes]),
  );
  fc.assert(
    fc.property(source, cuts, fc.oneof(fc.constant(WIDE), smallLimits), (bytes, at, limits) => {
      checkStream(Uint8Array.from(bytes), limits, at);
    }),
    { seed, numRuns: 6000 },
  );
  // Long strings, long arrays and wide maps, cut every 7 bytes: strings gathered across many pieces.
  for (const value of [
    'é'.repeat(40_000),
    new Uint8Array(70_000).map((_, index) => index),
    Array.from({ length: 5_000 }, (_, index) => index * 1_000),
    Object.fromEntries(Array.from({ length: 300 }, (_, index) => [`key-${index}`, `v${index}`])),
  ]) {
    const bytes = encodeCbor(value, WIDE);
    checkStream(
      bytes,
      WIDE,
      Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) => i * 7),
    );
  }
  t.pass();
});

test('a stream refuses what is refused whole, and nothing is read after a refusal', (t) => {
  const limits: CborLimits = { bytesMax: 64, depthMax: 2, itemsMax: 10 };
  const codeOf = (...pieces: number[][]) => {
    const stream = new CborStream(limits);
    for (const piece of pieces) stream.push(Uint8Array.from(piece));
    return outcome(() => stream.finish());
  };
  t.deepEqual(codeOf(), { ok: false, code: 'malformed' });
  t.deepEqual(codeOf([0x82, 0x01]), { ok: false, code: 'malformed' });
  t.deepEqual(codeOf([0x01], [0x01]), { ok: false, code: 'trailing-bytes' });
  t.deepEqual(codeOf([0x81, 0x81], [0x81, 0x01]), { ok: false, code: 'too-deep' });
  t.deepEqual(codeOf([0x8b]), { ok: false, code: 'too-many-items' });
  // A byte string of 70 bytes: the message passes 64 bytes in its second piece.
  t.deepEqual(codeOf([0x58, 70, ...new Array(30).fill(0)], new Array(40).fill(0)), {
    ok: false,
    code: 'too-large',
  });
  t.deepEqual(codeOf([0xa1, 0x69, ...Buffer.from('__pro')], [...Buffer.from('to__'), 0x01]), {
    ok: false,
    code: 'unsupported',
  });
  // A head cut after its first byte, a float cut in the middle.
  t.deepEqual(codeOf([0x19], [0x01, 0x00]), { ok: true, value: 256 });
  t.deepEqual(codeOf([0x82, 0xfb, 0x3f, 0xf8], [0, 0, 0, 0, 0, 0, 0x01]), {
    ok: true,
    value: [1.5, 1],
  });
});

// ---- fixed cases: what the properties rely on finding -------------------

test('boundary cases the random runs may miss', (t) => {
  const long = 'é'.repeat(40_000); // 80,000 bytes: a 5-byte string head
  const lone = '\ud800';
  for (const value of [
    long,
    `${lone}${'a'.repeat(62)}`, // 63 units: the surrogate keeps its bytes
    `${lone}${'a'.repeat(63)}`, // 64 units: replaced by U+FFFD
    `${'a'.repeat(62)}\ud83d`, // a high surrogate at the end
    new Uint8Array(70_000),
    Array.from({ length: 70_000 }, (_, index) => index),
    Object.fromEntries(Array.from({ length: 300 }, (_, index) => [`k${index}`, index])),
    [-0, Number.NaN, 2 ** 32, -(2 ** 32), -(2 ** 32) - 1, 2 ** 32 - 1, 2 ** 31],
    { a: undefined, b: [undefined, null] },
    new Array(3),
  ]) {
    t.not(checkEncode(value, WIDE), null);
  }
  // Float16 corners, 8-byte lengths, non-minimal integers, -0 as a float.
  for (const input of [
    'f90000',
    'f98000',
    'f97c00',
    'fc',
    'f9fc00',
    'f97e00',
    'f90001',
    'f903ff',
    'f97bff',
    'fa80000000',
    'fb8000000000000000',
    '5b0000000000000002aabb',
    '9b000000000000000101',
    '1818',
    '1a00000005',
    '3a7fffffff',
    '3affffffff',
    'a2616101616102',
  ]) {
    checkDecode(Uint8Array.from(Buffer.from(input, 'hex')), WIDE);
  }
  t.pass();
});
