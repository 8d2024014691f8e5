/**
 * A joiner reads the big checkpoint chunk by chunk as the chunks arrive and
 * installs what it received without copying it: the state and the reply
 * cache's sessions it holds are the decoded ones, checked where they lie.
 * Chunks count only in order and within their transfer; what does not make
 * a round is refused with a MessageError once the transfer is complete,
 * before anything is installed.
 */
import test from 'ava';
import { parseRound, type Round } from '../firmware/runtime/messages.ts';
import {
  addChunk,
  addRound,
  type Chunk,
  chunksOf,
  encodeRound,
  endingShort,
  noTransfer,
  readRound,
  type Transfer,
} from '../firmware/runtime/state-transfer.ts';
import { decodeCbor } from '../firmware/wire/cbor.ts';
import { MessageError } from '../firmware/wire/errors.ts';

const CACHE_SIZE = { syncDepth: 4, clientsMax: 256 };
const LIMITS = { bytesMax: 1 << 20, depthMax: 32, itemsMax: 100_000 };
/** The chunk size at 115200 baud. */
const CHUNK_BYTES = 448;

function wholeRound(cache: unknown, accounts = 2): Round {
  const balances: Record<string, number> = {};
  for (let index = 0; index < accounts; index++) balances[`acct-${index}`] = index * 100;
  return {
    base: 0,
    final: true,
    stateVersion: 1,
    txn: 42,
    term: 3,
    state: [[0, [], { accounts: balances }]],
    cache: cache as Round['cache'],
    cacheOps: [],
  };
}

/** Sessions as they cross: the sync window as its highest id and two words (ids 5, 6 and 7 ran). */
const SESSIONS = [
  ['client-1', [[7, { reply: { ok: true }, txn: 40 }]], 7, 0b1110_0000, 0],
  ['client-2', [], -1, 0, 0],
];
/** The same, as images before wrote them: the ids run as a list. */
const LISTED_SESSIONS = [
  ['client-1', [[7, { reply: { ok: true }, txn: 40 }]], [5, 6, 7]],
  ['client-2', [], []],
];

/** The chunks fed to a joiner in turn: the transfer when the last one completed it, else null. */
function receive(chunks: readonly Chunk[], from: Transfer = noTransfer()): Transfer | null {
  let transfer = from;
  let complete: Transfer | null = null;
  for (const chunk of chunks) ({ transfer, complete } = addChunk(transfer, chunk));
  return complete;
}

test('a round read chunk by chunk is the round that was sent', (t) => {
  const round = wholeRound(SESSIONS, 300);
  const chunks = chunksOf(encodeRound(round), 5, CHUNK_BYTES);
  t.true(chunks.length > 5);
  const complete = receive(chunks);
  if (complete === null) return t.fail('the transfer did not complete');
  t.deepEqual(readRound(complete), round);
});

test('a round whose last chunk was cut short is the round that was sent, its last chunk as short as asked', (t) => {
  const round = wholeRound(SESSIONS, 300);
  const chunks = chunksOf(encodeRound(round), 5, CHUNK_BYTES);
  const short = endingShort(chunks, 16);
  t.is(short.length, chunks.length + 1);
  t.is(short.at(-1)?.data.length, 16);
  t.true(short.every((chunk, index) => chunk.index === index && chunk.count === short.length));
  const complete = receive(short);
  if (complete === null) return t.fail('the transfer did not complete');
  t.deepEqual(readRound(complete), round);
  // One short enough already is left as it is.
  const tiny = chunksOf(encodeRound(round), 5, 16);
  t.deepEqual(endingShort(tiny, 16), tiny);
});

test('chunks count only in order and within their transfer; a new transfer starts at its first chunk', (t) => {
  const first = chunksOf(encodeRound(wholeRound(SESSIONS)), 5, 16);
  const second = chunksOf(encodeRound(wholeRound([], 3)), 6, 16);
  const [a, b, ...rest] = first;
  if (a === undefined || b === undefined) return t.fail('too few chunks');
  // A gap: the chunks after it are not read, and the transfer never completes.
  t.is(receive([a, ...rest]), null);
  // Another transfer's chunk that is not its first is ignored; its first starts it over.
  const [c, ...others] = second;
  if (c === undefined) return t.fail('no chunks');
  const complete = receive([a, b, ...(others.slice(0, 1) as Chunk[]), c, ...others]);
  if (complete === null) return t.fail('the second transfer did not complete');
  t.is(complete.id, 6);
  t.deepEqual(readRound(complete), wholeRound([], 3));
});

