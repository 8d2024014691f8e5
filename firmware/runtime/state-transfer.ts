/**
 * The big checkpoint: encoded once on the primary and sent in chunks on the
 * reliable channel; assembled on the joiner from the chunks of one transfer,
 * in order, and decoded once the last one is in.
 */
import { type CborLimits, decodeCbor, encodeCbor } from '../wire/cbor.ts';
import { type PeerBody, parseSnapshot, type Snapshot } from './messages.ts';

/**
 * Checkpoints a joiner keeps while its big checkpoint is incomplete. The
 * primary's flow control keeps them far below this; beyond it the partner
 * is not a primary we can follow.
 */
export const EARLY_ENTRIES_MAX = 65_536;

/** A big checkpoint may be larger than a frame; it travels in chunks and is decoded with these bounds. */
const SNAPSHOT_LIMITS: CborLimits = {
  bytesMax: 4 * 1024 * 1024,
  depthMax: 32,
  itemsMax: 1_000_000,
};

export type Chunk = Extract<PeerBody, { k: 'snap' }>;

/** The big checkpoint as the chunk bodies of transfer `id`. */
export function snapshotChunks(snapshot: Snapshot, id: number, chunkBytes: number): Chunk[] {
  const bytes = encodeCbor(snapshot, SNAPSHOT_LIMITS);
  const count = Math.max(1, Math.ceil(bytes.length / chunkBytes));
  const chunks: Chunk[] = [];
  for (let index = 0; index < count; index++) {
    const data = bytes.subarray(index * chunkBytes, (index + 1) * chunkBytes);
    chunks.push({ k: 'snap', id, index, count, data });
  }
  return chunks;
}

/** A big checkpoint being received: the transfer's id (-1 before its first chunk) and its chunks so far. */
export interface Transfer {
  readonly id: number;
  readonly chunks: Uint8Array[];
}

/** Before the first chunk arrives. */
export function noTransfer(): Transfer {
  return { id: -1, chunks: [] };
}

/**
 * Adds a chunk to the transfer it belongs to: a chunk of another transfer
 * starts a new one only at index 0, and chunks count only in order. Gives
 * the transfer now received and, when this chunk completed it, its bytes.
 */
export function addChunk(
  transfer: Transfer,
  chunk: Chunk,
): { readonly transfer: Transfer; readonly complete: Uint8Array | null } {
  let current = transfer;
  if (chunk.id !== current.id) {
    if (chunk.index !== 0) return { transfer, complete: null };
    current = { id: chunk.id, chunks: [] };
  }
  if (chunk.index !== current.chunks.length) return { transfer: current, complete: null };
  current.chunks.push(chunk.data);
  const done = current.chunks.length >= chunk.count;
  return { transfer: current, complete: done ? concat(current.chunks) : null };
}

/** Decodes a complete big checkpoint; throws a MessageError when it is not one. */
export function readSnapshot(bytes: Uint8Array): Snapshot {
  return parseSnapshot(decodeCbor(bytes, SNAPSHOT_LIMITS));
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const chunk of chunks) length += chunk.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
