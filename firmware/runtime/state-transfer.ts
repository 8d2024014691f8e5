/**
 * The big checkpoint: each round (messages.ts, Round) encoded once on the
 * primary (a joiner's whole round a slice at a time) and sent in chunks on
 * the reliable channel; read on the joiner
 * chunk by chunk as they arrive, in order (cbor-stream.ts: no chunk is kept,
 * and the round's bytes are never held whole beside what they decode to),
 * checked once the last one is in, and added to what the joiner holds from
 * the rounds before.
 */
import { type CborLimits, encodeCbor, SlicedEncoding } from '../wire/cbor.ts';
import { CborStream } from '../wire/cbor-stream.ts';
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

/**
 * A round encoded a slice at a time (SlicedEncoding) straight into the
 * chunk bodies of transfer `id`: the joiner's big checkpoint, which in one
 * call would take a microcontroller far past the suspicion time. The same
 * chunks as chunksOf(encodeRound(round), id, chunkBytes), and no more
 * memory than they take.
 */
export class RoundInSlices {
  readonly #encoding: SlicedEncoding;
  readonly #id: number;
  readonly #chunkBytes: number;
  readonly #full: Uint8Array[] = [];
  #chunk: Uint8Array;
  #filled = 0;

  constructor(round: Round, id: number, chunkBytes: number) {
    this.#encoding = new SlicedEncoding(round, SNAPSHOT_LIMITS);
    this.#id = id;
    this.#chunkBytes = chunkBytes;
    this.#chunk = new Uint8Array(chunkBytes);
  }

  /** Bytes of the round encoded so far: all of it once `step` gave the chunks. */
  get bytes(): number {
    return this.#encoding.written;
  }

  /** Encodes the next slice, of about `bytes`; gives the chunks once the round is whole, null before. */
  step(bytes: number): Chunk[] | null {
    const slice = this.#encoding.step(bytes);
    for (let at = 0; at < slice.length; ) {
      const taken = Math.min(this.#chunkBytes - this.#filled, slice.length - at);
      this.#chunk.set(slice.subarray(at, at + taken), this.#filled);
      this.#filled += taken;
      at += taken;
      if (this.#filled === this.#chunkBytes) {
        this.#full.push(this.#chunk);
        this.#chunk = new Uint8Array(this.#chunkBytes);
        this.#filled = 0;
      }
    }
    if (!this.#encoding.done) return null;
    const data = this.#full;
    if (this.#filled > 0 || data.length === 0) data.push(this.#chunk.slice(0, this.#filled));
    const count = data.length;
    return data.map((piece, index) => ({ k: 'snap', id: this.#id, index, count, data: piece }));
  }
}

/**
 * Chunk bodies whose last one carries at most `lastBytes` (the rest of the
 * one before it goes as one more chunk): a joiner installs the big
 * checkpoint on its last chunk, and replies queued behind that chunk wait
 * for it to cross, so a short one keeps their wait short.
 */
export function endingShort(chunks: readonly Chunk[], lastBytes: number): Chunk[] {
  const last = chunks.at(-1);
  if (last === undefined || last.data.length <= lastBytes) return [...chunks];
  const count = chunks.length + 1;
  const split = last.data.length - lastBytes;
  return [
    ...chunks.slice(0, -1).map((chunk) => ({ ...chunk, count })),
    { ...last, count, data: last.data.subarray(0, split) },
    { ...last, index: last.index + 1, count, data: last.data.subarray(split) },
  ];
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

/**
 * A big checkpoint being received: the transfer's id (-1 before its first
 * chunk), how many of its chunks were read, and the round they were read into.
 */
export interface Transfer {
  readonly id: number;
  /** Chunks read, in order: the next one read is the one with this index. */
  read: number;
  readonly round: CborStream;
}

/** Before the first chunk arrives. */
export function noTransfer(): Transfer {
  return { id: -1, read: 0, round: new CborStream(SNAPSHOT_LIMITS) };
}

/**
 * Reads a chunk into the transfer it belongs to: a chunk of another
 * transfer starts a new one only at index 0, and chunks count only in
 * order. Gives the transfer now received and, when this chunk completed it,
 * the transfer again, for readRound.
 */
export function addChunk(
  transfer: Transfer,
  chunk: Chunk,
): { readonly transfer: Transfer; readonly complete: Transfer | null } {
  let current = transfer;
  if (chunk.id !== current.id) {
    if (chunk.index !== 0) return { transfer, complete: null };
    current = { id: chunk.id, read: 0, round: new CborStream(SNAPSHOT_LIMITS) };
  }
  if (chunk.index !== current.read) return { transfer: current, complete: null };
  current.round.push(chunk.data);
  current.read += 1;
  return { transfer: current, complete: current.read >= chunk.count ? current : null };
}

/**
 * The round a complete transfer carries; throws a MessageError when its
 * chunks do not make one (a refusal while they were read included).
 */
export function readRound(transfer: Transfer): Round {
  return parseRound(transfer.round.finish());
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
 * What the joiner holds once round `id` is added to `held`, or null when
 * the round changes a round the joiner does not hold: one the primary built
 * before it heard the joiner ask again (having given up the rounds it held,
 * after a silence), which it starts over once it hears. Throws a
 * MessageError when the round does not fit what it changes.
 */
export function addRound(
  held: Received | null,
  id: number,
  round: Round,
  cacheSize: { readonly syncDepth: number; readonly clientsMax: number },
): Received | null {
  const { stateVersion, txn, term } = round;
  if (round.base === 0) {
    const state = applyPatch(undefined, round.state);
    const cache = ReplyCache.from(cacheSize.syncDepth, cacheSize.clientsMax, round.cache);
    return { id, stateVersion, state, txn, term, cache };
  }
  if (held === null || held.id !== round.base) return null;
  if (held.stateVersion !== stateVersion) {
    throw new MessageError('bad-shape', { code: 'other-base', round: id, base: round.base });
  }
  const state = applyPatch(held.state, round.state);
  held.cache.replay(round.cacheOps);
  return { id, stateVersion, state, txn, term, cache: held.cache };
}
