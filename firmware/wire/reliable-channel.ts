/**
 * A sans-I/O reliable, ordered channel: sequence numbers, cumulative acks,
 * a send window and retransmission on timeout. The caller moves segments and
 * acks between peers and supplies the time; nothing here reads a clock.
 *
 * Sequence numbers start at 1 and never wrap (a JS number counts far beyond
 * any link's lifetime). Ack 0 means "nothing received yet".
 */

import { WireArgumentError } from './errors.ts';

export interface ReliableChannelOptions {
  /** Segments sent but not yet acknowledged, at most; also the receiver's reorder buffer. */
  windowMax: number;
  /** Bodies accepted by send() and not yet acknowledged (in flight + waiting), at most. */
  queueMax: number;
  /** A segment is sent again this long after its last (re)transmission if still unacknowledged. */
  retransmitTimeoutMs: number;
}

export const DEFAULT_CHANNEL_OPTIONS: Readonly<ReliableChannelOptions> = Object.freeze({
  windowMax: 32,
  queueMax: 1024,
  retransmitTimeoutMs: 20,
});

export interface DataSegment<T> {
  readonly seq: number;
  readonly body: T;
  /** Set by poll() on a segment it sends again (never carried on the wire): for the sender's line counters. */
  readonly resent?: true;
}

function checkOptions(options: ReliableChannelOptions): void {
  const { windowMax, queueMax, retransmitTimeoutMs } = options;
  if (!Number.isSafeInteger(windowMax) || windowMax < 1) {
    throw new WireArgumentError({ code: 'bad-option', option: 'windowMax', value: windowMax });
  }
  if (!Number.isSafeInteger(queueMax) || queueMax < 1) {
    throw new WireArgumentError({ code: 'bad-option', option: 'queueMax', value: queueMax });
  }
  if (!Number.isFinite(retransmitTimeoutMs) || retransmitTimeoutMs < 0) {
    throw new WireArgumentError({
      code: 'bad-option',
      option: 'retransmitTimeoutMs',
      value: retransmitTimeoutMs,
    });
  }
}

export class ReliableChannel<T> {
  readonly #windowMax: number;
  readonly #queueMax: number;
  readonly #retransmitTimeoutMs: number;

  // Send side: a ring of queueMax slots holding every unacknowledged body,
  // oldest first. Seqs [oldestUnackedSeq, nextNewSeq) are in flight, the rest wait.
  readonly #sendBodies: (T | undefined)[];
  readonly #retransmitAtMs: Float64Array;
  #sendHead = 0;
  #oldestUnackedSeq = 1;
  #nextNewSeq = 1;
  #unackedCount = 0;

  // Receive side: seq `deliveredSeq` and all before it went to the caller; segments
  // ahead of it wait in a ring of windowMax slots indexed by seq % windowMax.
  #deliveredSeq = 0;
  readonly #reorderBodies: (T | undefined)[];
  readonly #reorderPresent: Uint8Array;
  #owed = false;

  constructor(options: Partial<ReliableChannelOptions> = {}) {
    const resolved: ReliableChannelOptions = { ...DEFAULT_CHANNEL_OPTIONS, ...options };
    checkOptions(resolved);
    this.#windowMax = resolved.windowMax;
    this.#queueMax = resolved.queueMax;
    this.#retransmitTimeoutMs = resolved.retransmitTimeoutMs;
    this.#sendBodies = new Array<T | undefined>(this.#queueMax).fill(undefined);
    this.#retransmitAtMs = new Float64Array(this.#queueMax);
    this.#reorderBodies = new Array<T | undefined>(this.#windowMax).fill(undefined);
    this.#reorderPresent = new Uint8Array(this.#windowMax);
  }

