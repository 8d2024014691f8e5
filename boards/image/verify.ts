/**
 * Verification of an image before a board stores or runs it. The payload is
 * only sliced, hashed and (last) decoded to a string here; nothing in it is
 * evaluated, and a caller must not evaluate it unless verifyImage returned.
 *
 * Checks, in this order (the first failure is reported):
 *  1. magic "TNDM"                                          -> malformed (truncated if the input is a short prefix of it)
 *  2. format version                                        -> malformed
 *  3. header complete; manifest length <= 4 KiB             -> truncated / malformed
 *  4. manifest present; canonical JSON of the right shape   -> truncated / malformed
 *  5. length = header + manifest + payloadBytes + 64        -> truncated if shorter, malformed if longer
 *  6. signature not all zeros                               -> unsigned
 *  7. manifest keyId among the board's keys                 -> unknown-key
 *  8. payload SHA-256 equals manifest payloadSha256         -> corrupted
 *  9. ed25519 signature over SHA-256(header||manifest||payload) -> bad-signature
 * 10. board named in manifest boards                        -> wrong-board
 * 11. payload is well-formed UTF-8                          -> malformed
 * verifyImageHead runs 1-5, 7 and 10 on the first bytes of an image whose
 * length is announced, so a board refuses what they show before it erases
 * a slot for it.
 * The payload hash (8) comes before the signature (9) so that the two say
 * different things: 'corrupted' means the payload no longer matches its
 * manifest (damage in transit or in flash, or an edited payload); 'bad-signature'
 * means the payload matches the manifest but the header, manifest or
 * signature is not what the key signed. Both refuse the image; a
 * 'corrupted' verdict rests on the unauthenticated manifest, which is fine
 * because it only ever refuses.
 */
import { type KeyObject, verify } from 'node:crypto';
import { ImageError } from './errors.ts';
import {
  HEADER_BYTES,
  IMAGE_FORMAT_VERSION,
  IMAGE_MAGIC,
  imageDigest,
  MANIFEST_MAX_BYTES,
  PAYLOAD_MAX_BYTES,
  SIGNATURE_BYTES,
  sha256Hex,
} from './format.ts';
import { type Manifest, parseManifest } from './manifest.ts';
import { keyIdOf, publicKeyObject, rawPublicKey } from './public-key.ts';

/** The manifest under the name board code imports it by. */
export type ImageManifest = Manifest;

export interface VerifyOptions {
  /** The keys this board trusts: raw 32-byte ed25519 public keys or KeyObjects. */
  readonly publicKeys: readonly (KeyObject | Uint8Array)[];
  /** This board's target name ("sim", "linux"). */
  readonly board: string;
}

export interface VerifiedImage {
  readonly manifest: Manifest;
  /** The bundled script; evaluate it only now that it is verified. */
  readonly payload: string;
}

const REBUILD = 'rebuild it with `tandem build` and push it again';

export function verifyImage(bytes: Uint8Array, options: VerifyOptions): VerifiedImage {
  const { manifest, payloadStart } = readHead(bytes, true);
  checkLength(bytes.length, manifest, payloadStart);
  const signatureStart = payloadStart + manifest.payloadBytes;
  const body = bytes.subarray(0, signatureStart);
  const payload = bytes.subarray(payloadStart, signatureStart);
  const signature = bytes.subarray(signatureStart);

  if (signature.every((byte) => byte === 0)) {
    throw new ImageError(
      'unsigned',
      `the image is not signed; sign it: \`tandem build --key DIR\``,
    );
  }
  const key = trustedKey(manifest.keyId, options.publicKeys);
  if (sha256Hex(payload) !== manifest.payloadSha256) {
    throw new ImageError(
      'corrupted',
      `the payload does not match the SHA-256 in its manifest (damaged in transfer or storage, or edited); push the image again`,
    );
  }
  if (!verify(null, imageDigest(body), key, signature)) {
    throw new ImageError(
      'bad-signature',
      `the signature of key ${manifest.keyId} does not verify over the header and manifest (they or the signature were altered); ${REBUILD}`,
    );
  }
  checkBoard(manifest, options.board);
  return { manifest, payload: decodePayload(payload) };
}

/** What the head of an image (its first bytes) tells: not enough yet, or its manifest. */
export type ImageHead =
  | { readonly complete: false }
  | {
      readonly complete: true;
      readonly manifest: Manifest;
      /** Bytes of header and manifest: the head ends here. */
      readonly headBytes: number;
    };

/** Most bytes an image's head (header and manifest) can take. */
export const IMAGE_HEAD_MAX_BYTES = HEADER_BYTES + MANIFEST_MAX_BYTES;

/**
 * Checks what the first bytes of an image announced as `total` bytes long
 * can tell before the rest arrives: checks 1 to 5 (with `total` for the
 * length), 7 (a trusted key id) and 10 (this board named). The manifest is
 * not authenticated yet (the signature comes last), so a head that passes
 * may still be refused by verifyImage; a head that fails is refused for good.
 * `prefix` may run past the head. Throws the ImageError of the first failure.
 */
