/**
 * Images a board must refuse from their head alone (header, manifest and the
 * length push-begin announces), each derived from a good image, with the
 * code the board answers. Where a manifest changes, the image is signed
 * again with the key given, so only the intended fault is in it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeImageBody, HEADER_BYTES, SIGNATURE_BYTES } from '../../boards/image/format.ts';
import { type Manifest, parseManifest } from '../../boards/image/manifest.ts';
import type { ManagementErrorCode } from '../../boards/management.ts';
import { generateKeys, loadSigningKey } from '../../host/image/keys.ts';
import { signImage } from '../../host/image/sign.ts';

export interface BadImage {
  readonly what: string;
  readonly image: Uint8Array;
  /** The code the board answers. */
  readonly code: ManagementErrorCode;
}

/** The parts of a well-formed image. */
export function splitImage(image: Uint8Array): { manifest: Manifest; payload: Uint8Array } {
  const manifestBytes = new DataView(image.buffer, image.byteOffset).getUint32(5, true);
  const payloadStart = HEADER_BYTES + manifestBytes;
  return {
    manifest: parseManifest(image.subarray(HEADER_BYTES, payloadStart)),
    payload: image.subarray(payloadStart, image.length - SIGNATURE_BYTES),
  };
}

/** `good` changed in its manifest and signed again with the key in `keyDir`. */
export function resigned(good: Uint8Array, keyDir: string, change: Partial<Manifest>): Uint8Array {
  const key = loadSigningKey(keyDir);
  const { manifest, payload } = splitImage(good);
  return signImage({ ...manifest, keyId: key.keyId, ...change }, payload, key.privateKey);
}

/**
 * Bad images made from `good` (an image of the app the board runs, not
 * older than it, signed with the board's key in `keyDir`).
 */
export function badImages(good: Uint8Array, keyDir: string): BadImage[] {
  const otherKeys = join(mkdtempSync(join(tmpdir(), 'tandem-other-key-')), 'keys');
  generateKeys(otherKeys);
  const { manifest, payload } = splitImage(good);
  const spaced = new TextEncoder().encode(JSON.stringify(manifest, null, 1));
  const unsignedBody = encodeImageBody(spaced, payload);
  const withSignature = new Uint8Array(unsignedBody.length + SIGNATURE_BYTES).fill(1);
  withSignature.set(unsignedBody, 0);
  const badMagic = good.slice();
  badMagic[0] = 0x00;
  const longer = new Uint8Array(good.length + 16);
  longer.set(good, 0);
  return [
    {
      what: 'signed with a key the board does not trust',
      image: resigned(good, otherKeys, {}),
      code: 'unknown-key',
    },
    {
      what: 'built for another board',
      image: resigned(good, keyDir, { boards: ['linux'] }),
      code: 'wrong-board',
    },
    { what: 'with a manifest not in canonical form', image: withSignature, code: 'malformed' },
    { what: 'without the TNDM magic', image: badMagic, code: 'malformed' },
    {
      what: 'shorter than its manifest says',
      image: good.subarray(0, good.length - 100),
      code: 'truncated',
    },
    { what: 'longer than its manifest says', image: longer, code: 'malformed' },
    {
      what: 'of another app',
      image: resigned(good, keyDir, { app: 'counter' }),
      code: 'other-app',
    },
    {
      what: 'older than the running one, without allowDowngrade',
      image: resigned(good, keyDir, { version: '0.9.0' }),
      code: 'downgrade',
    },
  ];
}
