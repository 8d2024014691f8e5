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
 * The refusals of a message outside its limits. The scan (cbor-scan.ts) and
 * the encoder (cbor-encode.ts) give the same ones, so they are made here once.
 */

export function tooLarge(bytes: number, limits: CborLimits): MessageError {
  return new MessageError(
    'too-large',
    `message of ${bytes} bytes exceeds the limit of ${limits.bytesMax} bytes`,
  );
}

export function noItemsAdmitted(limits: CborLimits): MessageError {
  return new MessageError('too-many-items', `item limit ${limits.itemsMax} admits no message`);
}

export function tooDeep(at: number, limits: CborLimits): MessageError {
  return new MessageError(
    'too-deep',
    `nesting at byte ${at} exceeds the depth limit of ${limits.depthMax}`,
  );
}

export function tooManyItems(limits: CborLimits): MessageError {
  return new MessageError(
    'too-many-items',
    `message declares more than the limit of ${limits.itemsMax} items`,
  );
}

/** Such a key would let a message reach Object.prototype. */
export function protoKey(at: number): MessageError {
  return new MessageError('unsupported', `map key "__proto__" at byte ${at}`);
}
