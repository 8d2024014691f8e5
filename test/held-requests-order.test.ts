/**
 * Requests held while the state holds still (a measure of the store's
 * room, a compaction) run in the order they came, also when one of them
 * begins another measure: it waits at the front, and the loop that serves
 * them stops until the state moves again. Each update here replaces a
 * 1.5 KB field, so the room's bound grows fast while the state does not,
 * and measures follow one another with requests waiting. With fewer served
 * a tick than the default, held requests outlast a tick and new ones come
 * meanwhile: they wait behind.
 * Virtual time: the harness ticks a core at most once a millisecond.
 */
import test from 'ava';
import { RetentiveMemory } from '../boards/retentive-memory.ts';
import { type AnyApp, defineApp } from '../firmware/app.ts';
import type { StoreGeometry } from '../firmware/hal.ts';
import type { PairConfig } from '../firmware/runtime/config.ts';
import { CorePair } from './helpers/core-pair.ts';

const CLIENTS = 100;
const BLOB_CHARS = 1500;
const STORE: StoreGeometry = {
  eraseBlockBytes: 65_536,
  writeBytes: 16,
  blockCount: 4,
  enduranceCycles: 100_000,
};

type Blob = { n: number; blob: string };

/** Each request replaces the blob and numbers itself: its reply is its place in the order run. */
const blobApp: AnyApp = defineApp<Blob, null, Blob, number>({
  name: 'blob',
  version: '1.0.0',
  stateVersion: 1,
  checkpoint: 'state',
  durability: 'retained',
  init: () => ({ n: 0, blob: 'a'.repeat(BLOB_CHARS) }),
  parseRequest: () => null,
  handle: (state) => {
    const n = state.n + 1;
    return { update: { n, blob: String.fromCharCode(97 + (n % 26)).repeat(BLOB_CHARS) }, reply: n };
  },
  apply: (_state, update) => update,
});

/**
 * Clients that each send their next request once answered, for 4 s, on a
 * primary alone; what ran, in the order the requests came, with its place
 * in the order run.
 */
function run(config: Partial<PairConfig>) {
  const stores = [new RetentiveMemory(STORE), new RetentiveMemory(STORE)] as const;
  const pair = new CorePair([blobApp, blobApp], { encodeSliceBytes: 64, ...config }, stores);
  pair.runUntil(() => pair.whole, 60_000);
  // Alone, the primary answers as soon as it runs a request: no line paces the clients.
  pair.powerOff(1);
  pair.run(1000);
  const primary = pair.core(0);
  for (let c = 0; c < CLIENTS; c++) pair.ask(0, `c${c}`, 0, null);
  /** Times the bound fell to a measured size: after a measure, or a compaction's record. */
  let boundFell = 0;
  let lastBound = 0;
  /** The order requests came in: `client/sync id` → its place. */
  const arrival = new Map<string, number>();
  const sent = Array.from({ length: CLIENTS }, () => 0);
  const answered = Array.from({ length: CLIENTS }, () => 0);
  let seen = 0;
  for (let ms = 0; ms < 4000; ms++) {
    for (let c = 0; c < CLIENTS; c++) {
      if (answered[c] !== sent[c]) continue;
      const syncId = (sent[c] ?? 0) + 1;
      sent[c] = syncId;
      arrival.set(`c${c}/${syncId}`, arrival.size);
      pair.request(0, `c${c}`, syncId, null, { register: false });
    }
    pair.run(1);
    for (const reply of pair.replies.slice(seen)) {
      const c = Number(reply.clientId.slice(1));
      if (reply.syncId === sent[c]) answered[c] = reply.syncId;
    }
    seen = pair.replies.length;
    const bound = primary.durable?.room?.snapshotBytes ?? 0;
    if (bound < lastBound) boundFell += 1;
    lastBound = bound;
  }
  const ran = pair.replies
    .flatMap((reply) =>
      reply.ok && reply.syncId > 0
        ? [
            {
              place: arrival.get(`${reply.clientId}/${reply.syncId}`) ?? -1,
              n: reply.reply as number,
            },
          ]
        : [],
    )
    .sort((a, b) => a.place - b.place);
  const holdFull = pair.replies.filter((r) => !r.ok && r.why.code === 'hold-full').length;
  return { role: primary.role, ran, boundFell, holdFull };
}

// 32 a tick is the default; with 4, held requests often outlast a tick and new ones come meanwhile.
for (const heldServedMax of [32, 4]) {
  test(`requests held while the state holds still run in the order they came, also when one of them begins a measure (${heldServedMax} served a tick)`, (t) => {
    const { role, ran, boundFell } = run({ heldServedMax });
    t.log(
      `${ran.length} requests ran; the room's bound fell to a measured size ${boundFell} times`,
    );
    t.is(role, 'primary-alone');
    t.true(ran.length > 300, 'requests ran');
    t.true(boundFell >= 5, 'the room measured the state again and again');
    const outOfOrder = ran.filter((r, i) => i > 0 && r.n < (ran[i - 1]?.n ?? 0));
    t.deepEqual(
      outOfOrder.slice(0, 3),
      [],
      'each request ran after every request that came before it',
    );
  });
}

test('past heldRequestsMax waiting, a request is refused busy (hold-full), and what runs keeps its order', (t) => {
  const { ran, holdFull } = run({ heldRequestsMax: 10 });
  t.log(`${holdFull} requests refused hold-full, ${ran.length} ran`);
  t.true(holdFull > 0, 'the hold filled');
  t.true(ran.length > 300, 'requests ran');
  t.true(ran.every((r, i) => i === 0 || r.n > (ran[i - 1]?.n ?? 0)));
});
