/**
 * Reads a feed at a steady period and folds each reading into a PairView.
 * A reading waits for at most `readTimeoutMs` per board, and both boards are
 * read at once, so a silent board slows a refresh by that much, no more.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PairFeed, PairReading } from './pair-feed.ts';
import { PairView } from './pair-view.ts';

export class PairWatch {
  readonly view = new PairView();
  #running = false;
  #loop: Promise<void> = Promise.resolve();
  readonly #listeners: ((reading: PairReading) => void)[] = [];

  constructor(
    readonly feed: PairFeed,
    readonly intervalMs: number,
    readonly readTimeoutMs: number = Math.max(100, intervalMs),
  ) {}

  /** Called after each reading has been folded into the view. */
  onReading(listener: (reading: PairReading) => void): void {
    this.#listeners.push(listener);
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      const started = performance.now();
      const reading = await this.feed.read(this.readTimeoutMs);
      this.view.ingest(reading);
      for (const listener of this.#listeners) listener(reading);
      const left = this.intervalMs - (performance.now() - started);
      if (left > 0 && this.#running) await sleep(left);
    }
  }
}
