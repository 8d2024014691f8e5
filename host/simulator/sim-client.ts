/**
 * A client on the field bus that reaches both boards. It registers a
 * session first (sync id 0), then keeps one request outstanding (or up to
 * `pipeline`, each with its own sync id, all within a window of `pipeline`
 * sync ids so a retry never falls out of the pair's sync depth), retries
 * each with the same sync id until it gets an answer (moving to the other
 * board on a timeout or a "not primary"), and follows a board's
 * announcement that it now serves. When the pair has forgotten its session,
 * the outcome of what it had outstanding is unknown: each is reported as
 * such, and the client registers again under a new id.
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

/**
 * Answered requests a client remembers, for a reply that comes after the
 * answer it took (a copy that crossed an error reply, a duplicate). The pair
 * answers a sync id only within its sync depth of the newest reply it keeps,
 * far fewer.
 */
const ANSWERED_KEPT_MAX = 64;

/** Separates a client's base id from its session number in the ids of later sessions. */
const SESSION_MARK = '~';

/** The client a reply is for, whichever of its sessions it names. */
export function baseClientId(clientId: string): string {
  const mark = clientId.indexOf(SESSION_MARK);
  return mark < 0 ? clientId : clientId.slice(0, mark);
}

export interface ClientOptions {
  readonly timeoutMs: number;
  readonly thinkMsMax: number;
  /** Requests outstanding at once (1 by default); at most the pair's sync depth. */
  readonly pipeline?: number;
  /** Requests this client sends in all (unbounded by default). */
  readonly requestsMax?: number;
}

interface Outstanding {
  readonly request: ClientRequest;
  readonly firstSentMs: number;
  attempt: number;
}

export class SimClient {
  target: 0 | 1 = 0;
  #syncId = 0;
  /** By sync id; insertion order is sync id order, so the first is the oldest. */
  readonly #outstanding = new Map<number, Outstanding>();
  /** The session's last answered requests, by sync id, oldest first (see ANSWERED_KEPT_MAX). */
  readonly #answered = new Map<number, ClientRequest>();
  #stopped = false;
  #attempts = 0;
  readonly #pipeline: number;
  /** Pipeline slots thinking before their next request. */
  #thinking = 0;
  /** Requests sent in all sessions (for `requestsMax`). */
  #sent = 0;
  /** Sessions begun after the first; the first keeps the base id. */
  #sessions = 0;
  #id: string;

  constructor(
    readonly baseId: string,
    readonly env: ClientEnvironment,
    readonly nextBody: () => unknown,
    readonly random: () => number,
    readonly options: ClientOptions,
  ) {
    this.#pipeline = Math.max(1, options.pipeline ?? 1);
    this.#id = baseId;
  }

  /** The client id of the current session: replies to an earlier one are not ours any more. */
  get id(): string {
    return this.#id;
  }

  get idle(): boolean {
    return this.#outstanding.size === 0;
  }

  start(): void {
    this.#register();
  }

  /** Stop issuing new requests; the outstanding ones are still retried to the end. */
  stop(): void {
    this.#stopped = true;
  }

  /** Give up the outstanding requests: their pending timers then find nothing to do. */
  abandon(): void {
    this.#stopped = true;
    this.#outstanding.clear();
  }

