/**
 * The reply cache keeps each session's sync window as bits (sync-window.ts)
 * rather than a list of ids. It must answer exactly as the list did: the
 * list's rules are kept here as the model, and random pipelined, retried,
 * far-jumping and evicted traffic, with big checkpoints through CBOR in
 * between, must give the same lookups and the same sessions from both.
 *
 * The seed is printed; to replay a run:
 *   REPLY_CACHE_SEED=<seed> npx ava test/reply-cache.test.ts
 */
import test from 'ava';
import { seededRandom } from '../firmware/runtime/random.ts';
import { type CacheSession, ReplyCache } from '../firmware/runtime/reply-cache.ts';
import { SYNC_WINDOW, SyncWindow } from '../firmware/runtime/sync-window.ts';
import { decodeCbor, encodeCbor } from '../firmware/wire/cbor.ts';

const given = process.env.REPLY_CACHE_SEED;
const seed = given === undefined ? (Date.now() % 2 ** 31) >>> 0 : Number(given);
const LIMITS = { bytesMax: 1 << 20, depthMax: 16, itemsMax: 100_000 };

/** The sync window as a list of ids, ascending, as the cache kept it before (the model). */
class ListWindow {
  readonly ids: number[] = [];

  add(id: number): void {
    let to = this.ids.length;
    while (to > 0 && (this.ids[to - 1] as number) > id) to--;
    if (to === 0 || this.ids[to - 1] !== id) this.ids.splice(to, 0, id);
    const highest = this.ids[this.ids.length - 1] ?? 0;
    while ((this.ids[0] ?? highest) <= highest - SYNC_WINDOW) this.ids.shift();
  }

  /** As a big checkpoint's list was installed: every id, once, sorted. */
  static from(ids: readonly number[]): ListWindow {
    const window = new ListWindow();
    window.ids.push(...new Set(ids));
    window.ids.sort((a, b) => a - b);
    return window;
  }

  /** The lookup's answer for an id not among the replies kept. */
  lookup(id: number): string {
    const highest = this.ids.at(-1) ?? 0;
    if (id <= highest - SYNC_WINDOW || this.ids.includes(id)) return `too-old ${highest}`;
    return 'new';
  }
}

/** The ids a session says ran, in either form it may have. */
function ranOf(session: CacheSession | undefined): number[] {
  if (session === undefined) return [];
  if (session.length === 3) return [...session[2]];
  const window = new SyncWindow();
  window.setWords(session[2], session[3], session[4]);
  return window.list();
}

function lookupOf(cache: ReplyCache, clientId: string, syncId: number): string {
  const found = cache.lookup(clientId, syncId);
  if (found.kind === 'too-old') return `too-old ${found.newestSyncId}`;
  return found.kind === 'saved' ? `saved ${JSON.stringify(found.reply)}` : found.kind;
}

test(`the window of bits answers as the list of ids did (seed ${seed})`, (t) => {
  t.log(`replay: REPLY_CACHE_SEED=${seed} npx ava test/reply-cache.test.ts`);
  const random = seededRandom(seed);
  const pick = (n: number) => Math.floor(random() * n);
  for (let run = 0; run < 200; run++) {
    let cache = new ReplyCache(4, 8);
    let list = new ListWindow();
    let next = pick(3) === 0 ? pick(1_000_000) : 1;
    for (let step = 0; step < 300; step++) {
      const roll = pick(20);
      // Mostly the next ids, some out of order, some retried, now and then a far jump.
      const id =
        roll === 0
          ? next + SYNC_WINDOW - 1 + pick(3)
          : roll === 1
            ? Math.max(0, next - SYNC_WINDOW - pick(4))
            : Math.max(0, next - pick(8) + pick(3));
      cache.save('c', id, step);
      list.add(id);
      next = Math.max(next, id + 1);
      const probe = Math.max(0, next - pick(SYNC_WINDOW + 8));
      const answer = lookupOf(cache, 'c', probe);
      // A reply kept for the id answers first, as it did with the list.
      if (!answer.startsWith('saved') && answer !== list.lookup(probe)) {
        t.fail(
          `run ${run} step ${step}: id ${probe}: ${answer}, by the list ${list.lookup(probe)}`,
        );
        return;
      }
      const ran = ranOf(cache.entries()[0]);
      if (JSON.stringify(ran) !== JSON.stringify(list.ids)) {
        t.fail(`run ${run} step ${step}: ${ran} against the list's ${list.ids}`);
        return;
      }
      if (pick(50) === 0) {
        // A big checkpoint: the sessions cross and are installed on the other side.
        const sessions = decodeCbor(encodeCbor(cache.entries(), LIMITS), LIMITS) as CacheSession[];
        cache = ReplyCache.from(4, 8, sessions);
        list = ListWindow.from(ranOf(sessions[0]));
      }
    }
  }
  t.pass();
});

