/**
 * A retained app's durable copy: a write-ahead log of checkpoint entries
 * with periodic snapshots, in a board's durable region (the seed's "file
 * state"). Layout: the region is two areas of equal size (A: the first half
 * of its erase blocks, B: the second). The live area starts with a snapshot
 * record (or, in a store's first area, straight with entries on the app's
 * initial state) and continues with entry records, one per group commit.
 * Compaction writes a snapshot of the current state at the start of the
 * other area (erased first) with the next generation number: a processor
 * does it a slice at a time (beginCompaction, compactSlice: encoding the
 * snapshot, its CRC, erasing, writing its record a piece at a time, each in
 * a call of its own), the log moving to the new area only with the last
 * piece; a commit far past the share compacts whole, in its call. The old area
 * is redundant from then on: between inputs the processor erases it a
 * block at a time (eraseAhead), so that the next compaction erases only
 * what is left, not a whole area in one call (a NOR flash takes 45 ms or
 * more for a 4 KiB block, and the suspicion time is 150 ms). Only the
 * redundant area is ever erased, first block first: every erase leaves the
 * live log whole, and a torn erase leaves no readable start. Each area is
 * erased once every two compactions (the areas take turns: wear is spread
 * over every block), and the space is bounded by the region.
 *
 * A joiner that receives the big checkpoint in rounds starts a new
 * generation with the first round instead of a snapshot (beginRounds, a
 * slice at a time as a compaction goes) and appends each later round as it
 * arrives (appendRound): the rounds as they crossed, which recovery adds up
 * as the joiner did. Its install then appends only the last round, small,
 * rather than compact the whole state while the pair waits for it.
 *
 * Record: magic 'T' 'D', kind, 0, payload length (u32 LE), CRC-32C of those
 * 8 bytes and the payload (u32 LE), then the CBOR payload, padded with 0xff
 * to the write unit. Reading stops at the first record that is erased or
 * fails its CRC: a write torn by a power cut ends the log there, and what
 * it carried was never acknowledged (replies wait for the write).
 */
import type { DurableRegion } from '../hal.ts';
import type { Fact, ReasonOf } from '../reasons.ts';
import { type CborLimits, encodedLength, SlicedEncoding, withEncodedCbor } from '../wire/cbor.ts';
import { CborStream } from '../wire/cbor-stream.ts';
import { crc32c } from '../wire/crc32c.ts';
import { errorFact, ReasonError } from '../wire/errors.ts';
import {
  type CheckpointEntry,
  entryToWire,
  parseEntry,
  parseRound,
  parseSnapshot,
  type Round,
  type Snapshot,
} from './messages.ts';
import type { RoomStatus } from './store-room.ts';

const MAGIC_0 = 0x54;
const MAGIC_1 = 0x44;
const HEADER_BYTES = 12;
const ERASED = 0xff;
const ERASED_WORD = 0xffff_ffff;

const KIND_SNAPSHOT = 1;
const KIND_ENTRIES = 2;
const KIND_ROUND = 3;

/**
 * Most bytes the log reads from the store at once: on a microcontroller a
 * read lands in RAM. A record's payload (a snapshot takes up to
 * COMPACT_AT_AREA_FRACTION of an area) is read and decoded in pieces of
 * this size, so its bytes are never held whole beside what they decode to.
 */
const READ_BYTES_MAX = 4096;

/** Records are decoded with these bounds (a snapshot may be large, as a big checkpoint). */
const RECORD_LIMITS: CborLimits = { bytesMax: 4 * 1024 * 1024, depthMax: 32, itemsMax: 1_000_000 };

/**
 * Compaction starts once the live area is this full. A snapshot may take at
 * most the same share of an area: the rest is room for the entries after it.
 */
export const COMPACT_AT_AREA_FRACTION = 0.5;

/**
 * A commit whose record would take the live area past this share compacts
 * whole, in its own call: the log's last resort when no compaction a slice
 * at a time ran from COMPACT_AT_AREA_FRACTION on (a processor that commits
 * nothing while one runs never reaches it).
 */
export const COMPACT_WHOLE_AT_AREA_FRACTION = 0.75;

