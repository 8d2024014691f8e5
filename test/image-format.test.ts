/**
 * The container layout, checked byte by byte against the documentation in
 * boards/image/format.ts with nothing but node:crypto, as a third-party
 * reader would.
 */
import { createHash, verify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { canonicalJson } from '../boards/image/canonical-json.ts';
import { IMAGE_MAX_BYTES, MANIFEST_MAX_BYTES, PAYLOAD_MAX_BYTES } from '../boards/image/format.ts';
import { keyIdOf, loadPublicKey, publicKeyObject } from '../boards/image/public-key.ts';
import { buildImage } from '../host/image/build.ts';
import { generateKeys } from '../host/image/keys.ts';

const keyDir = mkdtempSync(join(tmpdir(), 'tandem-image-format-'));
test.after.always(() => rmSync(keyDir, { recursive: true, force: true }));

test('layout: magic, version, manifest length, canonical manifest, payload, signature', async (t) => {
  const files = generateKeys(keyDir);
  const publicKey = loadPublicKey(files.publicKeyPath);
  const { image, manifest } = await buildImage({ app: 'ledger@1.0.0', keyDir });
  const bytes = Buffer.from(image);

  t.is(bytes.subarray(0, 4).toString('latin1'), 'TNDM');
  t.is(bytes[4], 1);
  const manifestLength = bytes.readUInt32LE(5);
  const manifestText = bytes.subarray(9, 9 + manifestLength).toString('utf8');
  t.is(manifestText, canonicalJson(manifest as never));
  t.deepEqual(JSON.parse(manifestText), manifest);
  t.false(/\s/.test(manifestText), 'no whitespace');

  const payloadEnd = 9 + manifestLength + manifest.payloadBytes;
  const payload = bytes.subarray(9 + manifestLength, payloadEnd);
  t.is(createHash('sha256').update(payload).digest('hex'), manifest.payloadSha256);
  t.is(bytes.length, payloadEnd + 64);

  const digest = createHash('sha256').update(bytes.subarray(0, payloadEnd)).digest();
  t.true(verify(null, digest, publicKeyObject(publicKey), bytes.subarray(payloadEnd)));
  t.is(manifest.keyId, createHash('sha256').update(publicKey).digest('hex').slice(0, 16));
  t.is(manifest.keyId, keyIdOf(publicKey));
});

test('limits are named and sized as documented', (t) => {
  t.is(MANIFEST_MAX_BYTES, 4096);
  t.is(PAYLOAD_MAX_BYTES, 1024 * 1024);
  t.is(IMAGE_MAX_BYTES, 9 + 4096 + 1024 * 1024 + 64);
});

test('canonical JSON sorts keys at every depth and refuses non-integers', (t) => {
  t.is(
    canonicalJson({ b: [2, { d: 1, c: 'x' }], a: null, e: true }),
    '{"a":null,"b":[2,{"c":"x","d":1}],"e":true}',
  );
  t.throws(() => canonicalJson({ a: 0.5 }), { instanceOf: RangeError });
  t.throws(() => canonicalJson({ a: Number.NaN }), { instanceOf: RangeError });
});
