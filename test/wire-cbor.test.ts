import assert from 'node:assert/strict';
import test from 'ava';
import fc from 'fast-check';
import { errorText } from '../firmware/reasons.ts';
import {
  DEFAULT_CBOR_LIMITS,
  decodeCbor,
  encodeCbor,
  encodedLength,
} from '../firmware/wire/cbor.ts';
import { MessageError, type MessageErrorCode } from '../firmware/wire/errors.ts';
import { referenceEncode } from './helpers/cbor-x-reference.ts';

const hex = (text: string): Uint8Array =>
  Uint8Array.from(text.match(/../g) ?? [], (pair) => Number.parseInt(pair, 16));

const codeOf = (run: () => unknown): MessageErrorCode | 'no-error' => {
  try {
    run();
    return 'no-error';
  } catch (error) {
    if (error instanceof MessageError) return error.code;
    throw error;
  }
};

test('messages round-trip: objects, arrays, strings, numbers, booleans, null, undefined, bytes', (t) => {
  const message = {
    kind: 'checkpoint',
    seq: 42,
    negative: -7,
    big: 2 ** 40,
    ratio: 0.1,
    ok: true,
    nothing: null,
    missing: undefined,
    list: [1, 'two', [3, { four: 4 }], undefined],
    blob: Uint8Array.of(0, 1, 2, 255),
    text: 'héllo ✓ 𝄞',
  };
  t.deepEqual(decodeCbor(encodeCbor(message)), message);
});

test('decoded maps are plain objects and keep keys whose value is undefined', (t) => {
  const decoded = decodeCbor(encodeCbor({ a: { b: 1 }, x: undefined })) as Record<string, unknown>;
  t.is(Object.getPrototypeOf(decoded), Object.prototype);
  t.is(Object.getPrototypeOf(decoded.a), Object.prototype);
  t.true('x' in decoded);
});

test('Uint8Array travels as an untagged CBOR byte string and comes back as a copy', (t) => {
  const encoded = encodeCbor(Uint8Array.of(7, 8, 9));
  t.deepEqual(encoded, hex('43070809'));
  t.is(encoded.constructor, Uint8Array);
  const decoded = decodeCbor(encoded) as Uint8Array;
  t.is(decoded.constructor, Uint8Array);
  encoded[1] = 0;
  t.deepEqual(decoded, Uint8Array.of(7, 8, 9));
});

test('decodeCbor reads a message inside a larger buffer', (t) => {
  const buffer = new Uint8Array(16);
  buffer.set(hex('820142aabb'), 5);
  t.deepEqual(decodeCbor(buffer.subarray(5, 10)), [1, Uint8Array.of(0xaa, 0xbb)]);
});

test('-0 is written as integer 0 and class instances come back as plain objects', (t) => {
  t.is(decodeCbor(encodeCbor(-0)), 0);
  class Point {
    x = 1;
    y = 2;
  }
  const decoded = decodeCbor(encodeCbor(new Point()));
  t.deepEqual(decoded, { x: 1, y: 2 });
  t.is(Object.getPrototypeOf(decoded), Object.prototype);
});

test('encodeCbor refuses values cbor-x can only write with tags, and unencodable values', (t) => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  for (const value of [
    new Map([['a', 1]]),
    new Set([1]),
    new Date(0),
    new Uint16Array(2),
    new Float64Array(1),
    2n ** 70n,
    10n,
    () => 1,
    Symbol('s'),
    cyclic,
  ]) {
    t.is(
      codeOf(() => encodeCbor(value)),
      'unsupported',
    );
  }
});

test('a cyclic value is refused as cyclic, whatever its depth limit', (t) => {
  const cyclic: Record<string, unknown> = { a: [1] };
  (cyclic.a as unknown[]).push({ back: cyclic });
  const error = t.throws(() => encodeCbor(cyclic, { ...DEFAULT_CBOR_LIMITS, depthMax: 1_000 }), {
    instanceOf: MessageError,
  });
  t.is(error?.code, 'unsupported');
  t.regex(error?.message ?? '', /cyclic/);
});

test('a getter that encodes while a value is being encoded is refused, and encoding goes on working', (t) => {
  const sneaky = {
    get inner() {
      return encodeCbor({ other: 1 });
    },
  };
  t.is(
    codeOf(() => encodeCbor(sneaky)),
    'unsupported',
  );
  t.deepEqual(encodeCbor({ a: 1 }), hex('a1616101'));
});

