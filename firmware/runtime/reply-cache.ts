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
 * A change to the cache, as a switch's pre-copy sends it: a registration
 * ([client id]) or a saved reply ([client id, sync id, reply]). Replaying
 * the changes in order gives the same sessions in the same recency order.
 */
export type CacheOp = readonly [string] | readonly [string, number, unknown];

interface Session {
  /** The replies of the `syncDepth` highest sync ids run, lowest first. */
  readonly replies: Array<readonly [number, unknown]>;
  /** Sync ids run, within SYNC_WINDOW of the highest. */
  readonly ran: SyncWindow;
}

export class ReplyCache {
  /** Insertion order doubles as recency: a client is moved to the end when seen. */
  readonly #clients = new Map<string, Session>();

  /** Changes since `record()`, or null when not recording. */
  #recorded: CacheOp[] | null = null;

  constructor(
    readonly syncDepth: number,
    readonly clientsMax: number,
  ) {}

  /** Keeps every change from now on, for `takeRecorded`, until `stopRecording`. */
  record(): void {
    this.#recorded = [];
  }

  /** The changes recorded since `record()` or the last take, oldest first. */
  takeRecorded(): CacheOp[] {
    const ops = this.#recorded ?? [];
    if (this.#recorded !== null) this.#recorded = [];
    return ops;
  }

  stopRecording(): void {
    this.#recorded = null;
  }

  /** Applies changes another cache recorded. */
  replay(ops: readonly CacheOp[]): void {
    for (const op of ops) {
      if (op.length === 1) this.register(op[0]);
      else this.save(op[0], op[1], op[2]);
    }
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

  save(clientId: string, syncId: number, reply: unknown): void {
    this.#recorded?.push([clientId, syncId, reply]);
    const session = this.#touch(clientId);
    // Keep the replies of the highest sync ids, not the latest to run: a
    // pipelining client's requests run out of order, and it retries only
    // ids within its sync depth of the highest it sent. The list stays
    // sorted by insertion in place (a reply for an id already kept goes
    // after it); nearly always the new id is the highest and is appended.
    const { replies, ran } = session;
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
    ran.add(syncId);
  }

  /** The client's session, made the most recent (begun if it had none). */
  #touch(clientId: string): Session {
    let session = this.#clients.get(clientId);
    if (session === undefined) {
      if (this.#clients.size >= this.clientsMax) {
        const oldest = this.#clients.keys().next().value;
        if (oldest !== undefined) this.#clients.delete(oldest);
      }
      session = { replies: [], ran: new SyncWindow() };
    } else {
      this.#clients.delete(clientId);
    }
    this.#clients.set(clientId, session);
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
