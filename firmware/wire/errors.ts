/**
 * Errors raised by the wire layer. Each carries a marker field (so callers can
 * tell them apart without `instanceof` across bundles), a `code` to branch on,
 * and, as every error the firmware raises, its reason as typed facts.
 */
import type { Fact, Reason, ReasonOf } from '../reasons.ts';

/** The longest text a reason's fact may hold in a peer message (a partner refuses longer). */
export const REASON_TEXT_MAX = 200;

/**
 * An error whose reason is typed facts (`why`, firmware/reasons.ts); its
 * message is their JSON, which the host says as a sentence (reasonText).
 */
export class ReasonError extends Error {
  override name = 'ReasonError';

  constructor(readonly why: Reason) {
    super(JSON.stringify(why));
  }
}

/**
 * An error caught on the way, as a fact of the reason that reports it: its
 * own reason, or its text, either short enough for a peer message.
 */
export function errorFact(error: unknown): Fact {
  if (error instanceof ReasonError && error.message.length <= REASON_TEXT_MAX) return error.why;
  return String(error).slice(0, REASON_TEXT_MAX);
}

export type FrameErrorCode =
  | 'bad-header'
  | 'bad-crc'
  | 'oversize'
  | 'garbage'
  | 'cut-short'
  | 'overdue';

/** A problem with the byte stream framing: corruption, an oversize frame, skipped garbage. */
export class FrameError extends ReasonError {
  readonly frameError = true;
  override name = 'FrameError';
  readonly code: FrameErrorCode;
  declare readonly why: ReasonOf<FrameErrorCode>;

  constructor(why: ReasonOf<FrameErrorCode>) {
    super(why);
    this.code = why.code;
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
export class MessageError extends ReasonError {
  readonly messageError = true;
  override name = 'MessageError';
  readonly code: MessageErrorCode;

  constructor(code: MessageErrorCode, why: Reason) {
    super(why);
    this.code = code;
  }
}

/** A caller passed an option or argument outside its valid range (a programming error). */
export class WireArgumentError extends ReasonError {
  readonly wireArgumentError = true;
  override name = 'WireArgumentError';
  readonly code = 'bad-argument';
  declare readonly why: ReasonOf<'bad-option' | 'bad-range'>;
}