test('a value refused inside open arrays and maps leaves nothing open for the next message', (t) => {
  // Refused with the outer array and map still open: the next message must not continue them.
  const shared = { a: 1 };
  t.is(
    codeOf(() => encodeCbor([shared, { inner: [() => 1, 'after'], more: 2 }, 'tail'])),
    'unsupported',
  );
  t.deepEqual(encodeCbor({ x: 1 }), hex('a1617801'));
  t.deepEqual(encodeCbor([shared]), hex('81a1616101'));
  t.is(encodedLength([shared]), 5);
});

test('encodeCbor refuses a message the peer would refuse as too large', (t) => {
  const big = new Uint8Array(DEFAULT_CBOR_LIMITS.bytesMax);
  t.is(
    codeOf(() => encodeCbor(big)),
    'too-large',
  );
  t.is(encodeCbor(big, { ...DEFAULT_CBOR_LIMITS, bytesMax: 10_000 }).length, 4099);
});

test('a tiny input declaring a 2^32-element array is refused at once', (t) => {
  const started = performance.now();
  t.is(
    codeOf(() => decodeCbor(hex('9b0000000100000000'))),
    'malformed',
  );
  t.is(
    codeOf(() => decodeCbor(hex('9affffffff'))),
    'malformed',
  );
  t.is(
    codeOf(() => decodeCbor(hex('bbffffffffffffffff'))),
    'malformed',
  );
  t.is(
    codeOf(() => decodeCbor(hex('7a7fffffff'))),
    'malformed',
  );
  t.true(performance.now() - started < 200);
});

test('nested arrays 1000 deep are refused as too deep', (t) => {
  const started = performance.now();
  const deep = new Uint8Array(1001).fill(0x81);
  deep[1000] = 0;
  t.is(
    codeOf(() => decodeCbor(deep)),
    'too-deep',
  );
  t.true(performance.now() - started < 200);
});

test('nesting up to depthMax is accepted, one more is refused', (t) => {
  const nested = (depth: number): Uint8Array => {
    const bytes = new Uint8Array(depth + 1).fill(0x81);
    bytes[depth] = 0;
    return bytes;
  };
  t.notThrows(() => decodeCbor(nested(DEFAULT_CBOR_LIMITS.depthMax)));
  t.is(
    codeOf(() => decodeCbor(nested(DEFAULT_CBOR_LIMITS.depthMax + 1))),
    'too-deep',
  );
});

test('the item limit counts every element, key and value', (t) => {
  const limits = { bytesMax: 100_000, depthMax: 16, itemsMax: 100 };
  // An array of 99 zeros is 100 items with the array itself.
  const array = (count: number): Uint8Array =>
    Uint8Array.from([0x98, count, ...new Array<number>(count).fill(0)]);
  t.notThrows(() => decodeCbor(array(99), limits));
  t.is(
    codeOf(() => decodeCbor(array(100), limits)),
    'too-many-items',
  );
});

test('messages above bytesMax are refused as too large', (t) => {
  t.is(
    codeOf(() => decodeCbor(new Uint8Array(DEFAULT_CBOR_LIMITS.bytesMax + 1))),
    'too-large',
  );
});

test('bytes after the single top-level item are refused', (t) => {
  t.is(
    codeOf(() => decodeCbor(hex('0102'))),
    'trailing-bytes',
  );
});

test('empty and truncated input is malformed', (t) => {
  for (const input of ['', '19', '1901', '62aa', '8201', 'a161', 'a16161']) {
    t.is(
      codeOf(() => decodeCbor(hex(input))),
      'malformed',
      input,
    );
  }
});

test('tags, indefinite lengths, rare simple values and 64-bit integers are unsupported', (t) => {
  for (const input of [
    'c100', // tag 1 (date)
    'd84043010203', // tag 64 (typed array)
    'd9010281 01', // tag 258 (set)
    '9fff', // indefinite array
    '5f41aaff', // indefinite byte string
    'f0', // simple value 16
    'f820', // one-byte simple value 32
    '1b0000000100000000', // 64-bit unsigned integer
    '3b0000000100000000', // 64-bit negative integer
  ]) {
    t.is(
      codeOf(() => decodeCbor(hex(input.replace(' ', '')))),
      'unsupported',
      input,
    );
  }
});

test('each refusal of a head says why, as a typed reason', (t) => {
  const whyOf = (input: string): string => {
    try {
      decodeCbor(hex(input));
      return 'no-error';
    } catch (error) {
      if (error instanceof MessageError) return (error.why as { code: string }).code;
      throw error;
    }
  };
  t.is(whyOf('c100'), 'tag');
  t.is(whyOf('a10102'), 'key-not-text');
  t.is(whyOf('9fff'), 'indefinite');
  t.is(whyOf('f0'), 'simple-value');
  t.is(whyOf('1b0000000100000000'), 'int64');
  t.is(whyOf('3b0000000100000000'), 'int64');
  t.is(whyOf('5b0000000000000001aa'), 'length-8');
  t.is(whyOf('9b000000000000000101'), 'length-8');
  t.is(whyOf('1c'), 'reserved-info');
});

