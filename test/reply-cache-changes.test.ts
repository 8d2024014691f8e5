/**
 * A pre-copy's rounds carry the reply cache's changes since the round
 * before (reply-cache.ts, record and takeRecorded): one by one for a
 * partner of an image before, by session otherwise, one a client however
 * many requests it ran. Either way, replayed on a copy of the cache
 * as it was, through CBOR as a round carries them, they must give the same
 * sessions in the same recency order, with sessions forgotten for newer
 * clients meanwhile. The traffic is random; the seed is printed, and
 *   REPLY_CACHE_SEED=<seed> npx ava test/reply-cache-changes.test.ts
 * replays a run.
 */
import test from 'ava';
import { parseRound } from '../firmware/runtime/messages.ts';
import { seededRandom } from '../firmware/runtime/random.ts';
import { type CacheOp, ReplyCache } from '../firmware/runtime/reply-cache.ts';
import { decodeCbor, encodeCbor } from '../firmware/wire/cbor.ts';

const given = process.env.REPLY_CACHE_SEED;
const seed = given === undefined ? (Date.now() % 2 ** 31) >>> 0 : Number(given);
const LIMITS = { bytesMax: 1 << 22, depthMax: 16, itemsMax: 1_000_000 };

/** The changes as a round carries them: encoded, decoded and checked as the joiner reads them. */
function carried(ops: CacheOp[]): readonly CacheOp[] {
  const round = {
    base: 1,
    final: false,
    stateVersion: 1,
    txn: 0,
    term: 1,
    state: [],
    cache: [],
    cacheOps: ops,
  };
  return parseRound(decodeCbor(encodeCbor(round, LIMITS), LIMITS)).cacheOps;
}

/** Random traffic: clients register, pipeline, retry, leap ahead; a few clients far more often than the rest. */
function traffic(cache: ReplyCache, random: () => number, steps: number, clients: number): void {
  const next = new Map<string, number>();
  for (let step = 0; step < steps; step++) {
    const busy = random() < 0.5;
    const clientId = `client-${Math.floor(random() * (busy ? 3 : clients))}`;
    const syncId = next.get(clientId) ?? 0;
    const roll = random();
    if (syncId === 0 || roll < 0.03) {
      cache.register(clientId);
      next.set(clientId, Math.max(1, syncId));
    } else if (roll < 0.1) {
      // A pipelined request run late: an id below the highest that did not run yet.
      const late = syncId - 1 - Math.floor(random() * 8);
      if (late > 0 && cache.lookup(clientId, late).kind === 'new')
        cache.save(clientId, late, { late: step });
    } else if (roll < 0.12) {
      next.set(clientId, syncId + 50 + Math.floor(random() * 100));
    } else if (cache.lookup(clientId, syncId).kind === 'new') {
      cache.save(clientId, syncId, { reply: step });
      next.set(clientId, syncId + 1);
    } else {
      next.set(clientId, syncId + 1);
    }
  }
}

for (const bySession of [true, false]) {
  const form = bySession ? 'by session' : 'one by one';
  test(`changes taken ${form} and replayed give the same cache, evictions included (seed ${seed})`, (t) => {
    const random = seededRandom(seed);
    for (let run = 0; run < 40; run++) {
      const clientsMax = 2 + Math.floor(random() * 12);
      const cache = new ReplyCache(4, clientsMax);
      traffic(cache, random, 50, 20);
      const copy = ReplyCache.from(4, clientsMax, cache.entries());
      cache.record(bySession);
      for (let round = 0; round < 5; round++) {
        const steps = Math.floor(random() * 300);
        traffic(cache, random, steps, 20);
        const ops = cache.takeRecorded();
        if (bySession) {
          const sessions = ops.filter((op) => op.length === 5).length;
          t.true(sessions <= clientsMax, `${sessions} sessions changed of ${clientsMax}`);
        }
        copy.replay(carried(ops));
        t.deepEqual(copy.entries(), cache.entries(), `run ${run}, round ${round}, ${steps} steps`);
      }
    }
  });
}

test('by session, a client that ran a thousand requests in a round is one change with its sync depth of replies', (t) => {
  const cache = new ReplyCache(4, 256);
  cache.register('busy');
  cache.record(true);
  for (let syncId = 1; syncId <= 1000; syncId++) cache.save('busy', syncId, syncId);
  const [change, ...more] = cache.takeRecorded();
  t.deepEqual(more, []);
  t.deepEqual(
    change?.[1],
    [997, 998, 999, 1000].map((id) => [id, id]),
  );
  t.deepEqual(cache.takeRecorded(), [], 'nothing changed since the take');
  cache.save('busy', 1001, 1001);
  t.deepEqual(cache.takeRecorded()[0]?.[1], [[1001, 1001]], 'a request since: its reply alone');
});
