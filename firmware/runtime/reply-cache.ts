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
export type CacheLookup =
  | { readonly kind: 'new' }
  /** No session for this client: never registered here, or forgotten for newer clients. */
  | { readonly kind: 'no-session' }
  | { readonly kind: 'saved'; readonly reply: unknown }
  | { readonly kind: 'too-old'; readonly newestSyncId: number };

export class ReplyCache {
  /** Insertion order doubles as recency: a client is moved to the end when seen. */
  readonly #clients = new Map<string, Array<readonly [number, unknown]>>();

  constructor(
    readonly syncDepth: number,
    readonly clientsMax: number,
  ) {}

  lookup(clientId: string, syncId: number): CacheLookup {
    const replies = this.#clients.get(clientId);
    if (replies === undefined) return { kind: 'no-session' };
    if (replies.length === 0) return { kind: 'new' };
    for (const [id, reply] of replies) if (id === syncId) return { kind: 'saved', reply };
    const newest = replies[replies.length - 1]?.[0] ?? 0;
    return syncId > newest ? { kind: 'new' } : { kind: 'too-old', newestSyncId: newest };
  }

  /** Begins a session for `clientId`, or keeps the one it has (a retried registration). */
  register(clientId: string): void {
    this.#touch(clientId);
  }

  save(clientId: string, syncId: number, reply: unknown): void {
    const replies = this.#touch(clientId);
    replies.push([syncId, reply]);
    if (replies.length > this.syncDepth) replies.shift();
  }

  /** The client's replies, its session made the most recent (begun if it had none). */
  #touch(clientId: string): Array<readonly [number, unknown]> {
    let replies = this.#clients.get(clientId);
    if (replies === undefined) {
      if (this.#clients.size >= this.clientsMax) {
        const oldest = this.#clients.keys().next().value;
        if (oldest !== undefined) this.#clients.delete(oldest);
      }
      replies = [];
    } else {
      this.#clients.delete(clientId);
    }
    this.#clients.set(clientId, replies);
    return replies;
  }

  entries(): Array<readonly [string, Array<readonly [number, unknown]>]> {
    return [...this.#clients.entries()].map(([id, replies]) => [id, [...replies]] as const);
  }

  static from(
    syncDepth: number,
    clientsMax: number,
    entries: ReadonlyArray<readonly [string, ReadonlyArray<readonly [number, unknown]>]>,
  ): ReplyCache {
    const cache = new ReplyCache(syncDepth, clientsMax);
    for (const [clientId, replies] of entries) {
      cache.register(clientId);
      for (const [syncId, reply] of replies) cache.save(clientId, syncId, reply);
    }
    return cache;
  }
}
