/**
 * The TextEncoder and TextDecoder an image gets are made inside its context
 * (boards/node/sandbox-text-codecs.js); they must agree with Node's on any
 * string and any bytes, valid UTF-8 or not, streamed or whole.
 */
import { readFileSync } from 'node:fs';
import { createContext, runInContext } from 'node:vm';
import test from 'ava';
import fc from 'fast-check';

const context = createContext(Object.create(null), {
  codeGeneration: { strings: false, wasm: false },
});
runInContext(
  readFileSync(new URL('../boards/node/sandbox-text-codecs.js', import.meta.url), 'utf8'),
  context,
);
const Realm = runInContext('({ TextEncoder, TextDecoder })', context) as {
  TextEncoder: typeof TextEncoder;
  TextDecoder: typeof TextDecoder;
};
const plain = (bytes: Uint8Array) => [...bytes];

test('encode agrees with Node on any string, lone surrogates included', (t) => {
  fc.assert(
    fc.property(
      fc.string({ unit: 'binary' }),
      fc.string({
        unit: fc.integer({ min: 0xd7f0, max: 0xe010 }).map((c) => String.fromCharCode(c)),
      }),
      (a, b) => {
        const text = a + b;
        return (
          JSON.stringify(plain(new Realm.TextEncoder().encode(text))) ===
          JSON.stringify(plain(new TextEncoder().encode(text)))
        );
      },
    ),
  );
  t.deepEqual(plain(new Realm.TextEncoder().encode()), []);
  t.is(new Realm.TextEncoder().encoding, 'utf-8');
});

test('encodeInto agrees with Node, also when the destination is too short', (t) => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), fc.nat(40), (text, room) => {
      const ours = new Uint8Array(room);
      const theirs = new Uint8Array(room);
      const a = new Realm.TextEncoder().encodeInto(text, ours);
      const b = new TextEncoder().encodeInto(text, theirs);
      return (
        a.read === b.read && a.written === b.written && plain(ours).join() === plain(theirs).join()
      );
    }),
  );
  t.throws(() => new Realm.TextEncoder().encodeInto('x', [] as unknown as Uint8Array));
});

test('decode agrees with Node on any bytes, whole or in streamed pieces, with and without fatal', (t) => {
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 64 }),
    fc.string({ unit: 'binary' }).map((s) => new TextEncoder().encode(s)),
  );
  fc.assert(
    fc.property(bytes, fc.nat(64), fc.boolean(), fc.boolean(), (input, cut, fatal, ignoreBOM) => {
      const at = Math.min(cut, input.length);
      const outcome = (Decoder: typeof TextDecoder) => {
        const decoder = new Decoder('utf-8', { fatal, ignoreBOM });
        try {
          const whole = decoder.decode(input);
          const streamed =
            decoder.decode(input.subarray(0, at), { stream: true }) +
            decoder.decode(input.subarray(at));
          return JSON.stringify([whole, streamed]);
        } catch (error) {
          return `threw ${(error as Error).name}`;
        }
      };
      return outcome(Realm.TextDecoder) === outcome(TextDecoder);
    }),
  );
  t.is(new Realm.TextDecoder().decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x41]).buffer), 'A');
  t.is(new Realm.TextDecoder().decode(), '');
  t.throws(() => new Realm.TextDecoder('latin1'), { name: 'RangeError' });
});
