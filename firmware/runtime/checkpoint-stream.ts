/**
 * The primary's side of the checkpoint stream: executed requests' entries
 * waiting to be sent (group commit, in batches that fit a frame), and their
 * replies waiting until the backup acknowledges the channel sequence that
 * carried their entry. A reply is tied only to the sequence of its own entry.
 */
import {
  type CheckpointEntry,
  type ClientReply,
  ENVELOPE_LIMITS,
  type PeerBody,
} from './messages.ts';

/**
 * Checkpoint entries' bytes in one frame at most: the envelope around them
 * (addresses, status, sequence numbers, body tag) takes well under the rest.
 */
export const CHECKPOINT_BATCH_BYTES_MAX = ENVELOPE_LIMITS.bytesMax - 256;

/** A reply waiting until the backup acknowledges channel sequence `seq` (0: its entry is not sent yet). */
interface PendingReply {
  seq: number;
  /** The transaction whose checkpoint entry must reach the backup first. */
  readonly txn: number;
  readonly reply: ClientReply;
}

/** A checkpoint entry waiting to be sent, with its encoded size for group commit. */
interface OutboxEntry {
  readonly entry: CheckpointEntry;
  readonly bytes: number;
}

/** Puts a body on the reliable channel: its sequence number, or null when the queue is full. */
export type SendBody = (body: PeerBody) => number | null;

export class CheckpointStream {
  #outbox: OutboxEntry[] = [];
  #pending: PendingReply[] = [];
  /** Channel sequence of the last checkpoint batch sent. */
  #lastBatchSeq = 0;
  /** Encoded bytes of the entries waiting to be sent. */
  #unsentBytes = 0;
  /** Batches sent and not yet acknowledged: their channel sequence and bytes. */
  #unacked: { readonly seq: number; readonly bytes: number }[] = [];
  #unackedBytes = 0;
  /**
   * The last entry whose reply went before a backup held it (to a joiner
   * that could not take over yet), and the sequence of the batch that
   * carried it (0 until sent): a joiner is a backup only once it holds it.
   */
  #earlyTxn = 0;
  #earlySeq = 0;
  /** Replies that wait for the next batch sent: they go once the backup acknowledges a batch sent after them. */
  #awaitingBatch: ClientReply[] = [];

  /** Replies executed but not yet acknowledged by the backup. */
  get lag(): number {
    return this.#pending.length + this.#awaitingBatch.length;
  }

  /** Encoded bytes of the entries not yet acknowledged, sent or not: what a new one waits behind. */
  get backlogBytes(): number {
    return this.#unsentBytes + this.#unackedBytes;
  }

  /**
   * An executed request: its entry goes to the partner, and its reply waits
   * for the acknowledgement, or (null) has gone already.
   */
  add(entry: CheckpointEntry, bytes: number, reply: ClientReply | null): void {
    this.#outbox.push({ entry, bytes });
    this.#unsentBytes += bytes;
    if (reply !== null) this.#pending.push({ seq: 0, txn: entry.txn, reply });
    else this.#markEarly(entry.txn, 0);
  }

  /** An entry whose reply went before the partner held it is not sent yet. */
  get earlyUnsent(): boolean {
    return this.#earlyTxn !== 0 && this.#earlySeq === 0;
  }

  /** Whether the partner acknowledged every entry whose reply went before it held it. */
  earlyAcknowledged(peerAck: number): boolean {
    return this.#earlyTxn === 0 || (this.#earlySeq !== 0 && this.#earlySeq <= peerAck);
  }

