/**
 * The big checkpoint: each round (messages.ts, Round) encoded once on the
 * primary and sent in chunks on the reliable channel; assembled on the
 * joiner from the chunks of one transfer, in order, decoded once the last
 * one is in, and added to what the joiner holds from the rounds before.
 */
import { type CborLimits, decodeCbor, encodeCbor } from '../wire/cbor.ts';
import { MessageError } from '../wire/errors.ts';
import { type PeerBody, parseRound, type Round, type Snapshot } from './messages.ts';
import { ReplyCache } from './reply-cache.ts';
import { applyPatch } from './state-diff.ts';

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

/** A whole, final round: the big checkpoint for a joiner of the same version. */
export function wholeRound(snapshot: Snapshot): Round {
  const { stateVersion, txn, term, state, cache } = snapshot;
  return {
    base: 0,
    final: true,
    stateVersion,
    txn,
    term,
    state: [[0, [], state]],
    cache,
    cacheOps: [],
  };
}

/** A round as it crosses: its size decides whether it goes as the final one. */
export function encodeRound(round: Round): Uint8Array {
  return encodeCbor(round, SNAPSHOT_LIMITS);
}

/** An encoded round as the chunk bodies of transfer `id`. */
export function chunksOf(bytes: Uint8Array, id: number, chunkBytes: number): Chunk[] {
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

/** Decodes a complete round; throws a MessageError when it is not one. */
export function readRound(bytes: Uint8Array): Round {
  return parseRound(decodeCbor(bytes, SNAPSHOT_LIMITS));
}

/** What a joiner holds from the rounds so far (transfer `id` the last), in the sender's state version. */
export interface Received {
  readonly id: number;
  readonly stateVersion: number;
  readonly state: unknown;
  readonly txn: number;
  readonly term: number;
  readonly cache: ReplyCache;
}

/**
 * What the joiner holds once round `id` is added to `held`. Throws a
 * MessageError when the round changes a round the joiner does not hold
 * (or does not fit it).
 */
export function addRound(
  held: Received | null,
  id: number,
  round: Round,
  cacheSize: { readonly syncDepth: number; readonly clientsMax: number },
): Received {
  const { stateVersion, txn, term } = round;
  if (round.base === 0) {
    const state = applyPatch(undefined, round.state);
    const cache = ReplyCache.from(cacheSize.syncDepth, cacheSize.clientsMax, round.cache);
    return { id, stateVersion, state, txn, term, cache };
  }
  if (held === null || held.id !== round.base || held.stateVersion !== stateVersion) {
    throw new MessageError('bad-shape', { code: 'other-base', round: id, base: round.base });
  }
  const state = applyPatch(held.state, round.state);
  held.cache.replay(round.cacheOps);
  return { id, stateVersion, state, txn, term, cache: held.cache };
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
