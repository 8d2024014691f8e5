import type { Reason } from '../reasons.ts';
import { MessageError } from './errors.ts';

/** Bounds a decoded message must respect; checked before any decoding allocates. */
export interface CborLimits {
  /** Length of the encoded message. */
  bytesMax: number;
  /** Nesting of arrays and maps (16 nested arrays are allowed at 16). */
  depthMax: number;
  /** Data items, counting the top-level item, every element, every map key and value. */
  itemsMax: number;
}

export const DEFAULT_CBOR_LIMITS: Readonly<CborLimits> = Object.freeze({
  bytesMax: 4096,
  depthMax: 16,
  itemsMax: 4096,
});

/*
 * The refusals of a message outside its limits. The reader (cbor-stream.ts) and
 * the encoder (cbor-encode.ts) give the same ones, so they are made here once.
 */

export function tooLarge(bytes: number, limits: CborLimits): MessageError {
  return new MessageError('too-large', { code: 'too-large', bytes, max: limits.bytesMax });
}

export function noItemsAdmitted(limits: CborLimits): MessageError {
  return new MessageError('too-many-items', { code: 'no-items', max: limits.itemsMax });
}

export function tooDeep(at: number, limits: CborLimits): MessageError {
  return new MessageError('too-deep', { code: 'too-deep', at, max: limits.depthMax });
}

export function tooManyItems(limits: CborLimits): MessageError {
  return new MessageError('too-many-items', { code: 'too-many-items', max: limits.itemsMax });
}

/** Such a key would let a message reach Object.prototype. */
export function protoKey(at: number): MessageError {
  return unsupported({ code: 'proto-key', at });
}

/** Well-formed CBOR that messages do not use (a tag, a 64-bit integer), or a value no message carries. */
export function unsupported(why: Reason): MessageError {
  return new MessageError('unsupported', why);
}

/** Bytes that are not one whole CBOR item. */
export function malformed(why: Reason): MessageError {
  return new MessageError('malformed', why);
}