/**
 * A snapshot may take at most this share of an area for the state to fit
 * the store (the limit a request is judged by, see store-room.ts): half of
 * what compaction starts at, so that the other half is the log's room for
 * the entries after it. A state at its limit then compacts at most twice as
 * often as an empty one (erases and write time stay bounded), and what the
 * primary's estimate of the snapshot may miss (see store-room.ts) still fits
 * the share compaction refuses beyond (StoreFullError).
 */
export const SNAPSHOT_AREA_FRACTION_MAX = COMPACT_AT_AREA_FRACTION / 2;

/** Where a processor stood when it wrote a record: the facts recovery decides on. */
export interface LogMark {
  /** The app version that wrote it: entries can be applied only by the same version. */
  readonly version: string;
  readonly term: number;
  /**
   * This processor served with no partner able to take over: no other store
   * can hold anything newer, so it may recover alone after both boards
   * lost power. False for a backup, a primary with a backup or joiner, and
   * a processor that handed its roles over or stopped.
   */
  readonly solo: boolean;
}

/** An entry as the log keeps it: with the app version that wrote it. */
export interface StoredEntry {
  readonly version: string;
  readonly entry: CheckpointEntry;
}

/** A round of a big checkpoint as the joiner logged it: transfer `id`'s round. */
export interface LoggedRound {
  readonly id: number;
  readonly round: Round;
}

/**
 * What a store holds: a base (a snapshot, the rounds of a big checkpoint,
 * or neither for the app's initial state) and the entries after it.
 */
export interface StoredLog {
  readonly mark: LogMark;
  readonly snapshot: Snapshot | null;
  /** The big checkpoint's rounds the log starts with, in order (empty when it starts otherwise). */
  readonly joinedRounds: readonly LoggedRound[];
  /**
   * The entries after the base, in order. They are read from the store as
   * they are iterated, one record at a time (the log may hold more entries
   * than a board's RAM): iterate before the next write to the store.
   */
  readonly entries: Iterable<StoredEntry>;
}

/** The last transaction a log holds, read from its records alone (no app needed to replay them). */
export function lastTxn(log: StoredLog): number {
  let txn = log.snapshot?.txn ?? log.joinedRounds.at(-1)?.round.txn ?? 0;
  // One record at a time, as recovery reads them: the log may not fit in RAM at once.
  for (const stored of log.entries) txn = Math.max(txn, stored.entry.txn);
  return txn;
}

export type LogOpening =
  | { readonly kind: 'empty' }
  | { readonly kind: 'found'; readonly log: StoredLog }
  /** Bytes that are not a log: refused, never taken for an empty store. */
  | { readonly kind: 'unreadable'; readonly why: ReasonOf<'not-a-log' | 'bad-record'> };

/** Where the log stands in its region (for `status`). */
export interface LogPosition {
  /** The live area: 0 the first half of the blocks, 1 the second. */
  readonly area: 0 | 1;
  /** Compactions since the store was first written (each starts a generation in the other area). */
  readonly generation: number;
  /** Bytes of the live area in use: its snapshot and the records after it. */
  readonly usedBytes: number;
  /** Bytes of one area. */
  readonly areaBytes: number;
}

/** What a processor's durable log holds, for `status`. */
export interface DurableStatus {
  /** The store failed verification or filled up: it is not used, nor replaced by an empty one. */
  readonly refused: boolean;
  /** The newest transaction the store holds and the term it was written in; null before the first record. */
  readonly held: { readonly txn: number; readonly term: number } | null;
  /** Null when the store was never opened for writing (it was refused). */
  readonly position: LogPosition | null;
  /** The state's room in the store (see store-room.ts). */
  readonly room: RoomStatus;
}

/**
 * A store too small for the state: the log cannot be kept within its
 * bounds. The primary refuses requests that would outgrow the store well
 * before (store-room.ts); this is the last line behind it.
 */
export class StoreFullError extends ReasonError {
  override name = 'StoreFullError';
  declare readonly why: ReasonOf<'snapshot-too-big'>;
}

/**
 * The store failed a read (a file-backed store's I/O error): the log knows
 * nothing of what it holds, which is not the same as holding nothing.
 */
export class StoreReadError extends Error {
  override name = 'StoreReadError';
}

