/**
 * Frames as an image from before a Hello flag sends them: the flag is gone
 * from the hello its envelopes carry now and then, and from its join.
 */
import type { Hello } from '../../firmware/runtime/messages.ts';
import { decodeCbor, encodeCbor } from '../../firmware/wire/cbor.ts';
import { encodeFrame, FRAME_HEADER_BYTES, FRAME_TRAILER_BYTES } from '../../firmware/wire/frame.ts';

/** The envelope's fields on the wire, as an array: [from, inc, toInc, ack, role, term, backupInc, hello, seq, body, ...]. */
const HELLO_AT = 7;
const BODY_AT = 9;

export function payloadOf(frame: Uint8Array): unknown[] {
  return decodeCbor(
    frame.subarray(FRAME_HEADER_BYTES, frame.length - FRAME_TRAILER_BYTES),
  ) as unknown[];
}

/** The body a frame carries on the peer channel, or null for none (a heartbeat, an acknowledgement). */
export function bodyOf(frame: Uint8Array): { readonly k?: unknown } | null {
  const body = payloadOf(frame)[BODY_AT];
  return body !== null && typeof body === 'object' ? (body as { readonly k?: unknown }) : null;
}

export function asOlderImage(frame: Uint8Array, flag: keyof Hello): Uint8Array {
  const envelope = payloadOf(frame);
  const older = (hello: unknown) => {
    if (hello === null || typeof hello !== 'object') return hello;
    const { [flag]: _, ...rest } = hello as Record<string, unknown>;
    return rest;
  };
  envelope[HELLO_AT] = older(envelope[HELLO_AT]);
  const body = envelope[BODY_AT] as { k?: unknown; hello?: unknown } | null;
  if (body?.k === 'join') envelope[BODY_AT] = { ...body, hello: older(body.hello) };
  return encodeFrame(encodeCbor(envelope));
}