export function verifyImageHead(
  prefix: Uint8Array,
  options: VerifyOptions & { readonly total: number },
): ImageHead {
  const whole = prefix.length >= options.total;
  const head = readHead(prefix.subarray(0, options.total), whole);
  if (head === null) return { complete: false };
  checkLength(options.total, head.manifest, head.payloadStart);
  trustedKey(head.manifest.keyId, options.publicKeys);
  checkBoard(head.manifest, options.board);
  return { complete: true, manifest: head.manifest, headBytes: head.payloadStart };
}

/**
 * Checks 1 to 4 on the first bytes of an image. Where `whole` is false more
 * bytes may follow: a head cut short is then null (not yet known) rather
 * than 'truncated'.
 */
interface Head {
  readonly manifest: Manifest;
  readonly payloadStart: number;
}
function readHead(bytes: Uint8Array, whole: true): Head;
function readHead(bytes: Uint8Array, whole: boolean): Head | null;
function readHead(bytes: Uint8Array, whole: boolean): Head | null {
  checkMagic(bytes, whole);
  if (bytes.length < HEADER_BYTES) {
    if (!whole) return null;
    throw new ImageError(
      'truncated',
      `the image ends inside its ${HEADER_BYTES}-byte header (${bytes.length} bytes); ${REBUILD}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const manifestLength = view.getUint32(5, true);
  if (manifestLength > MANIFEST_MAX_BYTES) {
    throw new ImageError(
      'malformed',
      `the manifest length field says ${manifestLength} bytes, above the limit of ${MANIFEST_MAX_BYTES}; ${REBUILD}`,
    );
  }
  const payloadStart = HEADER_BYTES + manifestLength;
  if (bytes.length < payloadStart) {
    if (!whole) return null;
    throw new ImageError(
      'truncated',
      `the image ends inside its manifest (${bytes.length} of at least ${payloadStart} bytes); ${REBUILD}`,
    );
  }
  return { manifest: parseManifest(bytes.subarray(HEADER_BYTES, payloadStart)), payloadStart };
}

/** Check 5: an image of `total` bytes is exactly as long as its manifest describes. */
function checkLength(total: number, manifest: Manifest, payloadStart: number): void {
  if (manifest.payloadBytes > PAYLOAD_MAX_BYTES) {
    throw new ImageError(
      'malformed',
      `the manifest says the payload is ${manifest.payloadBytes} bytes, above the limit of ${PAYLOAD_MAX_BYTES}; ${REBUILD}`,
    );
  }
  const expectedLength = payloadStart + manifest.payloadBytes + SIGNATURE_BYTES;
  if (total < expectedLength) {
    throw new ImageError(
      'truncated',
      `the image is ${total} bytes but its manifest describes ${expectedLength}; the transfer was cut short, push it again`,
    );
  }
  if (total > expectedLength) {
    throw new ImageError(
      'malformed',
      `the image has ${total - expectedLength} bytes after its signature; ${REBUILD}`,
    );
  }
}

function checkBoard(manifest: Manifest, board: string): void {
  if (!manifest.boards.includes(board)) {
    throw new ImageError(
      'wrong-board',
      `the image is for boards [${manifest.boards.join(', ')}], not '${board}'; build it with \`tandem build --board ${board}\``,
    );
  }
}

function checkMagic(bytes: Uint8Array, whole: boolean): void {
  const present = bytes.subarray(0, IMAGE_MAGIC.length);
  const prefixOk = present.every((byte, index) => byte === IMAGE_MAGIC[index]);
  if (!prefixOk) {
    throw new ImageError(
      'malformed',
      'not a Tandem image (it does not start with "TNDM"); build one with `tandem build`',
    );
  }
  if (present.length < IMAGE_MAGIC.length && whole) {
    throw new ImageError(
      'truncated',
      `the image is only ${bytes.length} bytes, cut inside its magic; ${REBUILD}`,
    );
  }
  if (bytes.length > IMAGE_MAGIC.length && bytes[4] !== IMAGE_FORMAT_VERSION) {
    throw new ImageError(
      'malformed',
      `image format version ${bytes[4]} is not supported (this board reads version ${IMAGE_FORMAT_VERSION}); build it with a matching tandem`,
    );
  }
}

function trustedKey(keyId: string, publicKeys: VerifyOptions['publicKeys']): KeyObject {
  for (const candidate of publicKeys) {
    const raw = rawPublicKey(candidate);
    if (keyIdOf(raw) === keyId) return publicKeyObject(raw);
  }
  throw new ImageError(
    'unknown-key',
    `the image is signed by key ${keyId}, which this board does not trust (it knows ${publicKeys.length} key(s)); sign with a trusted key or install the public key on the board`,
  );
}

function decodePayload(payload: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(payload);
  } catch {
    throw new ImageError('malformed', `the payload is not valid UTF-8; ${REBUILD}`);
  }
}