const WIDE = { bytesMax: 200_000, depthMax: 4, itemsMax: 4 };

test('text at each head-width boundary round-trips as cbor-x writes it, one byte or several per character', (t) => {
  for (const length of [23, 24, 255, 256, 257, 65_535, 65_536]) {
    for (const text of [
      'a'.repeat(length),
      `${'a'.repeat(length - 2)}é`,
      `é${'a'.repeat(length - 1)}`,
    ]) {
      const encoded = encodeCbor(text, WIDE);
      t.deepEqual(encoded, referenceEncode(text, WIDE), `${text.length} characters`);
      t.is(decodeCbor(encoded, WIDE), text);
    }
  }
});

test('ill-formed UTF-8 in a text string reads as TextDecoder reads it, U+FFFD for each bad sequence', (t) => {
  const bad = [
    [0xf0, 0x90, 0x41], // a 4-byte sequence cut after its second byte
    [0xf0, 0x90, 0x80, 0x41], // ... after its third
    [0xf4, 0x8f, 0x41],
    [0xf0, 0x90],
    [0xf0, 0x41], // a second byte out of range
    [0xe0, 0xa0, 0x41],
    [0xed, 0xa0, 0x80], // a surrogate
    [0xc2, 0x41],
    [0xc0, 0xaf], // overlong
    [0x80],
  ];
  for (const sequence of bad) {
    for (const pad of [1, 20]) {
      const bytes = [...Array(pad).fill(0x61), ...sequence, ...Array(pad).fill(0x62)];
      const message = Uint8Array.from([0x78, bytes.length, ...bytes]);
      t.is(
        decodeCbor(message),
        new TextDecoder().decode(Uint8Array.from(bytes)),
        `${sequence.map((b) => b.toString(16)).join(' ')} between ${pad} letters`,
      );
    }
  }
});

test('a sequence cut by the end of its text string is read as cut, whatever byte follows the string', (t) => {
  // The next item here is an empty array, 0x80: a continuation byte to a reader that looks past the string.
  for (const cut of [[0xf0, 0x90], [0xf0, 0x90, 0x80], [0xe0, 0xa0], [0xc2]]) {
    const text = [0x61, ...cut];
    const message = Uint8Array.from([0x82, 0x60 + text.length, ...text, 0x80]);
    t.deepEqual(decodeCbor(message), [new TextDecoder().decode(Uint8Array.from(text)), []]);
  }
});

test('reserved heads and a stray break are malformed', (t) => {
  for (const input of ['1c', '3d', 'fe', 'ff', '81ff']) {
    t.is(
      codeOf(() => decodeCbor(hex(input))),
      'malformed',
      input,
    );
  }
});

test('false, true, null, undefined and all float widths decode', (t) => {
  t.deepEqual(decodeCbor(hex('86f4f5f6f7f93e00fa3fc00000')), [
    false,
    true,
    null,
    undefined,
    1.5,
    1.5,
  ]);
  t.is(decodeCbor(hex('fb3ff8000000000000')), 1.5);
});

test('a __proto__ key is refused', (t) => {
  // {"__proto__": {}}
  t.is(
    codeOf(() => decodeCbor(hex('a1695f5f70726f746f5f5fa0'))),
    'unsupported',
  );
  const withOwnProto = JSON.parse('{"__proto__": {"polluted": true}}') as unknown;
  t.is(
    codeOf(() => encodeCbor(withOwnProto)),
    'unsupported',
  );
  t.is(({} as Record<string, unknown>).polluted, undefined);
});

test('map keys other than text strings are refused', (t) => {
  t.is(
    codeOf(() => decodeCbor(hex('a10102'))),
    'unsupported',
  );
  t.is(
    codeOf(() => decodeCbor(hex('a1a00102'))),
    'unsupported',
  );
  t.is(
    codeOf(() => decodeCbor(hex('a1420102'))),
    'unsupported',
  );
});

test('MessageError carries its marker, its code and its reason, which the host says', (t) => {
  const error = t.throws(() => decodeCbor(hex('0102')), { instanceOf: MessageError });
  t.true(error?.messageError);
  t.is(error?.code, 'trailing-bytes');
  t.deepEqual(error?.why, { code: 'trailing', bytes: 1 });
  t.is(error?.message, JSON.stringify(error?.why));
  t.is(errorText(error), "1 bytes follow the message's single top-level item");
});