interface Record {
  readonly kind: number;
  readonly payload: unknown;
  /** Bytes the record takes, padding included. */
  readonly bytes: number;
}

/** Where a whole record lies: what recovery keeps of an area's first record. */
interface RecordPlace {
  readonly kind: number;
  /** Offset in the region. */
  readonly offset: number;
  /** Bytes the record takes, padding included. */
  readonly bytes: number;
}

/** What one record says, read as the log writes it. */
interface RecordContent {
  readonly mark: LogMark;
  /** The base, in an area's first record when it is a snapshot. */
  readonly snapshot: Snapshot | null;
  /** A round record's round. */
  readonly round: LoggedRound | null;
  readonly entries: readonly StoredEntry[];
}

export class DurableLog {
  readonly #region: DurableRegion;
  readonly #areaBlocks: number;
  readonly #areaBytes: number;
  /** The live area (0 or 1), its generation and where the next record goes; -1: not opened for writing. */
  #area = -1;
  #generation = 0;
  #head = 0;
  /** A record ends the log past the head (a torn write): append only after a compaction. */
  #dirty = true;
  /** Blocks of the other area erased since the live one became live (at a boot: those that read erased). */
  #erasedAhead = 0;
  /** The live area holds a whole log (opened as one, or compacted into): the other may be erased ahead. */
  #whole = false;
  /** A compaction a slice at a time under way (beginCompaction, beginRounds), or null. */
  #job: CompactionJob | null = null;
  /** The live area holds rounds and nothing after them: another round may be appended. */
  #roundsLast = false;

  constructor(region: DurableRegion) {
    const g = region.geometry;
    if (g.blockCount < 2 || g.eraseBlockBytes % g.writeBytes !== 0) {
      throw new ReasonError({
        code: 'bad-geometry',
        blocks: g.blockCount,
        blockBytes: g.eraseBlockBytes,
        writeBytes: g.writeBytes,
      });
    }
    this.#region = region;
    this.#areaBlocks = Math.floor(g.blockCount / 2);
    this.#areaBytes = this.#areaBlocks * g.eraseBlockBytes;
  }

  /** Bytes of one area: the most a snapshot and the entries after it may take together. */
  get areaBytes(): number {
    return this.#areaBytes;
  }