test('chunks that do not make a round are refused when the transfer completes', (t) => {
  const chunks = chunksOf(encodeRound(wholeRound(SESSIONS, 50)), 5, 64);
  const count = chunks.length;
  const refusals: Array<[string, Chunk[]]> = [
    // A tag where the round begins: refused as it is read, the rest not read.
    ['a tag', chunks.map((c, i) => (i === 0 ? { ...c, data: Uint8Array.of(0xc1, ...c.data) } : c))],
    ['one chunk short', chunks.slice(0, -1).map((c) => ({ ...c, count: count - 1 }))],
    [
      'a chunk too many',
      [...chunks, { k: 'snap' as const, id: 5, index: count, count, data: Uint8Array.of(0) }].map(
        (c) => ({
          ...c,
          count: count + 1,
        }),
      ),
    ],
  ];
  for (const [what, broken] of refusals) {
    const complete = receive(broken);
    if (complete === null) return t.fail(`${what}: the transfer did not complete`);
    t.throws(() => readRound(complete), { instanceOf: MessageError }, what);
  }
});

test('a whole round is installed as decoded: the state and the sessions are not copied', (t) => {
  const decoded = decodeCbor(encodeRound(wholeRound(SESSIONS)), LIMITS) as {
    state: [[0, [], unknown]];
    cache: unknown;
  };
  const round = parseRound(decoded);
  t.is(round.cache as unknown, decoded.cache);
  const held = addRound(null, 1, round, CACHE_SIZE);
  if (held === null) return t.fail('a whole round is always installed');
  t.is(held.state, decoded.state[0][2]);
  t.deepEqual(held.state, { accounts: { 'acct-0': 0, 'acct-1': 100 } });
  t.deepEqual(held.cache.entries(), SESSIONS);
  t.like(held, { id: 1, stateVersion: 1, txn: 42, term: 3 });
});

test('a round from an image that sent the ids run as lists installs the same sessions', (t) => {
  const complete = receive(chunksOf(encodeRound(wholeRound(LISTED_SESSIONS)), 1, CHUNK_BYTES));
  if (complete === null) return t.fail('the transfer did not complete');
  const held = addRound(null, 1, readRound(complete), CACHE_SIZE);
  t.deepEqual(held?.cache.entries(), SESSIONS);
});

test('a round that changes one not held is skipped, and one that changes another state version is refused', (t) => {
  const first = addRound(null, 1, wholeRound(SESSIONS), CACHE_SIZE);
  const change = (base: number, stateVersion = 1): Round => ({
    ...wholeRound([]),
    base,
    stateVersion,
    state: [[0, ['accounts', 'acct-0'], 5]],
  });
  t.is(addRound(null, 2, change(1), CACHE_SIZE), null, 'nothing held');
  t.is(addRound(first, 3, change(2), CACHE_SIZE), null, 'another round held');
  const refused = t.throws(() => addRound(first, 2, change(1, 2), CACHE_SIZE), {
    instanceOf: MessageError,
  });
  t.like(refused, { code: 'bad-shape', why: { code: 'other-base', round: 2, base: 1 } });
  const next = addRound(first, 2, change(1), CACHE_SIZE);
  t.like(next, { id: 2, state: { accounts: { 'acct-0': 5, 'acct-1': 100 } } });
});

test('sessions that are not [client id, replies, highest, two words] nor [client id, replies, ids run] are refused', (t) => {
  const bad: unknown[] = [
    [['client-1', [], []], 'not a session'],
    [['client-1', [], [], 'extra']],
    [['client-1', []]],
    [['client-1', [[7]], []]],
    [['client-1', [[7, {}, 'extra']], []]],
    [['client-1', [['seven', {}]], []]],
    [['client-1', [], [-1]]],
    [['client-1', [], [1.5]]],
    [[7, [], []]],
    [['client-1', [], 7, 224]],
    [['client-1', [], 7, 224, 0, 0]],
    [['client-1', [], -2, 0, 0]],
    [['client-1', [], 7, 1.5, 0]],
    [['client-1', [], 7, 0, -1]],
    [['client-1', [], [7], 0, 0]],
  ];
  for (const cache of bad) {
    const complete = receive(chunksOf(encodeRound(wholeRound(cache)), 1, CHUNK_BYTES));
    if (complete === null) return t.fail('the transfer did not complete');
    t.throws(() => readRound(complete), { instanceOf: MessageError });
  }
});
