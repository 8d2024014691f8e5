/**
 * Follows one board's journal over its host port: each `read` returns the
 * entries recorded since the last one. A board that restarted (power-pull)
 * starts a new journal; the reader notices and reads it from the start.
 */
import type { JournalEntry, JournalPage } from '../../boards/journal.ts';
import type { BoardClient } from './board-client.ts';

/** Pages read in one `read`, so a long backlog cannot stall the caller. */
const PAGES_PER_READ_MAX = 64;

export class JournalReader {
  #powerOn = 0;
  #next = 0;
  /** Entries lost because the board dropped them before we read them. */
  dropped = false;

  constructor(readonly board: BoardClient) {}

  /** New entries, oldest first; [] when the board does not answer. */
  async read(timeoutMs = 500): Promise<JournalEntry[]> {
    const entries: JournalEntry[] = [];
    for (let page = 0; page < PAGES_PER_READ_MAX; page++) {
      let answer: JournalPage;
      try {
        answer = (await this.board.request(
          { op: 'journal', powerOn: this.#powerOn, since: this.#next },
          timeoutMs,
        )) as JournalPage;
      } catch {
        return entries;
      }
      this.dropped ||= answer.dropped;
      this.#powerOn = answer.powerOn;
      this.#next = answer.next;
      entries.push(...answer.entries);
      if (answer.entries.length === 0) return entries;
    }
    return entries;
  }

  /** Skips everything recorded so far: later reads return only what happens next. */
  async skipToEnd(): Promise<void> {
    while ((await this.read()).length > 0) {}
  }
}
