/**
 * A retained app's durable copy: a write-ahead log of checkpoint entries
 * with periodic snapshots, in a board's durable region (the seed's "file
 * state"). Layout: the region is two areas of equal size (A: the first half
 * of its erase blocks, B: the second). The live area starts with a snapshot
 * record (or, in a store's first area, straight with entries on the app's
 * initial state) and continues with entry records, one per group commit.
 * Compaction writes a snapshot of the current state at the start of the
 * other area (erased first) with the next generation number; the old area
 * is left alone until the next compaction erases it. So every erase leaves
 * one whole log behind, each area is erased once every two compactions
 * (the areas take turns: wear is spread over every block), and the space is
 * bounded by the region.
 *
 * Record: magic 'T' 'D', kind, 0, payload length (u32 LE), CRC-32C of those
 * 8 bytes and the payload (u32 LE), then the CBOR payload, padded with 0xff
 * to the write unit. Reading stops at the first record that is erased or
 * fails its CRC: a write torn by a power cut ends the log there, and what
 * it carried was never acknowledged (replies wait for the write).
 */
import type { DurableRegion } from '../hal.ts';
import { type CborLimits, decodeCbor, encodeCbor } from '../wire/cbor.ts';
import { crc32c } from '../wire/crc32c.ts';
import {
  type CheckpointEntry,
  entryToWire,
  parseEntry,
  parseSnapshot,
  type Snapshot,
} from './messages.ts';

const MAGIC_0 = 0x54;
const MAGIC_1 = 0x44;
const HEADER_BYTES = 12;
const ERASED = 0xff;

const KIND_SNAPSHOT = 1;
const KIND_ENTRIES = 2;

/** Records are decoded with these bounds (a snapshot may be large, as a big checkpoint). */
const RECORD_LIMITS: CborLimits = { bytesMax: 4 * 1024 * 1024, depthMax: 32, itemsMax: 1_000_000 };

/**
 * Compaction starts once the live area is this full. A snapshot may take at
 * most the same share of an area: the rest is room for the entries after it.
 */
export const COMPACT_AT_AREA_FRACTION = 0.5;

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

/** What a store holds: a base (a snapshot, or null for the app's initial state) and the entries after it. */
export interface StoredLog {
  readonly mark: LogMark;
  readonly snapshot: Snapshot | null;
  /** The entries after the base, each with the app version that wrote it. */
  readonly entries: readonly { readonly version: string; readonly entry: CheckpointEntry }[];
}

/** The last transaction a log holds, read from its records alone (no app needed to replay them). */
export function lastTxn(log: StoredLog): number {
  return Math.max(log.snapshot?.txn ?? 0, log.entries.at(-1)?.entry.txn ?? 0);
}

export type LogOpening =
  | { readonly kind: 'empty' }
  | { readonly kind: 'found'; readonly log: StoredLog }
  /** Bytes that are not a log: refused, never taken for an empty store. */
  | { readonly kind: 'unreadable'; readonly detail: string };

/** Counters for cost figures: how hard the store works. */
export interface LogStats {
  writes: number;
  bytesWritten: number;
  erases: number;
  compactions: number;
}

/** A store too small for the state: the log cannot be kept within its bounds. */
export class StoreFullError extends Error {
  readonly storeFull = true;
  readonly code = 'store-full';
  override name = 'StoreFullError';
}

interface Record {
  readonly kind: number;
  readonly payload: unknown;
  /** Bytes the record takes, padding included. */
  readonly bytes: number;
}

export class DurableLog {
  readonly stats: LogStats = { writes: 0, bytesWritten: 0, erases: 0, compactions: 0 };
  readonly #region: DurableRegion;
  readonly #areaBlocks: number;
  readonly #areaBytes: number;
  /** The live area (0 or 1), its generation and where the next record goes; -1: not opened for writing. */
  #area = -1;
  #generation = 0;
  #head = 0;
  /** A record ends the log past the head (a torn write): append only after a compaction. */
  #dirty = true;

