/**
 * The last replies per client, NonStop's sync depth: a retried sync id is
 * answered from here and never executed twice. Both processors keep one;
 * the backup's is filled by checkpoints, so it answers retries after a
 * takeover.
 *
 * A client's session begins with a registration (sync id 0, no effect) and
 * lasts until `clientsMax` other clients were seen since it last was: then
 * it is forgotten, and a request of its (a retry, maybe of one that ran) is
 * answered "session expired", never executed, since nothing here can tell
 * whether it ran. The client registers again under a new id (TigerBeetle's
 * client sessions and their eviction).
 */
import { SYNC_WINDOW, SyncWindow } from './sync-window.ts';

export type CacheLookup =
  | { readonly kind: 'new' }
  /** No session for this client: never registered here, or forgotten for newer clients. */
  | { readonly kind: 'no-session' }
  | { readonly kind: 'saved'; readonly reply: unknown }
  | { readonly kind: 'too-old'; readonly newestSyncId: number };

type Replies = ReadonlyArray<readonly [number, unknown]>;

/**
 * One client's session as the big checkpoint and the store carry it:
 * [client id, last replies, the highest sync id run, the sync window's two
 * words] (SyncWindow.words), or, as images before wrote it and still read,
 * [client id, last replies, the sync ids run as a list].
 */
export type CacheSession =
  | readonly [string, Replies, number, number, number]
  | readonly [string, Replies, ReadonlyArray<number>];

/**
 * What changed in one client's session since the round before: the replies
 * saved since that it keeps, and the sync window's words now.
 */
export type SessionChange = readonly [string, Replies, number, number, number];

/** A session forgotten for newer clients since the round before. */
export type SessionForgotten = readonly [string, null];

/**
 * A change to the cache, as a pre-copy's rounds send it: a registration
 * ([client id]) or a saved reply ([client id, sync id, reply]), one by one
 * for a partner of an image before; or by session, however many requests
 * a client ran: the sessions forgotten, then each session's changes in the
 * order of its last. Replaying the changes in order gives the same sessions
 * in the same recency order.
 */
export type CacheOp =
  | readonly [string]
  | readonly [string, number, unknown]
  | SessionChange
  | SessionForgotten;

interface Session {
  /** The replies of the `syncDepth` highest sync ids run, lowest first. */
  readonly replies: Array<readonly [number, unknown]>;
  /** Sync ids run, within SYNC_WINDOW of the highest. */
  readonly ran: SyncWindow;
}

export class ReplyCache {
  /** Insertion order doubles as recency: a client is moved to the end when seen. */
  readonly #clients = new Map<string, Session>();

  /** Changes since `record()` one by one, or null when not recording them so. */
  #recorded: CacheOp[] | null = null;
  /**
   * Sessions changed since `record()` or the last take, in the order of
   * their last change, with the sync ids saved since whose replies they
   * still keep; or null when not recording by session. Only sessions still
   * kept: one forgotten is no change to send.
   */
  #changed: Map<string, Set<number>> | null = null;
  /** Sessions forgotten since `record()` or the last take (some maybe begun again since). */
  #forgotten = new Set<string>();

  constructor(
    readonly syncDepth: number,
    readonly clientsMax: number,
  ) {}

  /**
   * Keeps the changes from now on, for `takeRecorded`, until
   * `stopRecording`: by session (`bySession`), or one by one for a partner
   * that reads no SessionChange.
   */
  record(bySession: boolean): void {
    this.#changed = bySession ? new Map() : null;
    this.#forgotten.clear();
    this.#recorded = bySession ? null : [];
  }