// A client's sync ids are its own: one may leap by any amount, and the board must not
// walk the ids it leapt over (a leap of 2^52 would stall it for days).
test('a leap of any size past the window forgets every id below it at once', (t) => {
  const window = new SyncWindow();
  for (let id = 1; id <= 10; id++) window.add(id);
  const far = 2 ** 52;
  window.add(far);
  t.is(window.highest, far);
  t.true(window.has(far));
  for (let id = 1; id <= 10; id++) t.false(window.has(id));
  for (let back = 1; back < SYNC_WINDOW; back++) t.false(window.has(far - back));
});

test('a window installed from any list of ids holds those inside it', (t) => {
  const window = new SyncWindow();
  for (const id of [70, 3, 200, 199, 70, 137, 136]) window.add(id);
  t.deepEqual(window.list(), [137, 199, 200]);
  t.is(window.highest, 200);
  t.false(window.has(136));
  t.false(new SyncWindow().has(0));
  t.is(new SyncWindow().highest, -1);
});

test(`a cache installed from a big checkpoint answers as the one it was taken from (seed ${seed})`, (t) => {
  const random = seededRandom(seed + 1);
  const pick = (n: number) => Math.floor(random() * n);
  const cache = new ReplyCache(4, 6);
  const next = new Map<string, number>();
  for (let step = 0; step < 3000; step++) {
    const client = `c${pick(9)}`;
    const at = next.get(client) ?? 1;
    const syncId = Math.max(1, at - pick(6) + (pick(30) === 0 ? SYNC_WINDOW : 0));
    if (pick(10) === 0) cache.register(client);
    else cache.save(client, syncId, { ok: true, n: step });
    next.set(client, Math.max(at, syncId + 1));
  }
  const sessions = decodeCbor(encodeCbor(cache.entries(), LIMITS), LIMITS) as CacheSession[];
  const installed = ReplyCache.from(4, 6, sessions);
  t.deepEqual(installed.entries(), cache.entries());
  for (const [client, at] of next) {
    for (let syncId = Math.max(0, at - SYNC_WINDOW - 4); syncId <= at + 2; syncId++) {
      t.is(lookupOf(installed, client, syncId), lookupOf(cache, client, syncId));
    }
  }
});

test(`sessions as images before wrote them (the ids run as a list) install as the same cache (seed ${seed})`, (t) => {
  const random = seededRandom(seed + 2);
  const pick = (n: number) => Math.floor(random() * n);
  const cache = new ReplyCache(4, 6);
  for (let step = 0; step < 2000; step++) {
    const client = `c${pick(8)}`;
    if (pick(12) === 0) cache.register(client);
    else cache.save(client, 1 + pick(300), { ok: true, n: step });
  }
  const listed: CacheSession[] = cache
    .entries()
    .map((session) => [session[0], session[1], ranOf(session)] as const);
  const installed = ReplyCache.from(4, 6, listed);
  t.deepEqual(installed.entries(), cache.entries());
});

test('a session carries its sync window as three numbers, however many ids ran', (t) => {
  const cache = new ReplyCache(4, 8);
  for (let syncId = 1; syncId <= 200; syncId++) cache.save('c', syncId, { ok: true });
  cache.register('fresh');
  const [busy, fresh] = cache.entries();
  t.deepEqual(busy?.slice(2), [200, 0xffffffff, 0xffffffff]);
  t.deepEqual(fresh?.slice(2), [-1, 0, 0]);
  t.deepEqual(ranOf(busy).length, SYNC_WINDOW);
});

test("a cache installed from a partner that kept more replies a client keeps its own sync depth's newest", (t) => {
  const replies = [1, 2, 3, 4, 5, 6].map((syncId) => [syncId, `r${syncId}`] as const);
  const cache = ReplyCache.from(4, 8, [['c1', replies, [1, 2, 3, 4, 5, 6]]]);
  const [session] = cache.entries();
  t.deepEqual(session?.[1], replies.slice(-4));
  t.deepEqual(cache.lookup('c1', 6), { kind: 'saved', reply: 'r6' });
  t.deepEqual(cache.lookup('c1', 2), { kind: 'too-old', newestSyncId: 6 });
});
