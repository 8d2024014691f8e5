/**
 * What clients were told, and the checks on it: every acknowledged request
 * applied exactly once, a retry answered with the original reply, the
 * replies those of executing the acknowledged requests one at a time (each
 * with the handler context the primary gave it), and converters that carry
 * the state across a switch and back without losing any of it.
 *
 * Replies and states are compared as the wire carries them (wire-value.ts).
 */
import type { AnyApp } from '../../firmware/app.ts';
import { type ReasonValue, whyText } from '../../firmware/reasons.ts';
import {
  type ClientRequest,
  REGISTER_SYNC_ID,
  type StoreFull,
} from '../../firmware/runtime/messages.ts';
import type { PairEvent } from '../../firmware/runtime/outputs.ts';
import { seededRandom } from '../../firmware/runtime/random.ts';
import { stateFrom } from '../../firmware/runtime/state-bridge.ts';
import { measuredBytes } from '../../firmware/runtime/store-room.ts';
import { firstDifference, onTheWire, sameOnTheWire } from './wire-value.ts';

/** The handler context of one execution, as the primary reported it, and the term it ran in. */
interface Execution {
  readonly clientId: string;
  readonly syncId: number;
  readonly nowMs: number;
  readonly seed: number;
  /** Refused as the transaction (it changed nothing); undefined when it ran. */
  readonly refused: 'bad-request' | 'store-full' | undefined;
  readonly term: number;
}

/**
 * Whether the checker sees the primaries' 'executed' events. The simulator
 * does ('reported'); a lab run does not ('unseen': the boards keep them out of
 * the journal), so its replay can only guess time 0 and seed 0 and compares
 * fields named `atMs` (the ledger's clock readings) for presence only.
 */
export type HandlerContexts = 'reported' | 'unseen';

export interface Acknowledged {
  readonly clientId: string;
  readonly syncId: number;
  readonly body: unknown;
  readonly reply: unknown;
  readonly txn: number;
  /**
   * The pair refused it as a transaction that changed nothing: for want of
   * room in its store (`store-full`), or because it could not run
   * (`bad-request`: its handler threw).
   */
  readonly refused?: 'store-full' | 'bad-request';
  /** A `store-full` refusal's facts: the snapshot the request would have made, and the room's limit. */
  readonly room?: StoreFull;
}

/** An error reply as a client got it; a `store-full` or `bad-request` refusal carries the transaction that recorded it. */
export interface ErrorAnswer {
  readonly error: string;
  readonly why: ReasonValue;
  readonly txn?: number;
}

export interface Violation {
  readonly at: number;
  readonly kind:
    | 'split-brain'
    | 'retry-reply-differs'
    | 'executed-twice'
    | 'acknowledged-lost'
    | 'inconsistent-reply'
    | 'final-state-differs'
    | 'state-lost'
    | 'too-old'
    | 'not-reformed'
    | 'unpushed-image'
    /** At a switch or fallback, the state taken up and back down by the app's converters came back different. */
    | 'converter-loses-data'
    /** A client was told its session expired though the reply cache never had to make room for another. */
    | 'session-forgotten'
    /** A board's state outgrew its durable store (a snapshot compaction cannot write): the room the primary judges requests by should keep it short of that. */
    | 'store-outgrown'
    /**
     * The primary's room judged a request wrongly: it refused one that does
     * not grow the state, refused with a snapshot smaller than the state
     * alone, or let the state grow past the room (store-room.ts).
     */
    | 'room-misjudged';
  readonly detail: string;
  /** When the acknowledgement it is about was given, where it is about one (see host/simulator/fault-windows.ts). */
  readonly sinceMs?: number;
}

/** The version that served from transaction `fromTxn` on, within one epoch. */
interface VersionMark {
  readonly fromTxn: number;
  readonly version: string;
}

/** An acknowledgement and when it was given. */
interface AckRecord {
  readonly ack: Acknowledged;
  readonly atMs: number;
}