  /** The changes recorded since `record()` or the last take, oldest first; recording goes on. */
  takeRecorded(): CacheOp[] {
    const changed = this.#changed;
    if (changed !== null) {
      const forgotten = [...this.#forgotten].map((clientId): SessionForgotten => [clientId, null]);
      this.record(true);
      const changes = [...changed].map(([clientId, savedIds]): SessionChange => {
        const session = this.#clients.get(clientId) as Session;
        const saved = session.replies.filter(([id]) => savedIds.has(id));
        return [clientId, saved, ...session.ran.words()];
      });
      return [...forgotten, ...changes];
    }
    const ops = this.#recorded ?? [];
    if (this.#recorded !== null) this.#recorded = [];
    return ops;
  }

  stopRecording(): void {
    this.#recorded = null;
    this.#changed = null;
  }

  /**
   * Applies changes another cache recorded. By session, the sessions it
   * forgot go first: then no session is forgotten here while the changes
   * replay (the other cache holds as many as this one will), and one
   * begun again there begins again here.
   */
  replay(ops: readonly CacheOp[]): void {
    for (const op of ops) {
      if (op.length === 1) this.register(op[0]);
      else if (op.length === 2) this.#clients.delete(op[0]);
      else if (op.length === 3) this.save(op[0], op[1], op[2]);
      else this.#change(op);
    }
  }

  #change([clientId, saved, highest, low, high]: SessionChange): void {
    const session = this.#touch(clientId);
    for (const [syncId, reply] of saved) this.#keep(session, syncId, reply);
    session.ran.setWords(highest, low, high);
  }

  lookup(clientId: string, syncId: number): CacheLookup {
    const session = this.#clients.get(clientId);
    if (session === undefined) return { kind: 'no-session' };
    for (const [id, reply] of session.replies) if (id === syncId) return { kind: 'saved', reply };
    const highest = Math.max(0, session.ran.highest);
    if (syncId <= highest - SYNC_WINDOW || session.ran.has(syncId))
      return { kind: 'too-old', newestSyncId: highest };
    return { kind: 'new' };
  }

  /** Begins a session for `clientId`, or keeps the one it has (a retried registration). */
  register(clientId: string): void {
    this.#recorded?.push([clientId]);
    this.#touch(clientId);
  }

  /** The reply of `syncId`, which the cache said was new. */
  save(clientId: string, syncId: number, reply: unknown): void {
    this.#recorded?.push([clientId, syncId, reply]);
    const session = this.#touch(clientId);
    this.#keep(session, syncId, reply);
    session.ran.add(syncId);
    const savedIds = this.#changed?.get(clientId);
    if (savedIds === undefined) return;
    savedIds.add(syncId);
    // Only ids whose replies are kept: a busy client's round carries at most its sync depth.
    if (savedIds.size > this.syncDepth)
      for (const id of savedIds)
        if (!session.replies.some(([kept]) => kept === id)) savedIds.delete(id);
  }

  /** Keeps the reply of `syncId` if it is among the session's highest. */
  #keep(session: Session, syncId: number, reply: unknown): void {
    // Keep the replies of the highest sync ids, not the latest to run: a
    // pipelining client's requests run out of order, and it retries only
    // ids within its sync depth of the highest it sent. The list stays
    // sorted by insertion in place (a reply for an id already kept goes
    // after it); nearly always the new id is the highest and is appended.
    const { replies } = session;
    if (ascending(replies)) {
      let at = replies.length;
      while (at > 0 && (replies[at - 1] as readonly [number, unknown])[0] > syncId) at--;
      replies.splice(at, 0, [syncId, reply]);
    } else {
      // Only a big checkpoint's list can be out of order (see `from`): sort it as it is.
      replies.push([syncId, reply]);
      replies.sort((a, b) => a[0] - b[0]);
    }
    if (replies.length > this.syncDepth) replies.shift();
  }

  /** The client's session, made the most recent (begun if it had none). */
  #touch(clientId: string): Session {
    let session = this.#clients.get(clientId);
    const changed = this.#changed;
    if (session === undefined) {
      if (this.#clients.size >= this.clientsMax) {
        const oldest = this.#clients.keys().next().value;
        if (oldest !== undefined) {
          this.#clients.delete(oldest);
          if (changed !== null) {
            changed.delete(oldest);
            this.#forgotten.add(oldest);
          }
        }
      }
      session = { replies: [], ran: new SyncWindow() };
    } else {
      this.#clients.delete(clientId);
    }
    this.#clients.set(clientId, session);
    if (changed !== null) {
      // Last in the order of changes.
      const savedIds = changed.get(clientId) ?? new Set<number>();
      changed.delete(clientId);
      changed.set(clientId, savedIds);
    }
    return session;
  }

  entries(): CacheSession[] {
    return [...this.#clients.entries()].map(
      ([id, session]) => [id, [...session.replies], ...session.ran.words()] as const,
    );
  }

  static from(
    syncDepth: number,
    clientsMax: number,
    entries: ReadonlyArray<CacheSession>,
  ): ReplyCache {
    const cache = new ReplyCache(syncDepth, clientsMax);
    for (const entry of entries) {
      const session = cache.#touch(entry[0]);
      session.replies.push(...entry[1].slice(-syncDepth));
      if (entry.length === 5) session.ran.setWords(entry[2], entry[3], entry[4]);
      else for (const id of entry[2]) session.ran.add(id);
    }
    return cache;
  }
}

/** The replies are in sync id order (a list from a partner's big checkpoint need not be). */
function ascending(replies: ReadonlyArray<readonly [number, unknown]>): boolean {
  for (let i = 1; i < replies.length; i++)
    if (
      (replies[i - 1] as readonly [number, unknown])[0] >
      (replies[i] as readonly [number, unknown])[0]
    )
      return false;
  return true;
}
