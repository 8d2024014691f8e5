/**
 * One client of a CorePair writing throughout to whichever board serves:
 * it registers (sync id 0) and waits for the ok, as a real client does,
 * then writes; one request out at a time, the same sync id again after
 * RETRY_MS without an ok, the next THINK_MS after an answer. A session the
 * pair no longer knows is an answer too: the writer stops there.
 */
import type { CorePair } from './core-pair.ts';

export class RetryingWriter {
  static readonly RETRY_MS = 100;
  static readonly THINK_MS = 10;
  /** The next request's sync id: 0 until the registration is acknowledged. */
  syncId = 0;
  /** When the outstanding request was last sent; null when none is out. */
  sentAtMs: number | null = null;
  nextAtMs = 0;
  /** The writes acknowledged, by sync id (the registration is not one). */
  readonly acknowledged = new Set<number>();
  /** The sync id the pair answered with `session-expired`, or null. */
  expiredAt: number | null = null;
  /** No new request once set; the outstanding one is still retried. */
  stopping = false;
  #seen = 0;

  constructor(
    readonly pair: CorePair,
    readonly clientId = 'w',
  ) {}

  step(): void {
    const { pair } = this;
    for (const reply of pair.replies.slice(this.#seen)) {
      if (reply.clientId !== this.clientId || reply.syncId !== this.syncId) continue;
      if (!reply.ok) {
        if (reply.error !== 'session-expired') continue;
        this.expiredAt = reply.syncId;
        this.stopping = true;
        this.sentAtMs = null;
        continue;
      }
      if (reply.syncId > 0) this.acknowledged.add(reply.syncId);
      this.syncId += 1;
      this.sentAtMs = null;
      this.nextAtMs = pair.nowMs + RetryingWriter.THINK_MS;
    }
    this.#seen = pair.replies.length;
    const due =
      this.sentAtMs === null
        ? !this.stopping && pair.nowMs >= this.nextAtMs
        : pair.nowMs - this.sentAtMs >= RetryingWriter.RETRY_MS;
    // A frozen board reads nothing: the request would wait in its UART.
    const board = ([0, 1] as const).find((b) => pair.cores[b]?.serving === true);
    if (!due || board === undefined || pair.frozen(board)) return;
    pair.request(board, this.clientId, this.syncId, null);
    this.sentAtMs = pair.nowMs;
  }

  get registered(): boolean {
    return this.syncId > 0;
  }

  /** Stopping, and the last request answered. */
  get idle(): boolean {
    return this.stopping && this.sentAtMs === null;
  }
}
