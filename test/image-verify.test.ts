/**
 * Every way an image is refused, each with its own code, and a property:
 * no single-byte change anywhere in a valid image gets through, and the
 * refusal is always an ImageError, never another exception.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import fc from 'fast-check';
import { canonicalJson } from '../boards/image/canonical-json.ts';
import { ImageError, type ImageErrorCode } from '../boards/image/errors.ts';
import {
  encodeImageBody,
  HEADER_BYTES,
  imageDigest,
  SIGNATURE_BYTES,
} from '../boards/image/format.ts';
import { loadPublicKey, rawPublicKey } from '../boards/image/public-key.ts';
import { verifyImage } from '../boards/image/verify.ts';
import { buildImage } from '../host/image/build.ts';
import { generateKeys, loadSigningKey } from '../host/image/keys.ts';

const keyDir = mkdtempSync(join(tmpdir(), 'tandem-image-verify-'));
test.after.always(() => rmSync(keyDir, { recursive: true, force: true }));
const keyFiles = generateKeys(keyDir);
const publicKey = loadPublicKey(keyFiles.publicKeyPath);
const trusted = { publicKeys: [publicKey], board: 'sim' };

const built = buildImage({ app: 'ledger@1.0.0', keyDir, boards: ['sim', 'linux'] });

function refusal(bytes: Uint8Array, options = trusted): ImageErrorCode | 'accepted' | 'other' {
  try {
    verifyImage(bytes, options);
    return 'accepted';
  } catch (error) {
    return error instanceof ImageError ? error.code : 'other';
  }
}

function mutated(image: Uint8Array, index: number, xor: number): Uint8Array {
  const copy = image.slice();
  copy[index] = (copy[index] as number) ^ xor;
  return copy;
}

async function layout() {
  const { image, manifest } = await built;
  const manifestLength = new DataView(image.buffer, image.byteOffset).getUint32(5, true);
  const payloadStart = HEADER_BYTES + manifestLength;
  const signatureStart = payloadStart + manifest.payloadBytes;
  return { image, manifest, payloadStart, signatureStart };
}

test('a valid image verifies and gives back its manifest and script', async (t) => {
  const { image, manifest } = await built;
  const verified = verifyImage(image, trusted);
  t.deepEqual(verified.manifest, manifest);
  t.is(new TextEncoder().encode(verified.payload).length, manifest.payloadBytes);
  // The board may also hold its keys as KeyObjects, and several of them.
  const other = generateKeyPairSync('ed25519').publicKey;
  const asKeyObject = loadSigningKey(keyDir).privateKey;
  t.notThrows(() => verifyImage(image, { publicKeys: [other, asKeyObject], board: 'linux' }));
});

test('a flipped payload byte is corrupted', async (t) => {
  const { image, payloadStart, signatureStart } = await layout();
  for (const index of [payloadStart, payloadStart + 1000, signatureStart - 1]) {
    t.is(refusal(mutated(image, index, 0x01)), 'corrupted');
  }
});

test('a flipped signature byte is bad-signature', async (t) => {
  const { image, signatureStart } = await layout();
  for (const index of [signatureStart, signatureStart + 31, image.length - 1]) {
    t.is(refusal(mutated(image, index, 0x40)), 'bad-signature');
  }
});

test('a changed manifest value that still parses is bad-signature, not corrupted', async (t) => {
  const { image } = await layout();
  const text = new TextDecoder().decode(image);
  // "sim" -> "sin": still a valid, sorted board list, so only the signature catches it.
  const index = text.indexOf('"sim"') + 3;
  t.is(refusal(mutated(image, index, 'm'.charCodeAt(0) ^ 'n'.charCodeAt(0))), 'bad-signature');
});

test('an image signed by a key the board does not know is unknown-key', async (t) => {
  const { image } = await built;
  const stranger = rawPublicKey(generateKeyPairSync('ed25519').publicKey);
  t.is(refusal(image, { publicKeys: [stranger], board: 'sim' }), 'unknown-key');
  t.is(refusal(image, { publicKeys: [], board: 'sim' }), 'unknown-key');
});

test('an all-zero signature is unsigned', async (t) => {
  const { image, signatureStart } = await layout();
  const unsigned = image.slice();
  unsigned.fill(0, signatureStart);
  t.is(refusal(unsigned), 'unsigned');
  t.is(image.length - signatureStart, SIGNATURE_BYTES);
});

test('an image for other boards is wrong-board', async (t) => {
  const { image } = await built;
  t.is(refusal(image, { publicKeys: [publicKey], board: 'esp32' }), 'wrong-board');
  t.throws(() => verifyImage(image, { publicKeys: [publicKey], board: 'esp32' }), {
    message: /tandem build --board esp32/,
  });
});

test('an image cut anywhere is truncated', async (t) => {
  const { image, payloadStart, signatureStart } = await layout();
  const cuts = [
    0,
    1,
    3,
    4,
    5,
    8,
    9,
    payloadStart - 1,
    payloadStart,
    signatureStart,
    image.length - 1,
  ];
  for (const cut of cuts) t.is(refusal(image.subarray(0, cut)), 'truncated', `cut at ${cut}`);
  for (let cut = 0; cut < image.length; cut += 97) {
    t.is(refusal(image.subarray(0, cut)), 'truncated', `cut at ${cut}`);
  }
});

test('garbage, extra bytes and wrong header fields are malformed', async (t) => {
  const { image } = await built;
  t.is(refusal(new TextEncoder().encode('#!/bin/sh\necho not an image\n')), 'malformed');
  t.is(refusal(new Uint8Array(100).fill(0xff)), 'malformed');
  t.is(refusal(Uint8Array.of(0x54, 0x4e, 0x58)), 'malformed'); // "TNX"
  t.is(refusal(Uint8Array.of(...image, 0)), 'malformed'); // a byte after the signature
  t.is(refusal(mutated(image, 4, 0x03)), 'malformed'); // format version 2
  const huge = image.slice();
  new DataView(huge.buffer).setUint32(5, 5000, true);
  t.is(refusal(huge), 'malformed');
});

test('a manifest that is not canonical JSON is malformed, even when properly signed', async (t) => {
  const { image, manifest, payloadStart, signatureStart } = await layout();
  const payload = image.subarray(payloadStart, signatureStart);
  const { privateKey } = loadSigningKey(keyDir);
  const signedWith = (manifestText: string) => {
    const body = encodeImageBody(new TextEncoder().encode(manifestText), payload);
    return Uint8Array.of(...body, ...sign(null, imageDigest(body), privateKey));
  };
  t.is(refusal(signedWith(canonicalJson({ ...manifest }))), 'accepted');
  for (const text of [
    JSON.stringify(manifest, null, 1), // whitespace
    JSON.stringify(manifest), // keys in declaration order, not sorted
    canonicalJson({ ...manifest, extra: 1 }), // a field the format does not have
    canonicalJson({ ...manifest, boards: ['sim', 'linux'] }), // list out of order
    canonicalJson({ ...manifest, stateVersion: '1' }), // a string where a number belongs
  ]) {
    t.is(refusal(signedWith(text)), 'malformed', text);
  }
  t.throws(() => verifyImage(signedWith(JSON.stringify(manifest)), trusted), {
    message: /not in canonical form/,
  });
});

test('every single-byte change in the header, manifest and signature is refused with an ImageError', async (t) => {
  const { image, payloadStart, signatureStart } = await layout();
  const indices = [
    ...Array.from({ length: payloadStart }, (_, i) => i),
    ...Array.from({ length: SIGNATURE_BYTES }, (_, i) => signatureStart + i),
  ];
  const accepted: string[] = [];
  for (const index of indices) {
    for (const xor of [0x01, 0x02, 0x20, 0x80, 0xff]) {
      const code = refusal(mutated(image, index, xor));
      if (code === 'accepted' || code === 'other') accepted.push(`${index}^${xor}: ${code}`);
    }
  }
  t.deepEqual(accepted, []);
});

test('property: any single-byte mutation anywhere is refused with an ImageError', async (t) => {
  const { image } = await built;
  fc.assert(
    fc.property(
      fc.nat({ max: image.length - 1 }),
      fc.integer({ min: 1, max: 255 }),
      (index, xor) => {
        const code = refusal(mutated(image, index, xor));
        return code !== 'accepted' && code !== 'other';
      },
    ),
    { numRuns: 2000 },
  );
  t.pass();
});

test('property: arbitrary bytes, with or without the magic, give an ImageError or nothing', async (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, withMagic) => {
      const input = withMagic ? Uint8Array.of(0x54, 0x4e, 0x44, 0x4d, 1, ...bytes) : bytes;
      const code = refusal(input);
      return code !== 'accepted' && code !== 'other';
    }),
    { numRuns: 2000 },
  );
  t.pass();
});
