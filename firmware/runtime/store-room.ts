/**
 * The room a retained app's state has in its board's durable store: a named
 * limit that comes from the store's geometry (the board profile), and the
 * primary's judgement of each request against it. A full disk answers a
 * write with ENOSPC and keeps serving reads; so does a full store here:
 *
 * - The limit: a snapshot of the state and the reply cache, as compaction
 *   writes it, may take at most `snapshotBytesMax` (a quarter of a log
 *   area, SNAPSHOT_AREA_FRACTION_MAX in durable-log.ts: the rest is the
 *   log's room for the entries after it).
 * - A request after which the state would be larger, and its snapshot over
 *   the limit, is refused (`store-full`) before anything changes. The
 *   refusal is a transaction that changes nothing (logged, checkpointed,
 *   kept in the reply cache), so the backup holds the primary's answer and a
 *   retry gets it again after a takeover, in either checkpoint model.
 * - Requests that do not grow the state run as ever: reads, and deposits
 *   into accounts that exist.
 *
 * Measuring a snapshot costs an encoding of the state, so the primary keeps
 * an upper bound of its size instead: measured, plus for each request since
 * at most the bytes of its update and what the reply cache keeps of it (an
 * update never grows the state by more than its own encoding: App.apply).
 * While the bound leaves room a request runs as ever. Near the limit the
 * state is measured again, and a request that may not fit is tried on the
 * state itself through a view that logs its writes (write-log.ts): what it
 * touched, measured, decides, and a refusal undoes it. Such a try costs
 * the size of what the request changed, not of the state.
 */
import type { AnyApp } from '../app.ts';
import type { Reason, ReasonOf } from '../reasons.ts';
import { encodedLength, SlicedEncoding } from '../wire/cbor.ts';
import type { StoreFull } from './messages.ts';
import { type AppState, applyLogged } from './transactions.ts';

/** Sizes are measured with the bounds a store record is decoded with: a larger state fits no store. */
const MEASURE_LIMITS = { bytesMax: 4 * 1024 * 1024, depthMax: 32, itemsMax: 1_000_000 };

/**
 * Bytes the reply cache adds around a reply it keeps at most: the saved
 * reply's fields (its txn, a refusal's sizes), the sync id, and the sync id
 * in the list of those run.
 */
const CACHED_REPLY_OVERHEAD_BYTES = 64;

/**
 * How close to the limit, as a fraction of it, the room keeps the state's
 * size exactly (each request tried, write-log.ts) rather than bounding it:
 * farther off, the whole state is measured again at most once per this
 * fraction of the limit that requests may add.
 */
const NEAR_FRACTION = 1 / 8;

/** Bytes a new session adds to the reply cache besides its client id at most. */
const SESSION_OVERHEAD_BYTES = 8;

/** A snapshot's fields besides the state and the cache (names, state version, txn, term) at most. */
const SNAPSHOT_FIELDS_BYTES = (() => {
  const max = Number.MAX_SAFE_INTEGER;
  // Nulls stand for the state and the cache: one byte each.
  return encodedLength({ stateVersion: max, state: null, txn: max, term: max, cache: null }) - 2;
})();

/** What `status` shows of the room: the bound, the limit, and whether a request was refused for want of room. */
export interface RoomStatus {
  /** The primary's upper bound of a snapshot's bytes now; null when not known (not measured since it served). */
  readonly snapshotBytes: number | null;
  readonly snapshotBytesMax: number;
  /** A request was refused (store-full) and nothing since showed room for it. */
  readonly full: boolean;
}

/** A request as the room judges it: its update, and the bytes of what the reply cache keeps of it. */
export interface Growth {
  readonly update: unknown;
  readonly reply: unknown;
}

export type Judgement =
  /** Apply the update to the state as ever. */
  | { readonly kind: 'apply' }
  /** The update is applied already, to a copy: this is the state after it. */
  | { readonly kind: 'applied'; readonly state: AppState }
  | { readonly kind: 'refused'; readonly storeFull: StoreFull }
  /**
   * The bound reached the limit: the state and the reply cache are measured
   * first (RoomMeasure, a slice a call, with them held still), then the
   * request is judged again.
   */
  | { readonly kind: 'measure' };