/** One life of the application state; a double failure starts a new one. */
class Epoch {
  /** By client id, then sync id. */
  readonly acks = new Map<string, Map<number, AckRecord>>();
  /** The same acknowledgements by transaction (each transaction is acknowledged for one request). */
  readonly byTxn = new Map<number, AckRecord>();
  readonly versions: VersionMark[] = [];
  /** Where the history begins when the pair had served before it: replay starts there, not at init. */
  start: { readonly txn: number; readonly state: unknown; readonly version: string } | null = null;
  /** The highest transaction acknowledged, and when. */
  newest: { readonly txn: number; readonly atMs: number } | null = null;
}

export class History {
  readonly violations: Violation[] = [];
  acknowledged = 0;
  /** Requests refused `store-full`: answered, never done, and not lost. */
  refusedStoreFull = 0;
  duplicated = 0;
  lost = 0;
  /** Acknowledged requests whose state died with both boards (a double failure). */
  lostToDoubleFailure = 0;
  #epoch = new Epoch();
  /**
   * The last execution of each transaction. A request the primary executed
   * but never got to its backup may run again after a takeover, with the same
   * txn and a new context (the run in the newer term is the one that counts:
   * the primary the takeover left behind, with no fence, may run it too,
   * even later, until it hears the new term, and its replies are never
   * released), and another request may run as that txn instead.
   */
  readonly #executionByTxn = new Map<number, Execution>();
  /** Per txn, executions that a later one of another request as that txn replaced, oldest first. */
  readonly #replacedExecutions = new Map<number, Execution[]>();
  /** Requests whose outcome the pair could not tell (the client's session had expired), by client#sync. */
  readonly #unknownOutcome = new Map<string, ClientRequest>();

  constructor(
    readonly loadApp: (version: string) => AnyApp,
    readonly handlerContexts: HandlerContexts = 'unseen',
  ) {}

  violation(at: number, kind: Violation['kind'], detail: string, sinceMs?: number): void {
    this.violations.push({ at, kind, detail, ...(sinceMs !== undefined && { sinceMs }) });
  }

