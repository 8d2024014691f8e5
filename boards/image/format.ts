/**
 * The Tandem image container, format version 1. All integers little-endian.
 *
 *   offset        size  field
 *   0             4     magic "TNDM" (54 4e 44 4d)
 *   4             1     format version, u8 = 1
 *   5             4     manifest length M, u32, at most MANIFEST_MAX_BYTES
 *   9             M     manifest: canonical JSON, UTF-8 (manifest.ts)
 *   9+M           P     payload: the bundled script, UTF-8; P = manifest.payloadBytes
 *   9+M+P         64    signature: ed25519 over SHA-256(bytes 0 .. 9+M+P)
 *
 * The signature covers the header too (not only manifest || payload), so the
 * format version and the lengths are authenticated as well. Ed25519 signs the
 * 32-byte digest rather than the whole image, so a board can hash the image as
 * it streams into a slot and need not hold it twice. The image ends right
 * after the signature; the payload's length comes from the manifest.
 */
import { createHash } from 'node:crypto';

export const IMAGE_MAGIC = Uint8Array.of(0x54, 0x4e, 0x44, 0x4d); // "TNDM"
export const IMAGE_FORMAT_VERSION = 1;
export const HEADER_BYTES = 9;
export const SIGNATURE_BYTES = 64;
export const MANIFEST_MAX_BYTES = 4 * 1024;
export const PAYLOAD_MAX_BYTES = 1024 * 1024;
export const IMAGE_MAX_BYTES =
  HEADER_BYTES + MANIFEST_MAX_BYTES + PAYLOAD_MAX_BYTES + SIGNATURE_BYTES;

/** Header, manifest and payload: the bytes the signature covers. Lengths are the caller's to check. */
export function encodeImageBody(manifest: Uint8Array, payload: Uint8Array): Uint8Array {
  const body = new Uint8Array(HEADER_BYTES + manifest.length + payload.length);
  body.set(IMAGE_MAGIC, 0);
  body[4] = IMAGE_FORMAT_VERSION;
  new DataView(body.buffer).setUint32(5, manifest.length, true);
  body.set(manifest, HEADER_BYTES);
  body.set(payload, HEADER_BYTES + manifest.length);
  return body;
}

/** The message ed25519 signs: SHA-256 of the image body. */
export function imageDigest(body: Uint8Array): Uint8Array {
  return createHash('sha256').update(body).digest();
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