  /**
   * The most bytes a snapshot (its CBOR) may take for the state to fit this
   * store: SNAPSHOT_AREA_FRACTION_MAX of an area, less what its record adds
   * around it (header, the mark of `version`, padding to the write unit).
   */
  snapshotBytesMax(version: string): number {
    const share = Math.floor(this.#areaBytes * SNAPSHOT_AREA_FRACTION_MAX);
    // The record's payload is [generation, version, term, solo, snapshot]: null stands for the snapshot.
    const mark =
      encodedLength([Number.MAX_SAFE_INTEGER, version, Number.MAX_SAFE_INTEGER, false, null]) - 1;
    return Math.max(0, share - HEADER_BYTES - mark - (this.#region.geometry.writeBytes - 1));
  }

  /** Where the next record goes; null before the store was opened. */
  get position(): LogPosition | null {
    if (this.#area === -1) return null;
    return {
      area: this.#area === 0 ? 0 : 1,
      generation: this.#generation,
      usedBytes: this.#head,
      areaBytes: this.#areaBytes,
    };
  }

  /** Reads the store: the newest whole log in it. Positions the head for appending. */
  open(): LogOpening {
    this.#whole = false;
    const areas = [this.#readArea(0), this.#readArea(1)];
    let best = -1;
    for (const index of [0, 1]) {
      const area = areas[index];
      if (area === undefined || area.first === null) continue;
      if (best === -1 || area.generation > (areas[best]?.generation ?? -1)) best = index;
    }
    if (best === -1) {
      if (areas.every((a) => a?.erasedBytes === this.#areaBytes)) {
        this.#area = 0;
        this.#erasedAhead = this.#areaBlocks;
        this.#generation = 0;
        this.#head = 0;
        this.#dirty = false;
        return { kind: 'empty' };
      }
      return { kind: 'unreadable', why: { code: 'not-a-log' } };
    }
    const area = areas[best] as AreaRead;
    this.#area = best;
    // Blocks of the other area that read erased (erased ahead before a reset) are not erased again.
    const otherErased = areas[best === 0 ? 1 : 0]?.erasedBytes ?? 0;
    this.#erasedAhead = Math.floor(otherErased / this.#region.geometry.eraseBlockBytes);
    this.#generation = area.generation;
    this.#head = area.end;
    this.#dirty = this.#erasedUntil(best, area.end) < this.#areaBytes;
    if (area.malformed !== null || area.mark === null) {
      return {
        kind: 'unreadable',
        why: { code: 'bad-record', error: area.malformed ?? 'no records' },
      };
    }
    const first = area.first as RecordPlace;
    const base = first.kind === KIND_SNAPSHOT ? first : null;
    const snapshot = base === null ? null : this.#contentAt(base, true).snapshot;
    // An area's first record starts it: what the rounds take ends where the entries begin.
    const start = best * this.#areaBytes;
    const end = start + area.end;
    const rounds = this.#roundsBetween(start, start + area.roundBytes);
    const from = base === null ? start + area.roundBytes : first.offset + first.bytes;
    const entries: Iterable<StoredEntry> = {
      [Symbol.iterator]: () => this.#entriesBetween(from, end),
    };
    this.#whole = true;
    this.#roundsLast = rounds.length > 0 && from === end;
    return { kind: 'found', log: { mark: area.mark, snapshot, joinedRounds: rounds, entries } };
  }

  /** An entry record's size once written, to decide between appending and compacting. */
  recordBytes(payload: unknown): number {
    return this.#padded(HEADER_BYTES + encodedLength(payload, RECORD_LIMITS));
  }

  /**
   * Group commit: one record with every entry since the last one. Compacts
   * whole instead (`snapshot()` gives the current state, which includes
   * these entries) when the record would take the live area past
   * COMPACT_WHOLE_AT_AREA_FRACTION, or the log cannot be appended to. Gives
   * up a compaction under way.
   */
  commit(mark: LogMark, entries: readonly CheckpointEntry[], snapshot: () => Snapshot): void {
    // A snapshot begun before these entries must never become the log without them.
    this.cancelCompaction();
    const payload = [mark.version, mark.term, mark.solo, entries.map(entryToWire)];
    const record = this.#record(KIND_ENTRIES, payload);
    if (
      this.#area === -1 ||
      this.#dirty ||
      this.#head + record.length > this.#areaBytes * COMPACT_WHOLE_AT_AREA_FRACTION
    ) {
      this.compact(mark, snapshot());
      return;
    }
    this.#write(record);
    this.#roundsLast = false;
  }

  /** The live area is past COMPACT_AT_AREA_FRACTION, and no compaction is under way. */
  get compactionDue(): boolean {
    return (
      this.#job === null &&
      this.#area !== -1 &&
      this.#head >= this.#areaBytes * COMPACT_AT_AREA_FRACTION
    );
  }

  /**
   * Starts compacting a slice at a time (compactSlice): `snapshot` must not
   * change until it is done, and nothing is committed meanwhile.
   */
  beginCompaction(mark: LogMark, snapshot: Snapshot): void {
    const generation = this.#generation + 1;
    this.#beginJob(KIND_SNAPSHOT, [generation, mark.version, mark.term, mark.solo, snapshot]);
  }

  /**
   * Starts a new generation with round `id`, the first of a big checkpoint
   * (base 0), a slice at a time as a compaction (compactSlice): `round`
   * must not change until it is done. The rounds after it go by appendRound.
   */
  beginRounds(mark: LogMark, id: number, round: Round): void {
    const generation = this.#generation + 1;
    this.#beginJob(KIND_ROUND, [generation, mark.version, mark.term, mark.solo, id, round]);
  }

  /**
   * Appends round `id`, a later round of the big checkpoint the log starts
   * with, in one write; false, with nothing written, when the log cannot
   * take it so (it does not end with that checkpoint's rounds, a record
   * ends it torn, or the area would pass COMPACT_WHOLE_AT_AREA_FRACTION):
   * the joiner then compacts at its install, as a whole round's joiner does.
   */
  appendRound(mark: LogMark, id: number, round: Round): boolean {
    if (this.#job !== null || !this.#roundsLast || this.#dirty) return false;
    const record = this.#record(KIND_ROUND, [mark.version, mark.term, mark.solo, id, round]);
    if (this.#head + record.length > this.#areaBytes * COMPACT_WHOLE_AT_AREA_FRACTION) return false;
    this.#write(record);
    return true;
  }

  #beginJob(kind: number, payload: unknown[]): void {
    this.cancelCompaction();
    this.#job = {
      kind,
      next: this.#area === 0 ? 1 : 0,
      generation: payload[0] as number,
      encoding: new SlicedEncoding(payload, RECORD_LIMITS),
      head: new Uint8Array(this.#padded(HEADER_BYTES)).fill(ERASED),
      headFilled: HEADER_BYTES,
      tail: new Uint8Array(0),
      written: 0,
      crcWritten: 0,
      crcRead: 0,
      checked: 0,
      crc: 0,
    };
  }

  /** Gives up the compaction under way: what it wrote is in the redundant area, erased again by the next. */
  cancelCompaction(): void {
    const job = this.#job;
    this.#job = null;
    if (job !== null && job.written > 0) this.#erasedAhead = 0;
  }

  /**
   * One step of the compaction under way, of about `bytes`: erasing a block
   * of the area it goes to, encoding a slice of the snapshot and writing
   * it, or reading a slice back into its CRC; the record's first write
   * unit, with its header, goes last. True once the log lives in that area
   * (or when none was under way). Until then the live area is as it was,
   * and the new one has no first record: a power cut at any step leaves
   * the live area the log. Throws StoreFullError when the snapshot takes
   * more than its share (written no further), and the store's errors; the
   * compaction is then given up.
   */
  compactSlice(bytes: number): boolean {
    const job = this.#job;
    if (job === null) return true;
    try {
      return this.#compactStep(job, bytes);
    } catch (error) {
      this.cancelCompaction();
      throw error;
    }
  }

  #compactStep(job: CompactionJob, bytes: number): boolean {
    if (this.#erasedAhead < this.#areaBlocks) {
      this.#region.erase(job.next * this.#areaBlocks + this.#erasedAhead);
      this.#erasedAhead += 1;
      return false;
    }
    const base = job.next * this.#areaBytes;
    const head = job.head;
    const { encoding } = job;
    if (!encoding.done) {
      const slice = encoding.step(bytes);
      this.#checkShare(this.#padded(HEADER_BYTES + encoding.written));
      job.crcWritten = crc32c(slice, 0, slice.length, job.crcWritten);
      // The payload's first bytes share the head's write unit; the rest goes in whole units.
      const inHead = Math.min(head.length - job.headFilled, slice.length);
      head.set(slice.subarray(0, inHead), job.headFilled);
      job.headFilled += inHead;
      const pending = new Uint8Array(job.tail.length + slice.length - inHead);
      pending.set(job.tail);
      pending.set(slice.subarray(inHead), job.tail.length);
      const unit = this.#region.geometry.writeBytes;
      const whole = encoding.done
        ? this.#padded(pending.length)
        : pending.length - (pending.length % unit);
      if (whole > 0) {
        const piece = new Uint8Array(whole).fill(ERASED);
        piece.set(pending.subarray(0, Math.min(whole, pending.length)));
        this.#region.write(base + head.length + job.written, piece);
        job.written += whole;
      }
      job.tail = pending.slice(whole);
      if (encoding.done) {
        // Its length known, the header begins the record's CRC, with the payload's bytes in the head.
        writeHeader(head, job.kind, encoding.written);
        const end = job.headFilled;
        job.crc = crc32c(head, HEADER_BYTES, end, crc32c(head, 0, 8));
        job.crcRead = crc32c(head, HEADER_BYTES, end);
        job.checked = end - HEADER_BYTES;
      }
      return false;
    }
    const length = encoding.written;
    if (job.checked < length) {
      // Read back, so that the CRC is of what the flash holds, and that is what was written.
      const at = HEADER_BYTES + job.checked;
      const piece = this.#read(base + at, Math.min(bytes, length - job.checked));
      job.crc = crc32c(piece, 0, piece.length, job.crc);
      job.crcRead = crc32c(piece, 0, piece.length, job.crcRead);
      job.checked += piece.length;
      if (job.checked < length) return false;
    }
    if (job.crcRead !== job.crcWritten)
      throw new ReasonError({ code: 'written-otherwise', offset: base });
    new DataView(head.buffer).setUint32(8, job.crc, true);
    this.#region.write(base, head);
    this.#job = null;
    this.#area = job.next;
    this.#erasedAhead = 0;
    this.#generation = job.generation;
    this.#head = this.#padded(HEADER_BYTES + length);
    this.#dirty = false;
    this.#whole = true;
    this.#roundsLast = job.kind === KIND_ROUND;
    return true;
  }

  #checkShare(size: number): void {
    const max = this.#areaBytes * COMPACT_AT_AREA_FRACTION;
    if (size > max) throw new StoreFullError({ code: 'snapshot-too-big', bytes: size, max });
  }

  /** Writes `snapshot` at the start of the other area: from then on it is the log. */
  compact(mark: LogMark, snapshot: Snapshot): void {
    this.cancelCompaction();
    const next = this.#area === 0 ? 1 : 0;
    const generation = this.#generation + 1;
    const record = this.#record(KIND_SNAPSHOT, [
      generation,
      mark.version,
      mark.term,
      mark.solo,
      snapshot,
    ]);
    this.#checkShare(record.length);
    const first = next * this.#areaBlocks;
    for (let block = first + this.#erasedAhead; block < first + this.#areaBlocks; block++) {
      this.#region.erase(block);
    }
    this.#area = next;
    this.#erasedAhead = 0;
    // Until the snapshot is written whole, the area just left holds the only log.
    this.#whole = false;
    this.#generation = generation;
    this.#head = 0;
    this.#dirty = false;
    this.#write(record);
    this.#whole = true;
    this.#roundsLast = false;
  }

  /** A block of the area the next compaction writes is left to erase ahead (eraseAhead). */
  get eraseAheadDue(): boolean {
    return this.#whole && this.#erasedAhead < this.#areaBlocks;
  }

  /**
   * Erases the next block of the area the next compaction writes, if one is
   * left; false when none is, or when the live area is not known to hold a
   * whole log (the other may then hold the only one that reads).
   */
  eraseAhead(): boolean {
    if (!this.eraseAheadDue) return false;
    const other = this.#area === 0 ? 1 : 0;
    this.#region.erase(other * this.#areaBlocks + this.#erasedAhead);
    this.#erasedAhead += 1;
    return true;
  }

  /** `payload` as a record of `kind`, encoded straight into it (the payload is never held apart). */
  #record(kind: number, payload: unknown): Uint8Array {
    return withEncodedCbor(payload, RECORD_LIMITS, (encoded) => {
      const record = new Uint8Array(this.#padded(HEADER_BYTES + encoded.length)).fill(ERASED);
      writeHeader(record, kind, encoded.length);
      const view = new DataView(record.buffer);
      record.set(encoded, HEADER_BYTES);
      const end = HEADER_BYTES + encoded.length;
      view.setUint32(8, crc32c(record, HEADER_BYTES, end, crc32c(record, 0, 8)), true);
      return record;
    });
  }

  #write(record: Uint8Array): void {
    const size = record.length;
    const offset = this.#area * this.#areaBytes + this.#head;
    // One program operation for the whole record (a file-backed store syncs
    // once per write): a cut tears it, and a torn record fails its CRC.
    this.#region.write(offset, record);
    this.#head += size;
  }

  /**
   * Area `index`'s first whole record, where its whole records end, and the
   * mark of its last. Each is read, decoded and checked, then let go:
   * recovery holds one record at a time, not a log nor a list of where its
   * records lie (hundreds of objects after a busy minute), until the chosen
   * log is read again.
   */
  #readArea(index: number): AreaRead {
    const base = index * this.#areaBytes;
    let first: RecordPlace | null = null;
    let at = 0;
    let generation = 0;
    let mark: LogMark | null = null;
    let malformed: Fact | null = null;
    let roundBytes = 0;
    const erasedBytes = this.#erasedUntil(index, 0);
    while (at + HEADER_BYTES <= this.#areaBytes) {
      const record = this.#readRecord(base + at, this.#areaBytes - at);
      if (record === null) break;
      const isFirst = first === null;
      if (isFirst) {
        if (record.kind !== KIND_ENTRIES) generation = Number((record.payload as unknown[])[0]);
        first = { kind: record.kind, offset: base + at, bytes: record.bytes };
      } else if (record.kind === KIND_ROUND) {
        // Rounds follow only the first round, and come before any entries.
        if (first?.kind !== KIND_ROUND || roundBytes !== at) break;
      } else if (record.kind !== KIND_ENTRIES) {
        break;
      }
      at += record.bytes;
      if (record.kind === KIND_ROUND) roundBytes = at;
      if (malformed !== null) continue;
      try {
        mark = recordContent(record, isFirst).mark;
      } catch (error) {
        malformed = errorFact(error);
      }
    }
    return { first, generation, end: at, roundBytes, erasedBytes, mark, malformed };
  }

  /** What the record at `place` says (it was read whole before: reading it again must give it). */
  #contentAt(place: RecordPlace, first: boolean): RecordContent {
    const record = this.#readRecord(place.offset, place.bytes);
    if (record === null || record.kind !== place.kind) {
      throw changedSinceOpened(place.offset);
    }
    return recordContent(record, first);
  }

