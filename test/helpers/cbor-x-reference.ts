/**
 * The reference for the firmware's CBOR codec: cbor-x 1.6.8 configured as the
 * firmware used it before it had its own codec, behind the same bounded
 * pre-scan, with the same errors. test/wire-cbor-differential.test.ts holds
 * firmware/wire/cbor.ts to it.
 */

import { Decoder, Encoder } from 'cbor-x';
import type { Reason, ReasonValue } from '../../firmware/reasons.ts';
import type { CborLimits } from '../../firmware/wire/cbor-limits.ts';
import { MessageError } from '../../firmware/wire/errors.ts';
import { scanCbor } from './cbor-scan.ts';

const encoder = new Encoder({
  useRecords: false,
  structuredClone: false,
  // Without this, cbor-x on Node tags Uint8Array with tag 64 (its Buffer is the untagged kind).
  tagUint8Array: false,
  // Minimal map headers (a1 for one entry) instead of a fixed 16-bit count.
  variableMapSize: true,
});

const decoder = new Decoder({
  useRecords: false,
  mapsAsObjects: true,
  structuredClone: false,
  copyBuffers: true,
});

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function referenceEncode(value: unknown, limits: CborLimits): Uint8Array {
  let shared: Uint8Array;
  try {
    shared = encoder.encode(value);
  } catch (error) {
    throw new MessageError('unsupported', { code: 'cannot-encode', error: describe(error) });
  }
  // cbor-x returns a Buffer slice of its shared scratch area: copy to a plain, compact array.
  const encoded = new Uint8Array(shared);
  scanCbor(encoded, limits);
  return encoded;
}

export function referenceDecode(bytes: Uint8Array, limits: CborLimits): unknown {
  scanCbor(bytes, limits);
  // A fresh plain view: cbor-x caches a DataView on the array it is given, and a
  // Buffer input would make byte strings come back as Buffers.
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    return decoder.decode(view);
  } catch (error) {
    // A refusal of cbor-x's own, which no board gives: a code outside the firmware's table.
    const why: ReasonValue = { code: 'cbor-x-refused', error: describe(error) };
    throw new MessageError('malformed', why as Reason);
  }
}
