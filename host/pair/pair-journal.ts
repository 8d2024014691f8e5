/**
 * Both boards' journals, read in the background for the length of a run:
 * the roles each board took and when, takeovers, switch steps and cold
 * starts. A run's checks read it afterwards (which version served from which
 * transaction, whether two primaries ever served at once); reports draw it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { BoardClient } from './board-client.ts';
import type { ClockSkew } from './clock-skew.ts';
import { JournalReader, type ReadEntry } from './journal-reader.ts';

export type PairJournalEntry = ReadEntry & { readonly processor: 1 | 2 };

/** How often the journals are read: often enough that a power-pull loses little. */
const READ_EVERY_MS = 20;

export class PairJournal {
  readonly entries: PairJournalEntry[] = [];
  readonly #readers: readonly JournalReader[];
  #running = false;
  #loop: Promise<void> = Promise.resolve();
  #startPowerOn: Record<1 | 2, number> = { 1: 0, 2: 0 };

  constructor(boards: readonly BoardClient[]) {
    this.#readers = boards.map((board) => new JournalReader(board));
  }

  /** True if some board dropped entries before they were read. */
  get incomplete(): boolean {
    return this.#readers.some((reader) => reader.dropped);
  }

  /** Each board's power-on when `start` was called: an entry of another one is a restart since. */
  get startPowerOn(): Readonly<Record<1 | 2, number>> {
    return this.#startPowerOn;
  }

  /** Each board's clock against the host's, from every read so far (P1, P2). */
  get skew(): Readonly<Record<1 | 2, ClockSkew | undefined>> {
    return { 1: this.#readers[0]?.skew, 2: this.#readers[1]?.skew };
  }

  /** Reads from now on (what happened before is skipped). */
  async start(): Promise<void> {
    await Promise.all(this.#readers.map((reader) => reader.skipToEnd()));
    this.#startPowerOn = {
      1: this.#readers[0]?.powerOn ?? 0,
      2: this.#readers[1]?.powerOn ?? 0,
    };
    this.#running = true;
    this.#loop = this.#run();
  }

  /** One last read, to the end of each journal (a busy board is asked again), then stops. */
  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
    await this.#readEach((reader) => reader.readToEnd());
  }

  async #run(): Promise<void> {
    while (this.#running) {
      await this.#readEach((reader) => reader.read(200));
      await sleep(READ_EVERY_MS);
    }
  }

  async #readEach(read: (reader: JournalReader) => Promise<ReadEntry[]>): Promise<void> {
    for (const [index, reader] of this.#readers.entries()) {
      const processor = index === 0 ? 1 : 2;
      for (const entry of await read(reader)) this.entries.push({ ...entry, processor });
    }
  }
}

const SERVING_ROLES: ReadonlySet<string> = new Set(['primary', 'primary-alone', 'switching']);

/**
 * Tells `history` which version served from which transaction on, as the
 * boards recorded it. A journal lives in its board's memory: a board pulled
 * at the handover loses the entry that says it took the roles, and may come
 * back serving from its durable store at a later transaction. The old
 * primary's "roles offered" entry says where its version stopped, so a
 * newer version seen serving next served from there on.
 */
export function markServingVersions(
  entries: readonly PairJournalEntry[],
  history: { servingFrom(txn: number, version: string): void },
): void {
  const ordered = [...entries].sort((a, b) => a.atMs - b.atMs);
  let version: string | null = null;
  let offeredAtTxn: number | null = null;
  for (const entry of ordered) {
    if (entry.kind !== 'role') continue;
    if (entry.cause === 'roles-offered') {
      offeredAtTxn = entry.txn;
    } else if (SERVING_ROLES.has(entry.role)) {
      const handedOver = offeredAtTxn !== null && entry.version !== version;
      history.servingFrom(
        handedOver ? Math.min(entry.txn, offeredAtTxn ?? 0) : entry.txn,
        entry.version,
      );
      version = entry.version;
      offeredAtTxn = null;
    }
  }
}
