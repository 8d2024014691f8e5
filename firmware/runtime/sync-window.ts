/**
 * The sync ids a client's session ran, within SYNC_WINDOW of the highest:
 * a pipelining client's requests may run out of order, so "older than the
 * newest" does not mean "ran", and within the window the reply cache knows
 * exactly which did.
 *
 * Held as bits, not as a list: a list of 64 ids is a kilobyte of a 32-bit
 * XS heap per client (an array item is a 16-byte slot), more than the rest
 * of a session, on every processor and in every copy a big checkpoint makes.
 * Id `n` is bit `n % SYNC_WINDOW` of a ring of two 32-bit words; a bit
 * stands for the one id of its position that is inside the window.
 */

/** Sync ids a session remembers as run, below its highest. */
export const SYNC_WINDOW = 64;

const WORD_BITS = 32;

export class SyncWindow {
  #highest = -1;
  /** Bits of positions 0 to 31 and 32 to 63. */
  #low = 0;
  #high = 0;

  /** The highest sync id run; -1 before any. */
  get highest(): number {
    return this.#highest;
  }

  /** Whether `id` ran and is inside the window. */
  has(id: number): boolean {
    return this.#inside(id) && this.#bit(id);
  }

  /** `id` ran. Ids that fall SYNC_WINDOW below the highest are forgotten, `id` too if it is one. */
  add(id: number): void {
    if (id > this.#highest) {
      if (id - this.#highest >= SYNC_WINDOW) {
        this.#low = 0;
        this.#high = 0;
      } else {
        // The positions the window moves onto held ids SYNC_WINDOW lower.
        for (let stale = this.#highest + 1; stale < id; stale++) this.#set(stale, false);
      }
      this.#highest = id;
    }
    if (this.#inside(id)) this.#set(id, true);
  }

  /**
   * The window as a big checkpoint and the store carry it: the highest id
   * run and the two words, unsigned. Three numbers where a list of the ids
   * was up to 64, each a 16-byte slot in an XS array, in every copy.
   */
  words(): [number, number, number] {
    return [this.#highest, this.#low >>> 0, this.#high >>> 0];
  }

  /** Holds what `words()` gave, in place of what it held. */
  setWords(highest: number, low: number, high: number): void {
    this.#highest = highest;
    this.#low = low;
    this.#high = high;
  }

  /** The ids run, ascending. */
  list(): number[] {
    const ids: number[] = [];
    for (let id = Math.max(0, this.#highest - SYNC_WINDOW + 1); id <= this.#highest; id++) {
      if (this.#bit(id)) ids.push(id);
    }
    return ids;
  }

  #inside(id: number): boolean {
    return id <= this.#highest && id > this.#highest - SYNC_WINDOW;
  }

  #bit(id: number): boolean {
    const position = id % SYNC_WINDOW;
    const word = position < WORD_BITS ? this.#low : this.#high;
    return (word & (1 << (position % WORD_BITS))) !== 0;
  }

  #set(id: number, ran: boolean): void {
    const position = id % SYNC_WINDOW;
    const mask = 1 << (position % WORD_BITS);
    if (position < WORD_BITS) this.#low = ran ? this.#low | mask : this.#low & ~mask;
    else this.#high = ran ? this.#high | mask : this.#high & ~mask;
  }
}
