/**
 * A joiner installs the big checkpoint it received without copying it: the
 * state and the reply cache's sessions it holds are the decoded ones, checked
 * where they lie. What does not have the shape of a round is refused with a
 * MessageError, before anything is installed.
 */
import test from 'ava';
import { parseRound, type Round } from '../firmware/runtime/messages.ts';
import { addRound, encodeRound, readRound } from '../firmware/runtime/state-transfer.ts';
import { decodeCbor } from '../firmware/wire/cbor.ts';
import { MessageError } from '../firmware/wire/errors.ts';

const CACHE_SIZE = { syncDepth: 4, clientsMax: 256 };
const LIMITS = { bytesMax: 1 << 20, depthMax: 32, itemsMax: 100_000 };

function wholeRound(cache: unknown): Round {
  return {
    base: 0,
    final: true,
    stateVersion: 1,
    txn: 42,
    term: 3,
    state: [[0, [], { accounts: { a: 1, b: 2 } }]],
    cache: cache as Round['cache'],
    cacheOps: [],
  };
}

const SESSIONS = [
  ['client-1', [[7, { reply: { ok: true }, txn: 40 }]], [5, 6, 7]],
  ['client-2', [], []],
];

test('a whole round is installed as decoded: the state and the sessions are not copied', (t) => {
  const decoded = decodeCbor(encodeRound(wholeRound(SESSIONS)), LIMITS) as {
    state: [[0, [], unknown]];
    cache: unknown;
  };
  const round = parseRound(decoded);
  t.is(round.cache as unknown, decoded.cache);
  const held = addRound(null, 1, round, CACHE_SIZE);
  t.is(held.state, decoded.state[0][2]);
  t.deepEqual(held.state, { accounts: { a: 1, b: 2 } });
  t.deepEqual(held.cache.entries(), SESSIONS);
  t.like(held, { id: 1, stateVersion: 1, txn: 42, term: 3 });
});

test('sessions that are not [client id, replies, sync ids run] are refused', (t) => {
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
  ];
  for (const cache of bad) {
    t.throws(() => readRound(encodeRound(wholeRound(cache))), { instanceOf: MessageError });
  }
});