export class StoreRoom {
  /** Upper bound of a snapshot's bytes; Infinity when not known. */
  #snapshotBytes = Infinity;
  /** The state's own bytes when the last measurement left them exact; null otherwise. */
  #stateBytes: number | null = null;
  /** While full: how much the refused request would have grown the snapshot; 0 when not full. */
  #refusedBytes = 0;

  constructor(readonly snapshotBytesMax: number) {}

  get status(): RoomStatus {
    const known = Number.isFinite(this.#snapshotBytes);
    return {
      snapshotBytes: known ? this.#snapshotBytes : null,
      snapshotBytesMax: this.snapshotBytesMax,
      full: this.full,
    };
  }

  get full(): boolean {
    return this.#refusedBytes > 0;
  }

  /** The state was replaced or changed without a judgement (another role, another history): measure again. */
  forget(): void {
    this.#snapshotBytes = Infinity;
    this.#stateBytes = null;
    this.#refusedBytes = 0;
  }

  /**
   * A snapshot of the state now takes at most `bytes`: as a whole big
   * checkpoint or a compaction's record showed. A backup keeps the bound
   * so (and by `followed`), so that it does not measure the whole state
   * in its first call as primary.
   */
  known(bytes: number): void {
    this.#snapshotBytes = bytes;
    this.#stateBytes = null;
  }

  /** The state and the reply cache's sessions take these bytes now (a RoomMeasure). */
  measured(sizes: MeasuredSizes): void {
    this.#measured(sizes.stateBytes, SNAPSHOT_FIELDS_BYTES + sizes.cacheBytes);
  }

  /** A backup applied a checkpoint's update, and keeps its reply: as a judged request grows the bound (if it has one). */
  followed(update: unknown, reply: unknown): void {
    if (this.#snapshotBytes === Infinity) return;
    this.#applies(measuredBytes(update) + cachedReplyBytes(reply));
  }

  /** A session begins in the reply cache (a registration), with the registration's reply. */
  registered(clientId: string): void {
    this.#snapshotBytes +=
      measuredBytes(clientId) + SESSION_OVERHEAD_BYTES + CACHED_REPLY_OVERHEAD_BYTES;
  }

  /** The reply cache keeps a refusal, with its reason if it has one. */
  refusalCached(why?: Reason): void {
    this.#snapshotBytes +=
      CACHED_REPLY_OVERHEAD_BYTES + (why === undefined ? 0 : measuredBytes(why));
  }

  /**
   * Judges a request the primary decided: whether it may change `state`.
   * `cacheBytes` measures the reply cache as a snapshot holds it. Near the
   * limit it applies the update itself ('applied'), or refuses it with
   * nothing changed.
   */
  judge(app: AnyApp, state: AppState, growth: Growth, cacheBytes: () => number): Judgement {
    const updateBytes = measuredBytes(growth.update);
    const cachedBytes = cachedReplyBytes(growth.reply);
    const bound = updateBytes + cachedBytes;
    if (this.#stateBytes === null) {
      if (this.#fits(bound)) return this.#applies(bound);
      // The bound reached the limit: what is there must be measured.
      return { kind: 'measure' };
    }
    // The state's bytes are known. Well short of the limit a request runs on
    // the bound again, and the next measure is many requests away; near it,
    // it is tried and what it changed measured, so that they stay known.
    if (!this.#near() && this.#fits(bound)) return this.#applies(bound);
    const before = this.#stateBytes ?? 0;
    let others = this.#snapshotBytes - before;
    // Try it: only the state after it tells whether it grows, and whether it fits.
    // Changed in place, what it touched is measured; another state is measured whole.
    const tried = applyLogged(app, state, growth.update);
    const afterBytes =
      tried.state === state && tried.log !== null
        ? before + tried.log.growth(measuredBytes)
        : measuredBytes(tried.state);
    const grows = afterBytes > before;
    if (afterBytes + others + cachedBytes > this.snapshotBytesMax) {
      // Refuse, or stay full, by what the cache takes, not by its bound.
      others = SNAPSHOT_FIELDS_BYTES + cacheBytes();
      this.#measured(before, others);
    }
    const snapshotBytes = afterBytes + others + cachedBytes;
    if (grows && snapshotBytes > this.snapshotBytesMax) {
      tried.log?.undo();
      this.#refusedBytes = snapshotBytes - this.#snapshotBytes;
      return {
        kind: 'refused',
        storeFull: { snapshotBytes, snapshotBytesMax: this.snapshotBytesMax },
      };
    }
    this.#measured(afterBytes, others + cachedBytes);
    return { kind: 'applied', state: tried.state };
  }

  /**
   * Whether a state the primary did not judge (another version's, converted)
   * and its reply cache, measured (a RoomMeasure), fit the room: null when
   * they do, and from then on their size is known; else what they would take.
   */
  admits(sizes: MeasuredSizes): StoreFull | null {
    const snapshotBytes = sizes.stateBytes + SNAPSHOT_FIELDS_BYTES + sizes.cacheBytes;
    if (snapshotBytes > this.snapshotBytesMax)
      return { snapshotBytes, snapshotBytesMax: this.snapshotBytesMax };
    this.measured(sizes);
    return null;
  }

  /** Whether the snapshot is within NEAR_FRACTION of the limit. */
  #near(): boolean {
    return this.#snapshotBytes > this.snapshotBytesMax * (1 - NEAR_FRACTION);
  }

  /** Whether the bound leaves `bytes` of room. */
  #fits(bytes: number): boolean {
    this.#roomShown();
    return this.#snapshotBytes + bytes <= this.snapshotBytesMax;
  }

  /** Once the bound leaves room for what was refused, the store is not full. */
  #roomShown(): void {
    if (this.#snapshotBytes + this.#refusedBytes <= this.snapshotBytesMax) this.#refusedBytes = 0;
  }

  /** The request runs on the state itself: it may add `bytes`, and the state's size is not known exactly any more. */
  #applies(bytes: number): Judgement {
    this.#snapshotBytes += bytes;
    this.#stateBytes = null;
    return { kind: 'apply' };
  }

  #measured(stateBytes: number, othersBytes: number): void {
    this.#stateBytes = stateBytes;
    this.#snapshotBytes = stateBytes + othersBytes;
    this.#roomShown();
  }
}