  /**
   * A retry of a request whose reply still waits: the copy waits for the
   * same acknowledgement. False when no reply of that request waits. The
   * transaction tells which: a registration runs again once the reply cache
   * forgot its session, and both runs may wait at once.
   */
  addRetry(reply: ClientReply): boolean {
    const waiting = this.#pending.find(
      (p) =>
        p.reply.clientId === reply.clientId &&
        p.reply.syncId === reply.syncId &&
        p.txn === reply.txn,
    );
    if (waiting === undefined) return false;
    this.#pending.push({ seq: waiting.seq, txn: waiting.txn, reply });
    return true;
  }

  /**
   * A reply that runs no transaction but holds only while the partner is
   * still our backup (a refusal read from the reply cache, which a new
   * primary's sessions are not in): it waits for the acknowledgement of a
   * batch sent after it, empty if no entry is waiting.
   */
  addAfterNextBatch(reply: ClientReply): void {
    this.#awaitingBatch.push(reply);
  }

  /**
   * Group commit: entries gather while a batch is in flight and the line is
   * busy; an idle line sends them at once rather than wait for the ack.
   */
  due(peerAck: number, lineIdle: boolean, entriesMax: number): boolean {
    const inFlight = this.#lastBatchSeq > peerAck;
    if (this.#outbox.length === 0) return this.#awaitingBatch.length > 0 && (!inFlight || lineIdle);
    return !inFlight || lineIdle || this.#outbox.length >= entriesMax;
  }

  /**
   * Sends the queued entries in batches that fit a frame. Entries the
   * channel queue has no room for stay queued, and so do their replies.
   */
  send(sendBody: SendBody, entriesMax: number): number {
    let sentTxn = 0;
    let sentSeq = 0;
    let sentBytes = 0;
    let next = 0;
    let emptyDue = this.#outbox.length === 0 && this.#awaitingBatch.length > 0;
    while (next < this.#outbox.length || emptyDue) {
      emptyDue = false;
      const batch: CheckpointEntry[] = [];
      let bytes = 0;
      while (next < this.#outbox.length && batch.length < entriesMax) {
        const item = this.#outbox[next] as OutboxEntry;
        if (batch.length > 0 && bytes + item.bytes > CHECKPOINT_BATCH_BYTES_MAX) break;
        batch.push(item.entry);
        bytes += item.bytes;
        next += 1;
      }
      const seq = sendBody({ k: 'ckpt', entries: batch });
      if (seq === null) {
        next -= batch.length;
        break;
      }
      sentSeq = seq;
      sentBytes += bytes;
      this.#unacked.push({ seq, bytes });
      this.#unackedBytes += bytes;
      if (batch.length === 0) continue;
      sentTxn = (batch[batch.length - 1] as CheckpointEntry).txn;
      if (this.#earlySeq === 0 && sentTxn >= this.#earlyTxn) this.#earlySeq = seq;
    }
    this.#outbox = this.#outbox.slice(next);
    this.#unsentBytes -= sentBytes;
    if (sentSeq === 0) return 0;
    this.#lastBatchSeq = sentSeq;
    for (const reply of this.#awaitingBatch) this.#pending.push({ seq: sentSeq, txn: 0, reply });
    this.#awaitingBatch = [];
    if (sentTxn === 0) return 0;
    for (const pending of this.#pending) {
      if (pending.seq === 0 && pending.txn <= sentTxn) pending.seq = sentSeq;
    }
    return sentBytes;
  }

  /** The backup holds everything up to channel sequence `peerAck`: the replies that waited for it. */
  acknowledged(peerAck: number): ClientReply[] {
    let acked = 0;
    for (const batch of this.#unacked) {
      if (batch.seq > peerAck) break;
      this.#unackedBytes -= batch.bytes;
      acked += 1;
    }
    if (acked > 0) this.#unacked = this.#unacked.slice(acked);
    if (this.#pending.length === 0) return [];
    const released: ClientReply[] = [];
    const still: PendingReply[] = [];
    for (const pending of this.#pending) {
      if (pending.seq !== 0 && pending.seq <= peerAck) released.push(pending.reply);
      else still.push(pending);
    }
    this.#pending = still;
    return released;
  }

  /** The replies waiting go now; their entries still go to the partner (a joiner that cannot take over yet). */
  releaseReplies(): ClientReply[] {
    const released = [...this.#pending.map((p) => p.reply), ...this.#takeAwaitingBatch()];
    // The newest transaction among them (a retry's copy joins the list at its end), and
    // the mark only moves on: entries answered early after these may be newer still.
    let newest: PendingReply | undefined;
    for (const pending of this.#pending)
      if (newest === undefined || pending.txn > newest.txn) newest = pending;
    if (newest !== undefined && newest.txn > this.#earlyTxn)
      this.#markEarly(newest.txn, newest.seq);
    this.#pending = [];
    return released;
  }

  /** No backup will hold these entries: every waiting reply goes now, and nothing more is sent. */
  releaseAll(): ClientReply[] {
    const released = [...this.#pending.map((p) => p.reply), ...this.#takeAwaitingBatch()];
    this.#pending = [];
    this.dropUnsent();
    this.#forgetUnacked();
    return released;
  }

  /**
   * Entries not yet sent are dropped (a big checkpoint carries them, or the
   * partner restarted): the partner needs none of them, early ones included.
   */
  dropUnsent(): void {
    this.#outbox = [];
    this.#unsentBytes = 0;
    this.#markEarly(0, 0);
  }

  /** The entries' bytes in the batch sent as channel sequence `seq`, while it is not acknowledged (0 if none). */
  batchBytes(seq: number): number {
    return this.#unacked.find((batch) => batch.seq === seq)?.bytes ?? 0;
  }

  /** The channel starts over: its sequence numbers begin again. */
  resetSequence(): void {
    this.#lastBatchSeq = 0;
    this.#markEarly(0, 0);
    this.#forgetUnacked();
  }

  /** No acknowledgement will come for what was sent (the channel starts over, or no backup holds it). */
  #forgetUnacked(): void {
    this.#unacked = [];
    this.#unackedBytes = 0;
  }

  #takeAwaitingBatch(): ClientReply[] {
    const replies = this.#awaitingBatch;
    this.#awaitingBatch = [];
    return replies;
  }

  #markEarly(txn: number, seq: number): void {
    this.#earlyTxn = txn;
    this.#earlySeq = seq;
  }
}