  constructor(region: DurableRegion) {
    const g = region.geometry;
    if (g.blockCount < 2 || g.eraseBlockBytes % g.writeBytes !== 0) {
      throw new RangeError(
        `a store needs at least 2 erase blocks of a whole number of write units, not ${g.blockCount} of ${g.eraseBlockBytes} bytes`,
      );
    }
    this.#region = region;
    this.#areaBlocks = Math.floor(g.blockCount / 2);
    this.#areaBytes = this.#areaBlocks * g.eraseBlockBytes;
  }

  /** Bytes of one area: the most a snapshot and the entries after it may take together. */
  get areaBytes(): number {
    return this.#areaBytes;
  }

  /** Reads the store: the newest whole log in it. Positions the head for appending. */
  open(): LogOpening {
    const areas = [this.#readArea(0), this.#readArea(1)];
    let best = -1;
    for (const index of [0, 1]) {
      const area = areas[index];
      if (area === undefined || area.records.length === 0) continue;
      if (best === -1 || area.generation > (areas[best]?.generation ?? -1)) best = index;
    }
    if (best === -1) {
      if (areas.every((a) => a?.erased === true)) {
        this.#area = 0;
        this.#generation = 0;
        this.#head = 0;
        this.#dirty = false;
        return { kind: 'empty' };
      }
      return {
        kind: 'unreadable',
        detail: 'the store holds bytes that are not a log (no whole first record in either area)',
      };
    }
    const area = areas[best] as AreaRead;
    this.#area = best;
    this.#generation = area.generation;
    this.#head = area.end;
    this.#dirty = !this.#erasedFrom(best, area.end);
    try {
      return { kind: 'found', log: readLog(area.records) };
    } catch (error) {
      return {
        kind: 'unreadable',
        detail: `a record is not what the log writes: ${String(error)}`,
      };
    }
  }

  /** An entry record's size once written, to decide between appending and compacting. */
  recordBytes(payload: unknown): number {
    return this.#padded(HEADER_BYTES + encodeCbor(payload, RECORD_LIMITS).length);
  }

  /**
   * Group commit: one record with every entry since the last one. Compacts
   * instead (`snapshot()` gives the current state, which includes these
   * entries) when the live area is past its share or the record does not fit.
   */
  commit(mark: LogMark, entries: readonly CheckpointEntry[], snapshot: () => Snapshot): void {
    const payload = [mark.version, mark.term, mark.solo, entries.map(entryToWire)];
    const bytes = encodeCbor(payload, RECORD_LIMITS);
    const size = this.#padded(HEADER_BYTES + bytes.length);
    if (
      this.#area === -1 ||
      this.#dirty ||
      this.#head + size > this.#areaBytes * COMPACT_AT_AREA_FRACTION
    ) {
      this.compact(mark, snapshot());
      return;
    }
    this.#write(KIND_ENTRIES, bytes);
  }

  /** Writes `snapshot` at the start of the other area: from then on it is the log. */
  compact(mark: LogMark, snapshot: Snapshot): void {
    const next = this.#area === 0 ? 1 : 0;
    const generation = this.#generation + 1;
    const bytes = encodeCbor(
      [generation, mark.version, mark.term, mark.solo, snapshot],
      RECORD_LIMITS,
    );
    const size = this.#padded(HEADER_BYTES + bytes.length);
    if (size > this.#areaBytes * COMPACT_AT_AREA_FRACTION) {
      throw new StoreFullError(
        `a snapshot of ${size} bytes is over the ${this.#areaBytes * COMPACT_AT_AREA_FRACTION} an area of this store gives it: a bigger store region is needed`,
      );
    }
    const first = next * this.#areaBlocks;
    for (let block = first; block < first + this.#areaBlocks; block++) {
      this.#region.erase(block);
      this.stats.erases += 1;
    }
    this.#area = next;
    this.#generation = generation;
    this.#head = 0;
    this.#dirty = false;
    this.stats.compactions += 1;
    this.#write(KIND_SNAPSHOT, bytes);
  }

  #write(kind: number, payload: Uint8Array): void {
    const size = this.#padded(HEADER_BYTES + payload.length);
    const record = new Uint8Array(size).fill(ERASED);
    record[0] = MAGIC_0;
    record[1] = MAGIC_1;
    record[2] = kind;
    record[3] = 0;
    new DataView(record.buffer).setUint32(4, payload.length, true);
    record.set(payload, HEADER_BYTES);
    const crc = crc32c(concat(record.subarray(0, 8), payload));
    new DataView(record.buffer).setUint32(8, crc, true);
    const offset = this.#area * this.#areaBytes + this.#head;
    // One program operation for the whole record (a file-backed store syncs
    // once per write): a cut tears it, and a torn record fails its CRC.
    this.#region.write(offset, record);
    this.#head += size;
    this.stats.writes += 1;
    this.stats.bytesWritten += size;
  }

