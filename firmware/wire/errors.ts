/**
 * Errors raised by the wire layer. Each carries a marker field (so callers can
 * tell them apart without `instanceof` across bundles) and a `code` to branch on.
 */

export type FrameErrorCode = 'bad-header' | 'bad-crc' | 'oversize' | 'garbage' | 'cut-short';

/** A problem with the byte stream framing: corruption, an oversize frame, skipped garbage. */
export class FrameError extends Error {
  readonly frameError = true;
  override name = 'FrameError';
  readonly code: FrameErrorCode;

  constructor(code: FrameErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

export type MessageErrorCode =
  | 'too-large'
  | 'malformed'
  | 'too-deep'
  | 'too-many-items'
  | 'unsupported'
  | 'trailing-bytes'
  /** For callers that validate the shape of a decoded message; the codec itself never raises it. */
  | 'bad-shape';

/** A message that cannot be encoded or must not be decoded. */
export class MessageError extends Error {
  readonly messageError = true;
  override name = 'MessageError';
  readonly code: MessageErrorCode;

  constructor(code: MessageErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** A caller passed an option or argument outside its valid range (a programming error). */
export class WireArgumentError extends Error {
  readonly wireArgumentError = true;
  override name = 'WireArgumentError';
  readonly code = 'bad-argument';
}
