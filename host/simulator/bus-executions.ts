/**
 * The executions a field bus that loses replies can hide from the client
 * history: a request run twice, of which a client saw at most one answer.
 * Two answers a client saw are the history's to compare; one it never saw
 * is judged here, from its first execution as the history judges a
 * duplicate it saw (a fault open then excuses it as one open now does).
 */
import type { ClientReply } from '../../firmware/runtime/messages.ts';
import type { History } from '../history/client-history.ts';

interface Execution {
  readonly txn: number;
  delivered: boolean;
  readonly atMs: number;
}

export class BusExecutions {
  /** Each request's first execution the bus carried a reply of, by `client#syncId`. */
  readonly #first = new Map<string, Execution>();

  constructor(readonly history: History) {}

  /** An ok reply to `key` (`client#syncId`) went out on the bus at `atMs`, `lost` or delivered. */
  replied(reply: Extract<ClientReply, { ok: true }>, lost: boolean, atMs: number): void {
    const key = `${reply.clientId}#${reply.syncId}`;
    const first = this.#first.get(key);
    if (first === undefined) {
      this.#first.set(key, { txn: reply.txn, delivered: !lost, atMs });
      return;
    }
    if (first.txn !== reply.txn && (!first.delivered || lost)) {
      this.history.duplicated += 1;
      this.history.violation(
        atMs,
        'executed-twice',
        `${key} ran as txn ${first.txn} and txn ${reply.txn} (a reply lost on the bus)`,
        first.atMs,
      );
    }
    first.delivered ||= !lost;
  }

  /** A new life of the state: its transactions are not the old one's. */
  clear(): void {
    this.#first.clear();
  }
}