/** Values our messages are made of; keys never "__proto__". */
const messageValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.constant(undefined),
    fc.boolean(),
    fc.integer({ min: -(2 ** 32), max: 2 ** 32 }),
    fc.double().filter((number) => !Object.is(number, -0)),
    fc.string({ unit: 'binary' }),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(
      fc.string({ unit: 'binary' }).filter((key) => key !== '__proto__'),
      tie('value'),
      { maxKeys: 5, noNullPrototype: true },
    ),
  ),
})).value;

test('property: messages round-trip through encodeCbor and decodeCbor', (t) => {
  fc.assert(
    fc.property(messageValue, (value) => {
      let encoded: Uint8Array;
      try {
        encoded = encodeCbor(value);
      } catch (error) {
        // Deep or wide random values may exceed the limits; nothing else may fail.
        assert.ok(error instanceof MessageError);
        assert.ok(['too-large', 'too-deep', 'too-many-items'].includes(error.code), error.message);
        return;
      }
      assert.deepEqual(decodeCbor(encoded), value);
    }),
    { numRuns: 500 },
  );
  t.pass();
});

/** What a run gave: its value, or the MessageError it threw, code and message. */
const resultOf = (run: () => unknown): unknown => {
  try {
    return { value: run() };
  } catch (error) {
    if (error instanceof MessageError) return { code: error.code, message: error.message };
    throw error;
  }
};

test('property: encodeCbor refuses under limits with the very error the scan of the bytes cbor-x writes gives, and encodedLength agrees', (t) => {
  // The encoder checks the limits as it writes instead of scanning its output:
  // the same refusal (code and message: the first one in byte order) or none.
  const limits = fc.record({
    bytesMax: fc.integer({ min: 0, max: 300 }),
    depthMax: fc.integer({ min: 0, max: 5 }),
    itemsMax: fc.integer({ min: 0, max: 40 }),
  });
  const withProtoKeys = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      messageValue,
      fc.array(tie('value'), { maxLength: 6 }),
      fc
        .array(fc.tuple(fc.constantFrom('__proto__', 'a', 'b'), tie('value')), { maxLength: 3 })
        .map((pairs) => {
          const object: Record<string, unknown> = {};
          for (const [key, item] of pairs)
            Object.defineProperty(object, key, {
              value: item,
              enumerable: true,
              writable: true,
              configurable: true,
            });
          return object;
        }),
    ),
  })).value;
  fc.assert(
    fc.property(withProtoKeys, limits, (value, bounds) => {
      // cbor-x writes the same bytes (wire-cbor-differential.test.ts) and checks nothing.
      assert.deepEqual(
        resultOf(() => encodeCbor(value, bounds)),
        resultOf(() => referenceEncode(value, bounds)),
      );
      assert.deepEqual(
        resultOf(() => encodedLength(value, bounds)),
        resultOf(() => referenceEncode(value, bounds).length),
      );
    }),
    { numRuns: 3000 },
  );
  t.pass();
});

const decodeOnlyThrowsMessageError = (bytes: Uint8Array): void => {
  try {
    decodeCbor(bytes);
  } catch (error) {
    assert.ok(error instanceof MessageError, `unexpected ${String(error)}`);
  }
};

test('fuzz: decodeCbor on random bytes returns a value or throws MessageError', (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), decodeOnlyThrowsMessageError), {
    numRuns: 3000,
  });
  t.pass();
});

test('fuzz: decodeCbor on mutated valid encodings returns a value or throws MessageError', (t) => {
  const mutation = fc.record({ at: fc.nat(), value: fc.nat(255), truncate: fc.boolean() });
  fc.assert(
    fc.property(
      messageValue,
      fc.array(mutation, { minLength: 1, maxLength: 4 }),
      (value, mutations) => {
        let bytes: Uint8Array;
        try {
          bytes = encodeCbor(value, { bytesMax: 100_000, depthMax: 100, itemsMax: 100_000 });
        } catch {
          return;
        }
        for (const { at, value: byte, truncate } of mutations) {
          if (bytes.length === 0) break;
          const index = at % bytes.length;
          bytes = truncate ? bytes.subarray(0, index) : bytes;
          if (!truncate) bytes[index] = byte;
        }
        decodeOnlyThrowsMessageError(bytes);
      },
    ),
    { numRuns: 3000 },
  );
  t.pass();
});

test('a Map, Set or Date deep in a state is refused naming its type, not a tag at a byte (issue 9, defect 15)', (t) => {
  for (const [value, type] of [
    [new Map([['a', 1]]), 'Map'],
    [new Set([1]), 'Set'],
    [new Date(0), 'Date'],
  ] as const) {
    const error = t.throws(() => encodeCbor({ accounts: { a: [1, { held: value }] } }), {
      instanceOf: MessageError,
    });
    t.is(error?.code, 'unsupported');
    t.like((error as MessageError & { why: unknown }).why, { code: 'not-data', type });
  }
});