  /** The round records from `start`, an area's first, to `end` (read whole before). */
  #roundsBetween(start: number, end: number): LoggedRound[] {
    const rounds: LoggedRound[] = [];
    for (let at = start; at < end; ) {
      const record = this.#readRecord(at, end - at);
      if (record === null || record.kind !== KIND_ROUND) throw changedSinceOpened(at);
      const { round } = recordContent(record, at === start);
      if (round !== null) rounds.push(round);
      at += record.bytes;
    }
    return rounds;
  }

  /** The entries of the entry records from `start` to `end` (read whole before), one record at a time. */
  *#entriesBetween(start: number, end: number): Generator<StoredEntry> {
    for (let at = start; at < end; ) {
      const record = this.#readRecord(at, end - at);
      if (record === null || record.kind !== KIND_ENTRIES) {
        throw changedSinceOpened(at);
      }
      yield* recordContent(record, false).entries;
      at += record.bytes;
    }
  }

  #readRecord(offset: number, room: number): Record | null {
    const header = this.#read(offset, HEADER_BYTES);
    if (header[0] !== MAGIC_0 || header[1] !== MAGIC_1) return null;
    const kind = header[2] as number;
    if (kind !== KIND_SNAPSHOT && kind !== KIND_ENTRIES && kind !== KIND_ROUND) return null;
    const view = new DataView(header.buffer, header.byteOffset, HEADER_BYTES);
    const length = view.getUint32(4, true);
    if (HEADER_BYTES + length > room) return null;
    const reader = new CborStream(RECORD_LIMITS);
    let crc = crc32c(header, 0, 8);
    for (let at = 0; at < length; at += READ_BYTES_MAX) {
      const piece = this.#read(offset + HEADER_BYTES + at, Math.min(READ_BYTES_MAX, length - at));
      crc = crc32c(piece, 0, piece.length, crc);
      reader.push(piece);
    }
    if (crc !== view.getUint32(8, true)) return null;
    try {
      return { kind, payload: reader.finish(), bytes: this.#padded(HEADER_BYTES + length) };
    } catch {
      return null;
    }
  }

  /**
   * Where, from `at` on, area `index`'s first byte that is not erased lies
   * (the area's size when none is), read in pieces of READ_BYTES_MAX.
   */
  #erasedUntil(index: number, at: number): number {
    const start = index * this.#areaBytes;
    const end = start + this.#areaBytes;
    for (let offset = start + at; offset < end; offset += READ_BYTES_MAX) {
      const piece = this.#read(offset, Math.min(READ_BYTES_MAX, end - offset));
      const erased = erasedPrefix(piece);
      if (erased < piece.length) return offset + erased - start;
    }
    return this.#areaBytes;
  }

  #read(offset: number, length: number): Uint8Array {
    try {
      return this.#region.read(offset, length);
    } catch (error) {
      throw new StoreReadError(`store read of ${length} bytes at ${offset} failed`, {
        cause: error,
      });
    }
  }

  #padded(bytes: number): number {
    const unit = this.#region.geometry.writeBytes;
    return Math.ceil(bytes / unit) * unit;
  }
}

