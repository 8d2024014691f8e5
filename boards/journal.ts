/**
 * A board's journal: the pair's notable events (roles, takeovers, switch
 * steps) in the order they happened, across the image's reboots. The host
 * reads it by sequence number to follow a switch live and, after a run, to
 * check that two primaries never served at once. Kept in RAM: a power-pull
 * loses what the host had not read yet, as it would on a real board.
 */
import type { PairEvent } from '../firmware/runtime/outputs.ts';

export type JournalEntry = PairEvent & {
  /** Increases by one per entry for this power-on of the board. */
  readonly seq: number;
  /** Wall-clock time in milliseconds (fractional), comparable across boards of one machine. */
  readonly atMs: number;
  /** The boot count of the image that recorded it. */
  readonly boot: number;
  /** The version of the image that recorded it. */
  readonly version: string;
};

/** The oldest entries are dropped beyond this many. */
export const JOURNAL_ENTRIES_MAX = 4096;
/** Entries in one `journal` answer: keeps it well inside a frame. */
export const JOURNAL_PAGE_ENTRIES_MAX = 12;

/** One page of the journal, as the `journal` management op answers. */
export interface JournalPage {
  /** Differs after every power-on: a reader holding another id starts again from 0. */
  readonly powerOn: number;
  readonly entries: JournalEntry[];
  /** The last sequence number in `entries` (or the one asked for): ask for entries after it next. */
  readonly next: number;
  /** Entries the reader had not read were dropped (it read too rarely). */
  readonly dropped: boolean;
  /**
   * The board's clock (the one `atMs` is on) as it answered, where the board
   * tells it: the host brackets the skew between its clock and the board's
   * between its send and receive times.
   */
  readonly clockMs?: number;
}

export class Journal {
  #entries: JournalEntry[] = [];
  #nextSeq = 1;

  /** `powerOn` identifies this power-on (e.g. the time it began). */
  constructor(readonly powerOn: number) {}

  record(event: PairEvent, atMs: number, boot: number, version: string): JournalEntry {
    const entry = { ...event, seq: this.#nextSeq++, atMs, boot, version };
    this.#entries.push(entry);
    if (this.#entries.length > JOURNAL_ENTRIES_MAX) this.#entries.shift();
    return entry;
  }

  /** Entries after `sinceSeq` of power-on `powerOn`, oldest first, at most one page. */
  page(powerOn: number, sinceSeq: number): JournalPage {
    const after = powerOn === this.powerOn ? sinceSeq : 0;
    const first = this.#entries[0]?.seq ?? this.#nextSeq;
    const entries = this.#entries
      .filter((entry) => entry.seq > after)
      .slice(0, JOURNAL_PAGE_ENTRIES_MAX);
    const last = entries.at(-1)?.seq ?? Math.max(after, first - 1);
    return { powerOn: this.powerOn, entries, next: last, dropped: after + 1 < first };
  }
}
