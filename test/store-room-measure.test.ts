/**
 * The primary keeps an upper bound of its snapshot's size (store-room.ts);
 * when the bound reaches the store's limit, the state and the reply cache
 * are measured again. Measured whole, that was one call as long as a
 * whole encoding (1.2 million XS units at the bench's large state): now
 * a slice a tick, with the state held still and the requests waiting, in
 * order, each run once. The state here counts its reads, call by call.
 * Virtual time: the harness ticks a core at most once a millisecond.
 */
import test from 'ava';
import { RetentiveMemory } from '../boards/retentive-memory.ts';
import { type AnyApp, defineApp } from '../firmware/app.ts';
import type { StoreGeometry } from '../firmware/hal.ts';
import type { PairCore } from '../firmware/runtime/core.ts';
import { aroundEachCall } from './helpers/core-calls.ts';
import { CorePair } from './helpers/core-pair.ts';

const CELLS = 3000;
const CLIENTS = 8;
/** Two areas of 128 KiB: room for the cells and a couple of hundred requests' bound. */
const STORE: StoreGeometry = {
  eraseBlockBytes: 65_536,
  writeBytes: 16,
  blockCount: 4,
  enduranceCycles: 100_000,
};

/** Reads of an item of the ballast, since the harness last cleared it. */
let cellReads = 0;

/**
 * Ballast that counts reads of its items: an encoding reads each as it
 * reaches it. Requests never write it (the write log copies an array a
 * request writes in, which would read it all).
 */
function countedBallast(): number[] {
  return new Proxy(
    Array.from({ length: CELLS }, (_, i) => i),
    {
      get(target, key, receiver) {
        if (typeof key === 'string' && key !== 'length' && Number.isInteger(Number(key)))
          cellReads += 1;
        return Reflect.get(target, key, receiver);
      },
    },
  );
}

type Cells = { n: number; hits: Record<string, number>; ballast: number[] };

/** Each request counts a hit in one of 50 cells: run twice or lost, the counts show it. */
const cellsApp: AnyApp = defineApp<Cells, null, number, number>({
  name: 'cells',
  version: '1.0.0',
  stateVersion: 1,
  checkpoint: 'state',
  durability: 'retained',
  init: () => ({ n: 0, hits: {}, ballast: countedBallast() }),
  parseRequest: () => null,
  handle: (state) => ({ update: state.n + 1, reply: state.n + 1 }),
  apply: (state, n) => {
    state.n = n;
    const cell = `c${n % 50}`;
    state.hits[cell] = (state.hits[cell] ?? 0) + 1;
    return state;
  },
});

/** The most cells any one call into `core` read. */
function watchReads(core: PairCore): { readonly most: () => number } {
  let most = 0;
  aroundEachCall(core, (_name, call) => {
    cellReads = 0;
    const result = call();
    most = Math.max(most, cellReads);
    return result;
  });
  return { most: () => most };
}

function run(encodeSliceBytes: number) {
  const stores = [new RetentiveMemory(STORE), new RetentiveMemory(STORE)] as const;
  const pair = new CorePair([cellsApp, cellsApp], { encodeSliceBytes }, stores);
  pair.runUntil(() => pair.whole, 60_000);
  const reads = watchReads(pair.core(0));
  const room = () => pair.core(0).durable?.room;
  const limit = room()?.snapshotBytesMax ?? 0;
  const sent = Array.from({ length: CLIENTS }, () => 0);
  const answered = Array.from({ length: CLIENTS }, () => 0);
  const replies = new Set<number>();
  /** A millisecond on, with the replies it brought. */
  const runMs = () => {
    const seen = pair.replies.length;
    pair.run(1);
    for (const reply of pair.replies.slice(seen)) {
      const c = Number(reply.clientId.slice(1));
      if (reply.syncId === sent[c]) answered[c] = reply.syncId;
      if (reply.ok) replies.add(reply.reply as number);
    }
  };
  let boundReachedLimit = false;
  let afterMs = 0;
  for (let ms = 0; ms < 10_000 && afterMs < 300; ms++) {
    for (let c = 0; c < CLIENTS; c++) {
      if (answered[c] !== sent[c]) continue;
      sent[c] = (sent[c] ?? 0) + 1;
      pair.request(0, `c${c}`, sent[c] ?? 0, null);
    }
    runMs();
    // The bound came within a request of the limit: a request asked for a measure.
    if ((room()?.snapshotBytes ?? 0) > limit - 100) boundReachedLimit = true;
    if (boundReachedLimit) afterMs += 1;
  }
  for (let ms = 0; ms < 10_000 && !answered.every((a, c) => a === sent[c]); ms++) runMs();
  pair.run(200);
  return { pair, most: reads.most(), boundReachedLimit, replies, sent };
}

test('the room measures the state a slice a tick once its bound reaches the limit; requests wait and run once', (t) => {
  const sliced = run(64);
  const whole = run(1 << 20);
  t.log(`most cells read in one call: ${sliced.most} in 64-byte slices, ${whole.most} in one`);
  for (const { pair, boundReachedLimit, replies, sent } of [sliced, whole]) {
    t.true(boundReachedLimit, 'the bound reached the limit (else no measure was asked for)');
    const { n, hits } = pair.core(0).state as Cells;
    t.is(
      Object.values(hits).reduce((sum, c) => sum + c, 0),
      n,
      'each request ran once',
    );
    t.is(replies.size, n, 'every request answered, once');
    t.is(
      sent.reduce((sum, s) => sum + s, 0),
      n,
      'every request sent ran',
    );
    t.deepEqual(pair.core(1).state, pair.core(0).state);
  }
  t.true(whole.most >= CELLS, 'in one slice a call reads every cell (a check that can fail)');
  t.true(sliced.most < CELLS / 4, `${sliced.most} cells read in one call`);
});