  #readArea(index: number): AreaRead {
    const base = index * this.#areaBytes;
    const records: Record[] = [];
    let at = 0;
    let generation = 0;
    const erased = this.#erasedFrom(index, 0);
    while (at + HEADER_BYTES <= this.#areaBytes) {
      const record = this.#readRecord(base + at, this.#areaBytes - at);
      if (record === null) break;
      if (records.length === 0) {
        if (record.kind === KIND_SNAPSHOT) generation = Number((record.payload as unknown[])[0]);
      } else if (record.kind !== KIND_ENTRIES) {
        break;
      }
      records.push(record);
      at += record.bytes;
    }
    return { records, generation, end: at, erased };
  }

  #readRecord(offset: number, room: number): Record | null {
    const header = this.#region.read(offset, HEADER_BYTES);
    if (header[0] !== MAGIC_0 || header[1] !== MAGIC_1) return null;
    const kind = header[2] as number;
    if (kind !== KIND_SNAPSHOT && kind !== KIND_ENTRIES) return null;
    const view = new DataView(header.buffer, header.byteOffset, HEADER_BYTES);
    const length = view.getUint32(4, true);
    if (HEADER_BYTES + length > room) return null;
    const payload = this.#region.read(offset + HEADER_BYTES, length);
    if (crc32c(concat(header.subarray(0, 8), payload)) !== view.getUint32(8, true)) return null;
    try {
      return {
        kind,
        payload: decodeCbor(payload, RECORD_LIMITS),
        bytes: this.#padded(HEADER_BYTES + length),
      };
    } catch {
      return null;
    }
  }

  /** Every byte of area `index` from `at` on is erased. */
  #erasedFrom(index: number, at: number): boolean {
    const length = this.#areaBytes - at;
    if (length <= 0) return true;
    return this.#region.read(index * this.#areaBytes + at, length).every((b) => b === ERASED);
  }

  #padded(bytes: number): number {
    const unit = this.#region.geometry.writeBytes;
    return Math.ceil(bytes / unit) * unit;
  }
}

interface AreaRead {
  readonly records: Record[];
  readonly generation: number;
  /** Offset just past the last whole record. */
  readonly end: number;
  /** Nothing was ever written in it since its erase. */
  readonly erased: boolean;
}

/** The records of one area as a log. Throws when one does not have the shape the log writes. */
function readLog(records: readonly Record[]): StoredLog {
  let snapshot: Snapshot | null = null;
  let mark: LogMark | null = null;
  const entries: { version: string; entry: CheckpointEntry }[] = [];
  for (const [index, record] of records.entries()) {
    const fields = record.payload as unknown[];
    if (!Array.isArray(fields)) throw new Error('record is not an array');
    if (record.kind === KIND_SNAPSHOT && index === 0) {
      const [, version, term, solo, body] = fields;
      mark = readMark(version, term, solo);
      snapshot = parseSnapshot(body);
    } else {
      const [version, term, solo, list] = fields;
      mark = readMark(version, term, solo);
      if (!Array.isArray(list)) throw new Error('entries are not an array');
      for (const item of list) entries.push({ version: mark.version, entry: parseEntry(item) });
    }
  }
  if (mark === null) throw new Error('no records');
  return { mark, snapshot, entries };
}

function readMark(version: unknown, term: unknown, solo: unknown): LogMark {
  if (typeof version !== 'string' || !Number.isSafeInteger(term) || typeof solo !== 'boolean') {
    throw new Error('record mark');
  }
  return { version, term: term as number, solo };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