export interface MeasuredSizes {
  readonly stateBytes: number;
  readonly cacheBytes: number;
}

/**
 * The state and the reply cache's sessions measured as measuredBytes
 * does, by encoding them about `bytes` a step (SlicedEncoding) and keeping
 * only the count: a whole measure at the bench's large state was one call
 * of 1.2 million XS units. Both must hold still until it is done.
 */
export class RoomMeasure {
  readonly #encodings: SlicedEncoding[];
  readonly #bytes: number[] = [];

  constructor(state: AppState, sessions: unknown) {
    this.#encodings = [state, sessions].map((v) => new SlicedEncoding(v, MEASURE_LIMITS));
  }

  /** Measures the next slice; the sizes once both are measured, null before. */
  step(bytes: number): MeasuredSizes | null {
    const index = this.#bytes.length;
    const encoding = this.#encodings[index];
    if (encoding !== undefined) {
      try {
        encoding.step(bytes);
        if (encoding.done) this.#bytes.push(encoding.written);
      } catch {
        // Too large to encode: more than any store holds (measuredBytes).
        this.#bytes.push(MEASURE_LIMITS.bytesMax + 1);
      }
    }
    const [stateBytes, cacheBytes] = this.#bytes;
    if (stateBytes === undefined || cacheBytes === undefined) return null;
    return { stateBytes, cacheBytes };
  }
}

/** Why a `store-full` refusal was made (the client's reply and the alarm say it; the host renders it). */
export function noRoom(refused: StoreFull): ReasonOf<'no-room'> {
  return { code: 'no-room', bytes: refused.snapshotBytes, max: refused.snapshotBytesMax };
}

/** What the reply cache adds to a snapshot when it keeps `reply`, at most. */
function cachedReplyBytes(reply: unknown): number {
  return measuredBytes(reply) + CACHED_REPLY_OVERHEAD_BYTES;
}

/** Bytes of `value` encoded; a value too large to encode counts as more than any store holds. */
export function measuredBytes(value: unknown): number {
  try {
    return encodedLength(value, MEASURE_LIMITS);
  } catch {
    return MEASURE_LIMITS.bytesMax + 1;
  }
}

/** The bytes the reply cache's sessions take in a snapshot. */
export function cacheBytesOf(sessions: unknown): number {
  return measuredBytes(sessions);
}
