/**
 * A client on the field bus that reaches both boards. It registers a
 * session first (sync id 0), keeps one request outstanding, retries it with
 * the same sync id until it gets an answer (moving to the other board on a
 * timeout or a "not primary"), and follows a board's announcement that it
 * now serves. When the pair has forgotten its session, the outstanding
 * request's outcome is unknown: it is reported as such, and the client
 * registers again under a new id.
 */
import {
  type ClientReply,
  type ClientRequest,
  REGISTER_SYNC_ID,
} from '../../firmware/runtime/messages.ts';

export interface ClientEnvironment {
  now(): number;
  later(delayMs: number, run: () => void): void;
  send(board: 0 | 1, request: ClientRequest): void;
  acknowledged(request: ClientRequest, reply: Extract<ClientReply, { ok: true }>): void;
  refused(request: ClientRequest, reply: Extract<ClientReply, { ok: false }>): void;
  /** The longest a request waited from its first send to its answer. */
  waited(ms: number): void;
}

export interface ClientOptions {
  readonly timeoutMs: number;
  readonly thinkMsMax: number;
}

export class SimClient {
  target: 0 | 1 = 0;
  #syncId = 0;
  /** Sessions begun so far; the first keeps the base id. */
  #sessions = 0;
  #id: string;
  #outstanding: { request: ClientRequest; firstSentMs: number; attempt: number } | null = null;
  #stopped = false;
  #attempts = 0;

  constructor(
    readonly baseId: string,
    readonly env: ClientEnvironment,
    readonly nextBody: () => unknown,
    readonly random: () => number,
    readonly options: ClientOptions,
  ) {
    this.#id = baseId;
  }

  /** The client id of the current session: replies to an earlier one are not ours any more. */
  get id(): string {
    return this.#id;
  }

  get idle(): boolean {
    return this.#outstanding === null;
  }

  start(): void {
    this.#register();
  }

  /** Stop issuing new requests; the outstanding one is still retried to the end. */
  stop(): void {
    this.#stopped = true;
  }

  /** Give up the outstanding request: its pending timers then find nothing to do. */
  abandon(): void {
    this.#stopped = true;
    this.#outstanding = null;
  }

  /** A board announces it now serves: move to it, and resend at once what waits elsewhere. */
  onAnnounce(board: 0 | 1): void {
    const moved = this.target !== board;
    this.target = board;
    const outstanding = this.#outstanding;
    if (moved && outstanding !== null) this.#retry(outstanding.attempt);
  }

  onReply(reply: ClientReply): void {
    const outstanding = this.#outstanding;
    if (outstanding === null || reply.syncId !== outstanding.request.syncId) {
      if (reply.ok && reply.syncId !== REGISTER_SYNC_ID)
        this.env.acknowledged({ clientId: this.id, syncId: reply.syncId, body: null }, reply);
      return;
    }
    if (reply.ok && reply.syncId === REGISTER_SYNC_ID) {
      // Registered: nothing ran, nothing to report.
    } else if (reply.ok) {
      this.env.acknowledged(outstanding.request, reply);
    } else if (reply.error === 'session-expired') {
      this.env.refused(outstanding.request, reply);
      this.#outstanding = null;
      this.#sessions += 1;
      this.#id = `${this.baseId}~${this.#sessions}`;
      this.#syncId = 0;
      this.#register();
      return;
    } else if (reply.error === 'not-primary' || reply.error === 'busy') {
      // Another board may serve: try it after a short pause, same sync id.
      if (reply.error === 'not-primary') this.target = this.target === 0 ? 1 : 0;
      const attempt = outstanding.attempt;
      this.env.later(2 + this.random() * 3, () => this.#retry(attempt));
      return;
    } else {
      this.env.refused(outstanding.request, reply);
    }
    this.env.waited(this.env.now() - outstanding.firstSentMs);
    this.#outstanding = null;
    this.#scheduleNext();
  }

  /** Begins a session: a registration, retried like any request, before the first real one. */
  #register(): void {
    if (this.#stopped) return;
    const request: ClientRequest = { clientId: this.#id, syncId: REGISTER_SYNC_ID, body: null };
    this.#outstanding = { request, firstSentMs: this.env.now(), attempt: 0 };
    this.#transmit();
  }

  #scheduleNext(): void {
    if (this.#stopped) return;
    this.env.later(this.random() * this.options.thinkMsMax, () => {
      if (this.#stopped || this.#outstanding !== null) return;
      const request: ClientRequest = {
        clientId: this.#id,
        syncId: ++this.#syncId,
        body: this.nextBody(),
      };
      this.#outstanding = { request, firstSentMs: this.env.now(), attempt: 0 };
      this.#transmit();
    });
  }

  #retry(attempt: number): void {
    const outstanding = this.#outstanding;
    if (outstanding === null || outstanding.attempt !== attempt) return;
    this.#transmit();
  }

  #transmit(): void {
    const outstanding = this.#outstanding;
    if (outstanding === null) return;
    // Attempt numbers are unique across requests, so a timer left over from an
    // earlier request can never act on this one.
    outstanding.attempt = ++this.#attempts;
    const attempt = outstanding.attempt;
    this.env.send(this.target, outstanding.request);
    this.env.later(this.options.timeoutMs, () => {
      if (this.#outstanding?.attempt !== attempt) return;
      this.target = this.target === 0 ? 1 : 0;
      this.#retry(attempt);
    });
  }
}
