/**
 * Why an image is refused. Each code names one check of verifyImage (see
 * verify.ts for their order); the message says what to do about it.
 */

export type ImageErrorCode =
  /** Not a Tandem image: bad magic, format version, lengths or manifest shape, or bytes after the signature. */
  | 'malformed'
  /** The image ends early: a cut download or a short write. */
  | 'truncated'
  /** No signature: the signature field is all zeros. */
  | 'unsigned'
  /** Signed with a key this board does not trust. */
  | 'unknown-key'
  /** The signature does not verify: the header, manifest or signature was altered. */
  | 'bad-signature'
  /** The payload does not match the manifest's SHA-256: the payload was altered or damaged. */
  | 'corrupted'
  /** A valid image built for other boards. */
  | 'wrong-board';

export class ImageError extends Error {
  readonly imageError = true;
  override name = 'ImageError';
  readonly code: ImageErrorCode;

  constructor(code: ImageErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** A caller passed something that is not an ed25519 public key (a programming or setup error, not a bad image). */
export class PublicKeyError extends Error {
  readonly publicKeyError = true;
  override name = 'PublicKeyError';
  readonly code = 'bad-public-key';
}

export type KeyFileErrorCode =
  /** Key files are already there and --force was not given. */
  | 'exists'
  /** No key file where one was expected. */
  | 'missing'
  /** A key file that does not hold an ed25519 key in the expected encoding. */
  | 'bad-key';

export class KeyFileError extends Error {
  readonly keyFileError = true;
  override name = 'KeyFileError';
  readonly code: KeyFileErrorCode;

  constructor(code: KeyFileErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}
