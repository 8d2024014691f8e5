/**
 * A joiner of our own version takes the big checkpoint in rounds while the
 * primary serves and answers at once (firmware/runtime/pre-copy.ts): the
 * whole state first, then what changed, until a round is small enough to be
 * the last; checkpoints follow that one. Nothing waits for the joiner
 * before its last round, and once it is a backup it holds every
 * acknowledged request. Virtual time, 115200 baud.
 */
import test, { type ExecutionContext } from 'ava';
import type { ClientReply } from '../firmware/runtime/messages.ts';
import type { PairEvent } from '../firmware/runtime/outputs.ts';
import { SYNC_WINDOW } from '../firmware/runtime/sync-window.ts';
import { encodeCbor } from '../firmware/wire/cbor.ts';
import { acknowledged, BIG_CELLS, cellsApp } from './helpers/cells-app.ts';
import { CorePair } from './helpers/core-pair.ts';

function rejoining(clients = 1) {
  const pair = new CorePair([cellsApp(BIG_CELLS), cellsApp(BIG_CELLS)], {});
  pair.runUntil(() => pair.whole, 60_000);
  for (let c = 0; c < clients; c++) pair.ask(0, `c${c}`, 1, null);
  pair.powerOff(1);
  pair.runUntil(() => pair.core(0).role === 'primary-alone');
  pair.boot(1);
  pair.runUntil(() => pair.cores[1]?.role === 'joining');
  return pair;
}

function lastRounds(pair: CorePair): Extract<PairEvent, { kind: 'role' }>[] {
  return pair
    .eventsOf('role')
    .filter(
      (e): e is Extract<PairEvent, { kind: 'role' }> =>
        e.kind === 'role' && e.cause === 'last-round-to-joiner',
    );
}

/**
 * The primary is pulled: the new backup takes over with every acknowledged
 * request, and a retry of any of a client's last SYNC_WINDOW acknowledged
 * requests gets the reply it got, or `too-old` beyond the sync depth (the
 * rounds carried the reply cache's changes), never a second run.
 */
function pullPrimaryKeepsAll(t: ExecutionContext, pair: CorePair): void {
  const ran = acknowledged(pair);
  const byClient = new Map<string, ClientReply[]>();
  for (const reply of pair.replies)
    if (reply.ok && reply.syncId > 0)
      byClient.set(reply.clientId, [...(byClient.get(reply.clientId) ?? []), reply]);
  pair.powerOff(0);
  pair.runUntil(() => pair.cores[1]?.serving === true);
  const state = pair.core(1).state as { n: number; cells: number[] };
  t.true(state.n >= ran, `took over at ${state.n}, ${ran} acknowledged`);
  let retried = 0;
  for (const [clientId, replies] of byClient) {
    const newest = [...replies].sort((a, b) => b.syncId - a.syncId).slice(0, SYNC_WINDOW);
    for (const [index, reply] of newest.entries()) {
      const again = pair.ask(1, clientId, reply.syncId, null);
      retried += 1;
      if (index < pair.core(1).config.syncDepth) t.deepEqual(again, reply);
      else t.is(again.ok ? 'ran again' : again.error, 'too-old', `${clientId} ${reply.syncId}`);
    }
  }
  t.true(retried > 0);
  t.is((pair.core(1).state as { n: number }).n, state.n, 'no retry ran again');
}

test('a lone writer is answered at once while a joiner takes a big state in rounds, and the joiner ends with it all', (t) => {
  const pair = rejoining();
  const startMs = pair.nowMs;
  const waits: number[] = [];
  let syncId = 1;
  while (pair.cores[1]?.role !== 'backup' && pair.nowMs - startMs < 60_000) {
    const askedMs = pair.nowMs;
    const answered = pair.replies.length;
    pair.request(0, 'c0', ++syncId, null);
    pair.runUntil(() => pair.replies.length > answered, 10_000);
    waits.push(pair.nowMs - askedMs);
    pair.run(10);
  }
  t.is(pair.core(1).role, 'backup');
  const transferMs = pair.nowMs - startMs;
  t.true(transferMs > 1000, `the transfer took ${transferMs} ms: the state is not big enough`);
  // Waiting for the joiner, each write waited for a 448-byte chunk (37 to 38 ms); now only a
  // write behind the last round waits for it (about 200 bytes: 17 ms) and the round trip after.
  waits.sort((a, b) => a - b);
  const median = waits[Math.floor(waits.length / 2)] as number;
  t.true(median <= 2, `writes waited ${median} ms at the median`);
  t.true((waits.at(-1) as number) <= 30, `writes waited up to ${waits.at(-1)} ms`);
  t.true(
    pair.replies.every((r) => r.ok),
    'every write answered',
  );
  const [last] = lastRounds(pair);
  t.truthy(last, 'the transfer ended with a last round');
  t.true(waits.length > 50, `${waits.length} writes during the transfer`);
  pair.run(200);
  t.deepEqual(pair.core(1).state, pair.core(0).state);
  pullPrimaryKeepsAll(t, pair);
});