/** A compaction a slice at a time: where it goes, and how far it got. */
interface CompactionJob {
  /** The record it writes: a snapshot, or a big checkpoint's first round. */
  readonly kind: number;
  readonly next: 0 | 1;
  readonly generation: number;
  readonly encoding: SlicedEncoding;
  /** The record's first write unit(s), written last: its header, then the payload's first bytes. */
  readonly head: Uint8Array;
  headFilled: number;
  /** Payload bytes short of a write unit, kept for the next slice. */
  tail: Uint8Array;
  /** Bytes written after the head. */
  written: number;
  /** CRC-32C of the payload as encoded, and as read back. */
  crcWritten: number;
  crcRead: number;
  /** Payload bytes read back into `crc`, the record's CRC (header, then payload). */
  checked: number;
  crc: number;
}

/** A record's first 8 bytes into `record`: magic, kind, 0, payload length (its CRC follows). */
function writeHeader(record: Uint8Array, kind: number, length: number): void {
  record[0] = MAGIC_0;
  record[1] = MAGIC_1;
  record[2] = kind;
  record[3] = 0;
  new DataView(record.buffer, record.byteOffset).setUint32(4, length, true);
}

interface AreaRead {
  /** The area's first whole record (its base when a snapshot), or null when it has none. */
  readonly first: RecordPlace | null;
  readonly generation: number;
  /** Offset just past the last whole record. */
  readonly end: number;
  /** Offset just past the rounds the area starts with (0 when it starts otherwise). */
  readonly roundBytes: number;
  /** How many bytes from its start read erased: its size when nothing was written since its erase. */
  readonly erasedBytes: number;
  /** The last record's mark: where the processor stood when it wrote it. */
  readonly mark: LogMark | null;
  /** Why a whole record is not what the log writes, or null when each is. */
  readonly malformed: Fact | null;
}

