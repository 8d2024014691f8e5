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