test('clients faster than the line: the rounds stop once they no longer shrink, the last carries at most the whole state, and nothing is lost', (t) => {
  const clients = 32;
  const pair = rejoining(clients);
  const startMs = pair.nowMs;
  const syncIds = Array.from({ length: clients }, () => 1);
  let seen = pair.replies.length;
  // Every client writes again as soon as it is answered.
  for (let c = 0; c < clients; c++) pair.request(0, `c${c}`, ++(syncIds[c] as number), null);
  while (pair.cores[1]?.role !== 'backup' && pair.nowMs - startMs < 60_000) {
    // Each client at most a request a millisecond: those answered as they are handed over, the next.
    const answered = pair.replies.length;
    for (; seen < answered; seen++) {
      const reply = pair.replies[seen] as ClientReply;
      const c = Number(reply.clientId.slice(1));
      if (reply.syncId === syncIds[c])
        pair.request(0, reply.clientId, ++(syncIds[c] as number), null);
    }
    pair.run(1);
  }
  t.is(pair.core(1).role, 'backup', 'the joiner became a backup');
  const last = lastRounds(pair).at(-1);
  const bytes = last?.why?.code === 'last-round' ? last.why.bytes : Number.NaN;
  // Item by item, what changed came to three times the state: the last round carries the whole state instead.
  const stateBytes = encodeCbor(pair.core(0).state, {
    bytesMax: 1 << 22,
    depthMax: 8,
    itemsMax: 1 << 20,
  }).length;
  t.true(bytes <= 1.2 * stateBytes, `the last round was ${bytes} bytes, the state ${stateBytes}`);
  const ran = acknowledged(pair);
  t.log(
    `${ran} writes ran in the ${pair.nowMs - startMs} ms the transfer took; last round ${bytes} bytes`,
  );
  t.true(ran > 1000, `${ran} writes ran during the transfer`);
  pair.run(500);
  t.deepEqual(pair.core(1).state, pair.core(0).state);
  pullPrimaryKeepsAll(t, pair);
});

/** How long each client of the test below thinks between an answer and its next write. */
const THINK_MS = 40;

test("the last round's chunks hold no reply: the joiner cannot take over before its final chunk, which goes behind every entry answered", (t) => {
  const clients = 8;
  const pair = rejoining(clients);
  const startMs = pair.nowMs;
  const syncIds = Array.from({ length: clients }, () => 1);
  const askedAt = new Map<string, number>();
  const ask = (c: number) => {
    const syncId = ++(syncIds[c] as number);
    askedAt.set(`c${c}:${syncId}`, pair.nowMs);
    pair.request(0, `c${c}`, syncId, null);
  };
  // Each client writes again 40 ms after its answer: the rounds stop shrinking at a last
  // round of about 1.5 KB, four chunks, as in the lab at 4,000 accounts (1.1 to 1.9 KB).
  const answers: { atMs: number; waitMs: number }[] = [];
  const again: { c: number; atMs: number }[] = [];
  let seen = pair.replies.length;
  for (let c = 0; c < clients; c++) ask(c);
  while (pair.cores[1]?.role !== 'backup' && pair.nowMs - startMs < 60_000) {
    for (; seen < pair.replies.length; seen++) {
      const reply = pair.replies[seen] as ClientReply;
      const askedMs = askedAt.get(`${reply.clientId}:${reply.syncId}`);
      if (askedMs === undefined) continue;
      answers.push({ atMs: pair.nowMs, waitMs: pair.nowMs - askedMs });
      again.push({ c: Number(reply.clientId.slice(1)), atMs: pair.nowMs + THINK_MS });
    }
    for (const due of again.filter((a) => a.atMs <= pair.nowMs)) ask(due.c);
    again.splice(0, again.length, ...again.filter((a) => a.atMs > pair.nowMs));
    pair.run(1);
  }
  t.is(pair.core(1).role, 'backup', 'the joiner became a backup');
  const last = pair.events.find(
    (e) => e.atMs >= startMs && e.event.kind === 'role' && e.event.cause === 'last-round-to-joiner',
  );
  const bytes =
    last?.event.kind === 'role' && last.event.why?.code === 'last-round' ? last.event.why.bytes : 0;
  t.true(bytes > 3 * 448, `the last round was ${bytes} bytes: fewer than four chunks`);
  const crossing = answers.filter((a) => a.atMs > (last?.atMs ?? Number.POSITIVE_INFINITY));
  const waits = crossing.map((a) => a.waitMs).sort((a, b) => a - b);
  const median = waits[Math.floor(waits.length / 2)] as number;
  t.log(
    `last round ${bytes} bytes; ${waits.length} answers after it, waits median ${median} ms, longest ${waits.at(-1)} ms`,
  );
  // Waiting for the joiner's acknowledgements behind the round's 448-byte chunks (39 ms
  // each), they waited 54 to 63 ms, every one of them.
  t.true(waits.length > 20, `${waits.length} answers while the last round crossed`);
  t.true(median <= 2, `answers waited ${median} ms at the median while the last round crossed`);
  t.true((waits.at(-1) as number) < 39, `an answer waited ${waits.at(-1)} ms, a chunk's line time`);
  pair.run(500);
  t.deepEqual(pair.core(1).state, pair.core(0).state);
  pullPrimaryKeepsAll(t, pair);
});
