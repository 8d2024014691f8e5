/**
 * Follows one board's journal over its host port: each `read` returns the
 * entries recorded since the last one, each with the power-on it belongs to.
 * A board that restarted (power-pull, fence) starts a new journal; the
 * reader notices and reads it from the start. Where the board tells its
 * clock in its answers, every read also brackets the skew between the
 * board's clock and the host's (`skew`).
 */
import type { JournalEntry, JournalPage } from '../../boards/journal.ts';
import { wallClockMs } from '../../boards/wall-clock.ts';
import type { BoardClient } from './board-client.ts';
import { ClockSkew } from './clock-skew.ts';

/** Pages read in one `read`, so a long backlog cannot stall the caller. */
const PAGES_PER_READ_MAX = 64;

/** A journal entry and the power-on of the board that recorded it (see JournalPage.powerOn). */
export type ReadEntry = JournalEntry & { readonly powerOn: number };

export class JournalReader {
  #powerOn = 0;
  #next = 0;
  /** Entries lost because the board dropped them before we read them. */
  dropped = false;
  /** The board's clock against the host's, from the reads so far. */
  readonly skew = new ClockSkew();

  /** `hostClockMs`: the host's clock, on the scale of the journal's `atMs`. */
  constructor(
    readonly board: BoardClient,
    readonly hostClockMs: () => number = wallClockMs,
  ) {}

  /** The power-on the last answer came from (0 before the first). */
  get powerOn(): number {
    return this.#powerOn;
  }

  /** New entries, oldest first; [] when the board does not answer. */
  async read(timeoutMs = 500): Promise<ReadEntry[]> {
    const entries: ReadEntry[] = [];
    for (let page = 0; page < PAGES_PER_READ_MAX; page++) {
      let answer: JournalPage;
      const sentMs = this.hostClockMs();
      try {
        answer = (await this.board.request(
          { op: 'journal', powerOn: this.#powerOn, since: this.#next },
          timeoutMs,
        )) as JournalPage;
      } catch {
        return entries;
      }
      if (typeof answer.clockMs === 'number') {
        this.skew.add(answer.powerOn, sentMs, answer.clockMs, this.hostClockMs());
      }
      this.dropped ||= answer.dropped;
      this.#powerOn = answer.powerOn;
      this.#next = answer.next;
      for (const entry of answer.entries) entries.push({ ...entry, powerOn: answer.powerOn });
      if (answer.entries.length === 0) return entries;
    }
    return entries;
  }

  /** Skips everything recorded so far: later reads return only what happens next. */
  async skipToEnd(): Promise<void> {
    while ((await this.read()).length > 0) {}
  }
}