  /** When the acknowledgement of transaction `txn` in this epoch was given. */
  #ackedAt(txn: number): number | undefined {
    return this.#epoch.byTxn.get(txn)?.atMs;
  }

  /** A processor started serving at `txn + 1` on `version` (takeover, handover, cold start). */
  servingFrom(txn: number, version: string): void {
    const marks = this.#epoch.versions;
    const last = marks[marks.length - 1];
    if (last?.version === version) return;
    marks.push({ fromTxn: txn + 1, version });
  }

  /** The pair had served before this history: it begins after `txn`, with `state` on `version`. */
  startFrom(txn: number, state: unknown, version: string): void {
    this.#epoch.start = { txn, state, version };
    this.servingFrom(txn, version);
  }

  /** The acknowledgement of the highest transaction in this epoch, and when it was given. */
  get newestAcknowledged(): { readonly txn: number; readonly atMs: number } | null {
    return this.#epoch.newest;
  }

  get hasAcknowledged(): boolean {
    return this.#epoch.byTxn.size > 0;
  }

  /** Both copies of the state are gone: what was acknowledged so far is lost by a double failure. */
  newEpoch(): void {
    this.lostToDoubleFailure += this.#epoch.byTxn.size;
    this.#epoch = new Epoch();
  }

  /** A cold start: terms and transactions start again, and no execution before it counts. */
  forgetExecutions(): void {
    this.#executionByTxn.clear();
    this.#replacedExecutions.clear();
  }

  /** A client got an ok reply to `request`. */
  acknowledge(
    at: number,
    request: ClientRequest,
    reply: { reply: unknown; txn: number; syncId: number },
  ): void {
    this.record(at, {
      clientId: request.clientId,
      syncId: reply.syncId,
      body: request.body,
      reply: reply.reply,
      txn: reply.txn,
    });
  }

  /** A primary in `term` ran (or refused) a request as a transaction, with this handler context. */
  executed(event: Extract<PairEvent, { kind: 'executed' }>, term: number): void {
    const { txn, clientId, syncId, nowMs, seed, refused } = event;
    // A record of one shape (the events differ in their optional fields): a spread of them is slow.
    const execution: Execution = { clientId, syncId, nowMs, seed, refused, term };
    const before = this.#executionByTxn.get(txn);
    if (before !== undefined && sameRequest(before, execution)) {
      if (term >= before.term) this.#executionByTxn.set(txn, execution);
      return;
    }
    if (before !== undefined) {
      const replaced = this.#replacedExecutions.get(txn);
      if (replaced === undefined) this.#replacedExecutions.set(txn, [before]);
      else replaced.push(before);
    }
    this.#executionByTxn.set(txn, execution);
  }

  /**
   * At a switch or fallback, the state `fromVersion` hands over to
   * `toVersion`: converted up and back down it must come back as it was, or
   * a fallback would lose what the converters dropped. (The other way round,
   * down and back up, may lose what only the newer version holds, such as the
   * ledger's transfer history; so on a fallback the law is checked on the
   * state the older version receives.)
   */
  checkHandover(
    at: number,
    fromVersion: string,
    state: unknown,
    versions: readonly [string, string],
  ): void {
    const toVersion = versions[0] === fromVersion ? versions[1] : versions[0];
    const from = this.loadApp(fromVersion);
    const to = this.loadApp(toVersion);
    if (from.stateVersion === to.stateVersion) return;
    const [older, newer] = from.stateVersion < to.stateVersion ? [from, to] : [to, from];
    const converters = newer.converters;
    if (converters?.priorStateVersion !== older.stateVersion) return; // appVersions refuses such a pair
    const where = `${fromVersion} to ${toVersion}`;
    try {
      // Copies: a converter that mutates its input must not change the simulated primary.
      const olderState = onTheWire(
        from === older ? state : converters.toPrior(structuredClone(state)),
      );
      const back = onTheWire(converters.toPrior(converters.fromPrior(structuredClone(olderState))));
      const difference = firstDifference(olderState, back);
      if (difference !== null) {
        this.violation(
          at,
          'converter-loses-data',
          `${where}: state version ${older.stateVersion} taken up to ${newer.stateVersion} and back differs at ${difference}: ${json(olderState)} came back as ${json(back)}`,
        );
      }
    } catch (error) {
      this.violation(
        at,
        'converter-loses-data',
        `${where}: the converters threw: ${String(error)}`,
      );
    }
  }

  /**
   * A client got an error; only `too-old` means the pair broke a promise (a
   * retry must find its reply). A `store-full` or `bad-request` refusal holds
   * its transaction (it changed nothing): the history keeps it in its place,
   * and a later run of the same request is a second execution.
   */
  refuse(at: number, request: ClientRequest, reply: ErrorAnswer): void {
    if (
      (reply.error === 'store-full' || reply.error === 'bad-request') &&
      reply.txn !== undefined
    ) {
      const { clientId, syncId, body } = request;
      const room = reply.error === 'store-full' ? noRoomFacts(reply.why) : undefined;
      this.record(at, {
        clientId,
        syncId,
        body,
        reply: reply.error,
        txn: reply.txn,
        refused: reply.error,
        ...(room !== undefined && { room }),
      });
      return;
    }
    // It may have run before its session was forgotten: the replay may find it in a gap.
    if (reply.error === 'session-expired')
      this.#unknownOutcome.set(`${request.clientId}#${request.syncId}`, request);
    if (reply.error === 'too-old')
      this.violation(at, 'too-old', `${request.clientId}#${request.syncId}: ${whyText(reply)}`);
  }

  /** When the session of `clientId` began in this life of the state (its registration acknowledged), if it did. */
  sessionBegunAt(clientId: string): number | undefined {
    return this.#epoch.acks.get(clientId)?.get(REGISTER_SYNC_ID)?.atMs;
  }

  /** A client got an ok reply. */
  record(at: number, ack: Acknowledged): void {
    const epoch = this.#epoch;
    let bySync = epoch.acks.get(ack.clientId);
    const earlierRecord = bySync?.get(ack.syncId);
    if (earlierRecord !== undefined) {
      // A copy of a registration that arrives after its session was forgotten
      // begins the session again: a second transaction, which changes nothing.
      if (isRegistration(ack)) return;
      const earlier = earlierRecord.ack;
      const key = requestKey(ack);
      if (earlier.txn !== ack.txn) {
        this.duplicated += 1;
        this.violation(
          at,
          'executed-twice',
          `${key} ran as txn ${earlier.txn} and txn ${ack.txn}`,
          earlierRecord.atMs,
        );
      } else if (!sameOnTheWire(earlier.reply, ack.reply)) {
        this.violation(
          at,
          'retry-reply-differs',
          `${key}: ${json(earlier.reply)} then ${json(ack.reply)}`,
          earlierRecord.atMs,
        );
      }
      return;
    }
    const owner = epoch.byTxn.get(ack.txn);
    if (owner !== undefined) {
      this.lost += 1;
      this.violation(
        at,
        'acknowledged-lost',
        `txn ${ack.txn} acknowledged for ${requestKey(owner.ack)}, reused for ${requestKey(ack)}`,
        owner.atMs,
      );
      // The replay follows the history of the primary that went on serving
      // (the one that ran this txn last): replaying the lost acknowledgement
      // in its place would report every later reply as inconsistent, long
      // after the faults that lost it. The lost one stays under its client,
      // so a retry of it is still compared.
      if (!this.#ranLast(ack)) return;
    }
    const record: AckRecord = { ack, atMs: at };
    if (bySync === undefined) {
      bySync = new Map();
      epoch.acks.set(ack.clientId, bySync);
    }
    bySync.set(ack.syncId, record);
    epoch.byTxn.set(ack.txn, record);
    if (epoch.newest === null || ack.txn > epoch.newest.txn)
      epoch.newest = { txn: ack.txn, atMs: at };
    if (ack.refused === 'store-full') this.refusedStoreFull += 1;
    else if (ack.refused === undefined && !isRegistration(ack)) this.acknowledged += 1;
  }

  /**
   * Replays the acknowledged requests of the current epoch in transaction
   * order and compares every reply, then the final state with `finalState`
   * (in `finalVersion`'s shape, at transaction `finalTxn`).
   */
  checkSequential(at: number, finalState: unknown, finalVersion: string, finalTxn: number): void {
    const epoch = this.#epoch;
    const acks = this.#withUnknownOutcomes(
      [...epoch.byTxn.values()].map(({ ack }) => ack).sort((a, b) => a.txn - b.txn),
      epoch.start?.txn ?? 0,
    );
    const marks = epoch.versions;
    let markIndex = 0;
    let version = epoch.start?.version ?? marks[0]?.version ?? finalVersion;
    let app = this.loadApp(version);
    let state = epoch.start === null ? app.init() : epoch.start.state;
    let txn = epoch.start?.txn ?? 0;
    for (const ack of acks) {
      if (ack.txn !== txn + 1) {
        this.lost += ack.txn - txn - 1;
        this.violation(
          at,
          'acknowledged-lost',
          `no acknowledgement for txns ${txn + 1} to ${ack.txn - 1}`,
          this.#ackedAt(ack.txn),
        );
        return;
      }
      while (
        markIndex + 1 < marks.length &&
        (marks[markIndex + 1]?.fromTxn ?? Infinity) <= ack.txn
      ) {
        markIndex += 1;
        const next = this.loadApp(marks[markIndex]?.version ?? version);
        state = convert(app, next, state);
        app = next;
        version = next.version;
      }
      txn = ack.txn;
      if (ack.room !== undefined) {
        const misjudged = this.#roomMisjudged(app, state, ack, ack.room);
        if (misjudged !== null) {
          this.violation(at, 'room-misjudged', `txn ${txn}: ${misjudged}`, this.#ackedAt(txn));
          return;
        }
      }
      if (ack.refused || isRegistration(ack)) continue; // it changed nothing
      const execution = this.#contextOf(ack);
      if (execution === undefined) {
        this.violation(
          at,
          'inconsistent-reply',
          `txn ${txn}: acknowledged to ${ack.clientId}#${ack.syncId}, but no primary executed it`,
          this.#ackedAt(txn),
        );
        return;
      }
      try {
        const decision = app.handle(state, app.parseRequest(ack.body), {
          nowMs: execution.nowMs,
          random: seededRandom(execution.seed),
        });
        state = app.apply(state, decision.update);
        if (ack.reply !== UNKNOWN_REPLY && !this.#same(decision.reply, ack.reply)) {
          this.violation(
            at,
            'inconsistent-reply',
            `txn ${txn}: replayed at ${execution.nowMs} ms with seed ${execution.seed}: expected ${json(decision.reply)}, got ${json(ack.reply)}`,
            this.#ackedAt(txn),
          );
          return;
        }
      } catch (error) {
        this.violation(
          at,
          'inconsistent-reply',
          `txn ${txn}: replay failed: ${String(error)}`,
          this.#ackedAt(txn),
        );
        return;
      }
    }
    if (finalTxn < txn) {
      this.lost += txn - finalTxn;
      this.violation(
        at,
        'acknowledged-lost',
        `final primary at txn ${finalTxn}, acknowledged up to ${txn}`,
        this.#ackedAt(finalTxn + 1),
      );
      return;
    }
    if (finalTxn === txn) {
      const finalApp = this.loadApp(finalVersion);
      const expected = convert(app, finalApp, state);
      if (!this.#same(expected, finalState)) {
        this.violation(
          at,
          'final-state-differs',
          `at ${firstDifference(onTheWire(expected), onTheWire(finalState))}: expected ${json(expected)}, primary has ${json(finalState)}`,
        );
      }
    }
  }

  /**
   * Fills gaps in the acknowledged transactions with requests whose outcome
   * the client was told is unknown, and with registrations (which change
   * nothing), where a primary's execution shows they ran as that
   * transaction; their replies are not compared.
   */
  #withUnknownOutcomes(acks: readonly Acknowledged[], startTxn: number): Acknowledged[] {
    const filled: Acknowledged[] = [];
    let txn = startTxn;
    const fill = (upTo: number) => {
      for (; txn + 1 < upTo; txn++) {
        const execution = this.#executionByTxn.get(txn + 1);
        if (execution === undefined) return;
        const { clientId, syncId } = execution;
        const request = isRegistration(execution)
          ? { clientId, syncId, body: null }
          : this.#unknownOutcome.get(`${clientId}#${syncId}`);
        if (request === undefined) return;
        const { refused } = execution;
        filled.push({
          ...request,
          reply: UNKNOWN_REPLY,
          txn: txn + 1,
          ...(refused && { refused }),
        });
      }
    };
    for (const ack of acks) {
      fill(ack.txn);
      filled.push(ack);
      txn = ack.txn;
    }
    return filled;
  }

  /**
   * What is wrong with refusing `ack` for want of room in `state`, if
   * anything. The room refuses only a request that grows the state, and
   * admits one only while its snapshot, the state and more, fits; so the
   * state alone never takes more than the limit. Needs the handler context
   * (a guess could grow the state differently).
   */
  #roomMisjudged(
    app: AnyApp,
    state: Parameters<AnyApp['handle']>[0],
    ack: Acknowledged,
    room: StoreFull,
  ): string | null {
    if (this.handlerContexts === 'unseen') return null;
    const execution = this.#contextOf(ack);
    if (execution === undefined) return null; // the replay reports it where it applies requests
    const before = measuredBytes(state);
    if (before > room.snapshotBytesMax)
      return `the state took ${before} bytes before it, over the room's ${room.snapshotBytesMax}: requests were let in past the room`;
    let after: number;
    try {
      const decision = app.handle(state, app.parseRequest(ack.body), {
        nowMs: execution.nowMs,
        random: seededRandom(execution.seed),
      });
      after = measuredBytes(app.apply(structuredClone(state), decision.update));
    } catch {
      return null; // a request that cannot run is the replay's to report
    }
    if (after <= before)
      return `${requestKey(ack)} refused store-full, but it does not grow the state (${before} bytes, ${after} after it)`;
    if (room.snapshotBytes < after)
      return `${requestKey(ack)} refused store-full with a snapshot of ${room.snapshotBytes} bytes, less than the ${after} the state alone would take`;
    return null;
  }

  /**
   * The state `final` must fit the room of `snapshotBytesMax` bytes a
   * snapshot has in the store: every request that grew it was judged to fit.
   */
  checkRoom(at: number, final: unknown, snapshotBytesMax: number): void {
    const bytes = measuredBytes(final);
    if (bytes > snapshotBytesMax)
      this.violation(
        at,
        'room-misjudged',
        `the final state takes ${bytes} bytes, over the room's ${snapshotBytesMax}: requests were let in past the room`,
      );
  }

  /** Whether `ack`'s request is the last one a primary ran as its txn (unknown where executions are unseen: yes). */
  #ranLast(ack: Acknowledged): boolean {
    if (this.handlerContexts === 'unseen') return true;
    const last = this.#executionByTxn.get(ack.txn);
    return last === undefined || sameRequest(last, ack);
  }

  /** The context the primary gave `ack`'s handler; a guess where the primaries' events are unseen. */
  #contextOf(ack: Acknowledged): { nowMs: number; seed: number } | undefined {
    if (this.handlerContexts === 'unseen') return { nowMs: 0, seed: 0 };
    const last = this.#executionByTxn.get(ack.txn);
    if (last === undefined) return undefined;
    if (sameRequest(last, ack)) return last;
    // The request's latest execution as this txn, if another replaced it.
    const replaced = this.#replacedExecutions.get(ack.txn) ?? [];
    for (let index = replaced.length - 1; index >= 0; index--) {
      const execution = replaced[index] as Execution;
      if (sameRequest(execution, ack)) return execution;
    }
    return undefined;
  }

  #same(a: unknown, b: unknown): boolean {
    return this.handlerContexts === 'unseen'
      ? sameOnTheWire(stripTime(a), stripTime(b))
      : sameOnTheWire(a, b);
  }
}