  /** A board announces it now serves: move to it, and resend at once what waits elsewhere. */
  onAnnounce(board: 0 | 1): void {
    const moved = this.target !== board;
    this.target = board;
    if (!moved) return;
    for (const outstanding of [...this.#outstanding.values()]) this.#retry(outstanding);
  }

  /** A reply from board `from`. */
  onReply(reply: ClientReply, from: 0 | 1): void {
    if (reply.clientId !== this.#id) return; // for a session we gave up
    const outstanding = this.#outstanding.get(reply.syncId);
    if (outstanding === undefined) {
      // An ok after the answer we took: the pair ran the request after all
      // (a copy that crossed an error reply) or says so again (a duplicate).
      if (reply.ok)
        this.env.acknowledged(
          this.#answered.get(reply.syncId) ?? {
            clientId: this.id,
            syncId: reply.syncId,
            body: null,
          },
          reply,
        );
      return;
    }
    if (reply.ok && reply.syncId === REGISTER_SYNC_ID) {
      // Registered, as a transaction that changed nothing: the pipeline fills.
      this.env.acknowledged(outstanding.request, reply);
      this.#outstanding.delete(REGISTER_SYNC_ID);
      this.#fillSlots();
      return;
    }
    if (reply.ok) {
      this.env.acknowledged(outstanding.request, reply);
    } else if (reply.error === 'not-primary' || reply.error === 'busy') {
      // Another board may serve: try it after a short pause, same sync id. A
      // refusal from a board we left already (an announcement moved us, and
      // it crossed the refusal) moves us nowhere: back there, a new request
      // met the old primary rebooting, and waited out the timeout (lab
      // switches at 4,000 accounts, 514 ms).
      if (reply.error === 'not-primary' && from === this.target)
        this.target = this.target === 0 ? 1 : 0;
      const attempt = outstanding.attempt;
      this.env.later(2 + this.random() * 3, () => {
        if (outstanding.attempt === attempt) this.#retry(outstanding);
      });
      return;
    } else if (reply.error === 'session-expired') {
      this.#newSession(reply);
      return;
    } else {
      this.env.refused(outstanding.request, reply);
    }
    this.env.waited(this.env.now() - outstanding.firstSentMs);
    this.#outstanding.delete(reply.syncId);
    this.#answered.set(reply.syncId, outstanding.request);
    if (this.#answered.size > ANSWERED_KEPT_MAX)
      this.#answered.delete(this.#answered.keys().next().value as number);
    this.#fillSlots();
  }

  /** The pair forgot our session: nothing outstanding can be known to have run or not. */
  #newSession(reply: Extract<ClientReply, { ok: false }>): void {
    for (const outstanding of this.#outstanding.values())
      if (outstanding.request.syncId !== REGISTER_SYNC_ID)
        this.env.refused(outstanding.request, reply);
    this.#outstanding.clear();
    this.#answered.clear();
    this.#sessions += 1;
    this.#id = `${this.baseId}${SESSION_MARK}${this.#sessions}`;
    this.#syncId = 0;
    this.#register();
  }

  /** Begins a session: a registration, retried like any request, before the first real one. */
  #register(): void {
    if (this.#stopped) return;
    const request: ClientRequest = { clientId: this.#id, syncId: REGISTER_SYNC_ID, body: null };
    const outstanding: Outstanding = { request, firstSentMs: this.env.now(), attempt: 0 };
    this.#outstanding.set(REGISTER_SYNC_ID, outstanding);
    this.#transmit(outstanding);
  }

  /** A new request may go out: under the pipeline depth, within the sync-id window, under the cap. */
  #mayIssue(): boolean {
    if (this.#stopped || this.#outstanding.size >= this.#pipeline) return false;
    if (this.#outstanding.has(REGISTER_SYNC_ID)) return false;
    if (this.options.requestsMax !== undefined && this.#sent >= this.options.requestsMax)
      return false;
    const oldest = this.#outstanding.keys().next().value;
    return oldest === undefined || this.#syncId + 1 - oldest < this.#pipeline;
  }

  /**
   * Each pipeline slot waits for its reply or thinks before its next request,
   * so a client sends at most `pipeline` requests per think time, however
   * fast the pair answers. Every free slot begins to think.
   */
  #fillSlots(): void {
    while (!this.#stopped && this.#outstanding.size + this.#thinking < this.#pipeline)
      this.#think();
  }

  #think(): void {
    this.#thinking += 1;
    this.env.later(this.random() * this.options.thinkMsMax, () => {
      this.#thinking -= 1;
      if (!this.#mayIssue()) return;
      this.#sent += 1;
      const request: ClientRequest = {
        clientId: this.#id,
        syncId: ++this.#syncId,
        body: this.nextBody(),
      };
      const outstanding: Outstanding = { request, firstSentMs: this.env.now(), attempt: 0 };
      this.#outstanding.set(request.syncId, outstanding);
      this.#transmit(outstanding);
    });
  }

  #retry(outstanding: Outstanding): void {
    if (this.#outstanding.get(outstanding.request.syncId) !== outstanding) return;
    this.#transmit(outstanding);
  }

  #transmit(outstanding: Outstanding): void {
    // Attempt numbers are unique across requests, so a timer left over from an
    // earlier attempt can never act on this one.
    outstanding.attempt = ++this.#attempts;
    const attempt = outstanding.attempt;
    const sentTo = this.target;
    this.env.send(sentTo, outstanding.request);
    this.env.later(this.options.timeoutMs, () => {
      if (outstanding.attempt !== attempt) return;
      if (this.#outstanding.get(outstanding.request.syncId) !== outstanding) return;
      // With several requests out, only the first timeout from a board moves the client.
      if (this.#pipeline === 1 || this.target === sentTo) this.target = this.target === 0 ? 1 : 0;
      this.#retry(outstanding);
    });
  }
}
