/**
 * Follows one board's journal over its host port: each `read` returns the
 * entries recorded since the last one, each with the power-on it belongs to.
 * A board that restarted (power-pull, fence) starts a new journal; the
 * reader notices and reads it from the start. Where the board tells its
 * clock in its answers, every read also brackets the skew between the
 * board's clock and the host's (`skew`).
 */
import { performance } from 'node:perf_hooks';
import type { JournalEntry, JournalPage } from '../../boards/journal.ts';
import { wallClockMs } from '../../boards/wall-clock.ts';
import type { BoardClient } from './board-client.ts';
import { STATUS_PATIENCE_MS, STATUS_READ_TIMEOUT_MS } from './board-watch.ts';
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
  async read(timeoutMs = STATUS_READ_TIMEOUT_MS): Promise<ReadEntry[]> {
    const entries: ReadEntry[] = [];
    for (let page = 0; page < PAGES_PER_READ_MAX; page++) {
      const fresh = await this.#page(timeoutMs);
      if (fresh === null) return entries;
      entries.push(...fresh);
      if (fresh.length === 0) return entries;
    }
    return entries;
  }

  /**
   * Every entry recorded so far, oldest first, where missing one would be
   * wrong (what a switch report or a run's checks rest on): a page the board
   * does not answer is asked for again, waiting twice as long each time,
   * until the board says there is no more or `patienceMs` has passed.
   */
  async readToEnd(patienceMs = STATUS_PATIENCE_MS): Promise<ReadEntry[]> {
    const deadline = performance.now() + patienceMs;
    const entries: ReadEntry[] = [];
    let timeoutMs = STATUS_READ_TIMEOUT_MS;
    for (let leftMs = patienceMs; leftMs > 0; leftMs = deadline - performance.now()) {
      const fresh = await this.#page(Math.min(timeoutMs, leftMs));
      if (fresh === null) {
        timeoutMs *= 2;
        continue;
      }
      timeoutMs = STATUS_READ_TIMEOUT_MS;
      entries.push(...fresh);
      if (fresh.length === 0) break;
    }
    return entries;
  }

  /** Skips everything recorded so far: later reads return only what happens next. */
  async skipToEnd(): Promise<void> {
    await this.readToEnd();
  }

  /** The next page of entries ([] when there is none), or null when the board does not answer. */
  async #page(timeoutMs: number): Promise<ReadEntry[] | null> {
    let answer: JournalPage;
    const sentMs = this.hostClockMs();
    try {
      answer = (await this.board.request(
        { op: 'journal', powerOn: this.#powerOn, since: this.#next },
        timeoutMs,
      )) as JournalPage;
    } catch {
      return null;
    }
    if (typeof answer.clockMs === 'number') {
      this.skew.add(answer.powerOn, sentMs, answer.clockMs, this.hostClockMs());
    }
    this.dropped ||= answer.dropped;
    this.#powerOn = answer.powerOn;
    this.#next = answer.next;
    return answer.entries.map((entry) => ({ ...entry, powerOn: answer.powerOn }));
  }
}