/** Converts a state between adjacent versions with the newer one's converters. */
function convert(from: AnyApp, to: AnyApp, state: unknown): unknown {
  if (from.stateVersion === to.stateVersion) return state;
  if (to.stateVersion > from.stateVersion) return stateFrom(to, from.stateVersion, state);
  if (from.converters?.priorStateVersion === to.stateVersion) return from.converters.toPrior(state);
  throw new Error(`no converter from ${from.version} to ${to.version}`);
}

/** Clock readings the 'unseen' replay cannot know, blanked (kept for presence). */
function stripTime(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripTime);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = k === 'atMs' ? 0 : stripTime(v);
    return out;
  }
  return value;
}

/** The reply of a request whose client was told its outcome is unknown: nothing to compare. */
const UNKNOWN_REPLY = Symbol('unknown reply');

/** The facts of a `store-full` refusal's reason, where it says there was no room. */
function noRoomFacts(why: ReasonValue): StoreFull | undefined {
  const { code, bytes, max } = why as { code: unknown; bytes?: unknown; max?: unknown };
  if (code !== 'no-room' || typeof bytes !== 'number' || typeof max !== 'number') return undefined;
  return { snapshotBytes: bytes, snapshotBytesMax: max };
}

/** `client#syncId`, as the violations name a request. */
function requestKey(request: { readonly clientId: string; readonly syncId: number }): string {
  return `${request.clientId}#${request.syncId}`;
}

function sameRequest(
  a: { readonly clientId: string; readonly syncId: number },
  b: { readonly clientId: string; readonly syncId: number },
): boolean {
  return a.clientId === b.clientId && a.syncId === b.syncId;
}

function json(value: unknown): string {
  const text = JSON.stringify(value);
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

/** A client's registration: a transaction that begins its session and changes nothing else. */
function isRegistration(request: { readonly syncId: number }): boolean {
  return request.syncId === REGISTER_SYNC_ID;
}
