/**
 * Packs and signs an image: header, canonical manifest, payload, then the
 * ed25519 signature over SHA-256 of those bytes (boards/image/format.ts).
 */
import { type KeyObject, sign } from 'node:crypto';
import {
  encodeImageBody,
  imageDigest,
  MANIFEST_MAX_BYTES,
  PAYLOAD_MAX_BYTES,
  sha256Hex,
} from '../../boards/image/format.ts';
import { encodeManifest, type Manifest, manifestProblem } from '../../boards/image/manifest.ts';
import { BuildError } from './errors.ts';

export function signImage(
  manifest: Manifest,
  payload: Uint8Array,
  privateKey: KeyObject,
): Uint8Array {
  const problem = manifestProblem(manifest);
  if (problem !== undefined) throw new BuildError('app-mismatch', `the manifest ${problem}`);
  if (manifest.payloadBytes !== payload.length || manifest.payloadSha256 !== sha256Hex(payload)) {
    throw new BuildError(
      'app-mismatch',
      'the manifest does not describe this payload (size or SHA-256)',
    );
  }
  if (payload.length > PAYLOAD_MAX_BYTES) {
    throw new BuildError(
      'too-large',
      `the bundled script is ${payload.length} bytes, above the image limit of ${PAYLOAD_MAX_BYTES}; move code out of the image or split the app`,
    );
  }
  const manifestBytes = encodeManifest(manifest);
  if (manifestBytes.length > MANIFEST_MAX_BYTES) {
    throw new BuildError(
      'too-large',
      `the manifest is ${manifestBytes.length} bytes, above the limit of ${MANIFEST_MAX_BYTES}; list fewer boards`,
    );
  }
  const body = encodeImageBody(manifestBytes, payload);
  const signature = sign(null, imageDigest(body), privateKey);
  const image = new Uint8Array(body.length + signature.length);
  image.set(body, 0);
  image.set(signature, body.length);
  return image;
}
