/**
 * The last replies per client, NonStop's sync depth: a retried sync id is
 * answered from here and never executed twice. Both processors keep one;
 * the backup's is filled by checkpoints, so it answers retries after a
 * takeover.
 */
export type CacheLookup =
  | { readonly kind: 'new' }
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
    if (replies === undefined || replies.length === 0) return { kind: 'new' };
    for (const [id, reply] of replies) if (id === syncId) return { kind: 'saved', reply };
    const newest = replies[replies.length - 1]?.[0] ?? 0;
    return syncId > newest ? { kind: 'new' } : { kind: 'too-old', newestSyncId: newest };
  }

  save(clientId: string, syncId: number, reply: unknown): void {
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
    replies.push([syncId, reply]);
    if (replies.length > this.syncDepth) replies.shift();
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
      for (const [syncId, reply] of replies) cache.save(clientId, syncId, reply);
    }
    return cache;
  }
}