  /** Queue a body for reliable delivery. Returns false and queues nothing when queueMax bodies are already waiting or in flight. */
  send(body: T): boolean {
    if (this.#unackedCount >= this.#queueMax) return false;
    this.#sendBodies[(this.#sendHead + this.#unackedCount) % this.#queueMax] = body;
    this.#unackedCount++;
    return true;
  }

  /**
   * Segments to put on the wire now: new ones that fit the window, then
   * retransmissions of segments whose timer expired at `now` (each at most once).
   */
  poll(now: number, max = Number.POSITIVE_INFINITY): DataSegment<T>[] {
    const segments: DataSegment<T>[] = [];
    const inFlightEndSeq = this.#nextNewSeq;
    const retransmitAt = now + this.#retransmitTimeoutMs;
    // Retransmissions first: they hold up everything behind them at the receiver.
    for (let seq = this.#oldestUnackedSeq; seq < inFlightEndSeq && segments.length < max; seq++) {
      const slot = this.#sendSlot(seq);
      if ((this.#retransmitAtMs[slot] as number) <= now) {
        segments.push({ seq, body: this.#sendBodies[slot] as T, resent: true });
        this.#retransmitAtMs[slot] = retransmitAt;
      }
    }
    const windowEndSeq = Math.min(
      this.#oldestUnackedSeq + this.#unackedCount,
      this.#oldestUnackedSeq + this.#windowMax,
    );
    let seq = inFlightEndSeq;
    for (; seq < windowEndSeq && segments.length < max; seq++) {
      const slot = this.#sendSlot(seq);
      segments.push({ seq, body: this.#sendBodies[slot] as T });
      this.#retransmitAtMs[slot] = retransmitAt;
    }
    this.#nextNewSeq = Math.max(inFlightEndSeq, seq);
    return segments;
  }

  /**
   * Segment `seq` finishes leaving the sender at `doneAtMs`: its
   * retransmission timer counts from then. At a low baud rate a long frame
   * takes longer on the line than the timeout itself, and would otherwise
   * be sent again before its first copy could be acknowledged.
   */
  sentUntil(seq: number, doneAtMs: number): void {
    if (seq < this.#oldestUnackedSeq || seq >= this.#nextNewSeq) return;
    this.#retransmitAtMs[this.#sendSlot(seq)] = doneAtMs + this.#retransmitTimeoutMs;
  }

  /** Bodies the window would let poll() send now for the first time (the caller's pacing holds them). */
  get sendable(): number {
    const windowEndSeq = this.#oldestUnackedSeq + Math.min(this.#unackedCount, this.#windowMax);
    return Math.max(0, windowEndSeq - this.#nextNewSeq);
  }

  /**
   * An incoming data segment. Returns the bodies now deliverable in order.
   * Duplicates and segments beyond the reorder window are dropped; an ack is owed either way,
   * since a repeated segment usually means our last ack was lost.
   */
  receive(segment: DataSegment<T>): T[] {
    const seq = segment.seq;
    if (!Number.isSafeInteger(seq) || seq < 1) return [];
    this.#owed = true;
    if (seq <= this.#deliveredSeq || seq > this.#deliveredSeq + this.#windowMax) return [];
    if (seq !== this.#deliveredSeq + 1) {
      const slot = seq % this.#windowMax;
      if (this.#reorderPresent[slot] === 0) {
        this.#reorderPresent[slot] = 1;
        this.#reorderBodies[slot] = segment.body;
      }
      return [];
    }
    const delivered: T[] = [segment.body];
    this.#deliveredSeq = seq;
    for (;;) {
      const slot = (this.#deliveredSeq + 1) % this.#windowMax;
      if (this.#reorderPresent[slot] === 0) break;
      delivered.push(this.#reorderBodies[slot] as T);
      this.#reorderPresent[slot] = 0;
      this.#reorderBodies[slot] = undefined;
      this.#deliveredSeq++;
    }
    return delivered;
  }

  /** The peer's cumulative ack, as carried by any incoming message. Frees acknowledged segments; ignores stale acks and acks for seqs never sent. */
  onAck(ack: number): void {
    if (!Number.isSafeInteger(ack) || ack < this.#oldestUnackedSeq || ack >= this.#nextNewSeq) {
      return;
    }
    const freed = ack - this.#oldestUnackedSeq + 1;
    for (let index = 0; index < freed; index++) {
      this.#sendBodies[(this.#sendHead + index) % this.#queueMax] = undefined;
    }
    this.#sendHead = (this.#sendHead + freed) % this.#queueMax;
    this.#oldestUnackedSeq = ack + 1;
    this.#unackedCount -= freed;
  }

  /** Cumulative ack to piggyback on every outgoing message: the highest seq delivered in order. */
  get ackNumber(): number {
    return this.#deliveredSeq;
  }

  /** True when data arrived since the last ack went out; send an ack (or piggyback one) and call ackSent(). */
  get ackOwed(): boolean {
    return this.#owed;
  }

  ackSent(): void {
    this.#owed = false;
  }

  /** The earliest time poll() has a retransmission due, or undefined if nothing is in flight. */
  nextRetransmitAt(): number | undefined {
    let earliest: number | undefined;
    for (let seq = this.#oldestUnackedSeq; seq < this.#nextNewSeq; seq++) {
      const at = this.#retransmitAtMs[this.#sendSlot(seq)] as number;
      if (earliest === undefined || at < earliest) earliest = at;
    }
    return earliest;
  }

  /** Bodies not yet acknowledged by the peer (in flight + waiting). */
  get pending(): number {
    return this.#unackedCount;
  }

  /** Segments sent and not yet acknowledged; never above windowMax. */
  get inFlight(): number {
    return this.#nextNewSeq - this.#oldestUnackedSeq;
  }

  /** Forget everything (the peer restarted): sequence numbers start again at 1. */
  reset(): void {
    this.#sendBodies.fill(undefined);
    this.#retransmitAtMs.fill(0);
    this.#sendHead = 0;
    this.#oldestUnackedSeq = 1;
    this.#nextNewSeq = 1;
    this.#unackedCount = 0;
    this.#deliveredSeq = 0;
    this.#reorderBodies.fill(undefined);
    this.#reorderPresent.fill(0);
    this.#owed = false;
  }

  #sendSlot(seq: number): number {
    return (this.#sendHead + (seq - this.#oldestUnackedSeq)) % this.#queueMax;
  }
}