/**
 * How many of `bytes` from the start are erased. A boot scans up to a whole
 * area: four bytes a step where the bytes lie aligned for it, and plain
 * loops, not every() with a callback per byte (an engine like XS runs each
 * step as bytecode).
 */
function erasedPrefix(bytes: Uint8Array): number {
  let at = 0;
  if (bytes.byteOffset % 4 === 0) {
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2);
    let word = 0;
    while (word < words.length && words[word] === ERASED_WORD) word++;
    at = word * 4;
  }
  while (at < bytes.length && bytes[at] === ERASED) at++;
  return at;
}

function changedSinceOpened(offset: number): Error {
  return new ReasonError({ code: 'record-changed', offset });
}

/** One record as the log writes it (`first`: an area's first). Throws when it has another shape. */
function recordContent(record: Record, first: boolean): RecordContent {
  const fields = record.payload as unknown[];
  if (!Array.isArray(fields))
    throw new ReasonError({ code: 'bad-field', field: 'record', want: 'list' });
  if (record.kind === KIND_SNAPSHOT && first) {
    const [, version, term, solo, body] = fields;
    const snapshot = parseSnapshot(body);
    return { mark: readMark(version, term, solo), snapshot, round: null, entries: [] };
  }
  if (record.kind === KIND_ROUND) {
    // The first round's record leads with the generation it starts.
    const [version, term, solo, id, body] = first ? fields.slice(1) : fields;
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0)
      throw new ReasonError({ code: 'bad-field', field: 'round id', want: 'count' });
    const round = { id, round: parseRound(body) };
    return { mark: readMark(version, term, solo), snapshot: null, round, entries: [] };
  }
  const [version, term, solo, list] = fields;
  const mark = readMark(version, term, solo);
  if (!Array.isArray(list))
    throw new ReasonError({ code: 'bad-field', field: 'entries', want: 'list' });
  const entries = list.map((item) => ({ version: mark.version, entry: parseEntry(item) }));
  return { mark, snapshot: null, round: null, entries };
}

function readMark(version: unknown, term: unknown, solo: unknown): LogMark {
  if (typeof version !== 'string' || !Number.isSafeInteger(term) || typeof solo !== 'boolean') {
    throw new ReasonError({ code: 'bad-field', field: 'record mark' });
  }
  return { version, term: term as number, solo };
}
