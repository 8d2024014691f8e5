/**
 * The primary's judgement of a request against the room its state has in
 * the store (store-room.ts), on a toy app whose state is a list of words:
 * far from the limit a request runs as ever, near it a request is tried on
 * the state itself (its writes logged, write-log.ts), and refused, undone,
 * only when it grows the state past the limit. A room that does not know
 * the state's size asks for it to be measured first, a slice at a time
 * (RoomMeasure), and judges the request once it is.
 */
import test from 'ava';
import { type AnyApp, defineApp } from '../firmware/app.ts';
import {
  type Judgement,
  measuredBytes,
  RoomMeasure,
  StoreRoom,
} from '../firmware/runtime/store-room.ts';
import type { AppState } from '../firmware/runtime/transactions.ts';
import { encodedLength } from '../firmware/wire/cbor.ts';

type Update = { readonly push: string } | { readonly pop: true } | { readonly replace: string };

/** Counts the updates applied, copies included. */
let applied = 0;

const words: AnyApp = defineApp<string[], Update, Update, null>({
  name: 'words',
  version: '1.0.0',
  stateVersion: 1,
  checkpoint: 'state',
  durability: 'retained',
  init: () => [],
  parseRequest: (input) => input as Update,
  handle: (_state, request) => ({ update: request, reply: null }),
  apply(state, update) {
    applied += 1;
    if ('push' in update) state.push(update.push);
    else if ('pop' in update) state.pop();
    else state[state.length - 1] = update.replace;
    return state;
  },
});

/** The snapshot's size as the room counts it: the state and the cache, plus room for its other fields. */
const cacheBytes = () => encodedLength([]);

/** Judges as the core does: a measure the room asks for is taken, 16 bytes a step, then the request judged again. */
function judgeMeasured(room: StoreRoom, app: AnyApp, state: AppState, update: unknown): Judgement {
  const judged = room.judge(app, state, { update, reply: null }, cacheBytes);
  if (judged.kind !== 'measure') return judged;
  const measure = new RoomMeasure(state, []);
  for (;;) {
    const sizes = measure.step(16);
    if (sizes === null) continue;
    room.measured(sizes);
    return room.judge(app, state, { update, reply: null }, cacheBytes);
  }
}

function judge(room: StoreRoom, state: string[], update: Update) {
  return judgeMeasured(room, words, state, update);
}

test('far from the limit a request runs on the state itself, with no copy', (t) => {
  const room = new StoreRoom(10_000);
  applied = 0;
  t.deepEqual(judge(room, ['a'], { push: 'b' }), { kind: 'apply' });
  t.is(applied, 0, 'the room applied nothing: the caller applies');
  t.false(room.full);
});

test('once measured, requests far from the limit run on the bound, with no measure between them', (t) => {
  const room = new StoreRoom(10_000);
  const state = ['a'];
  judge(room, state, { push: 'b' });
  for (const word of ['c', 'd', 'e']) {
    t.deepEqual(room.judge(words, state, { update: { push: word }, reply: null }, cacheBytes), {
      kind: 'apply',
    });
  }
});

test('at the limit: growth past it is refused, and what does not grow still runs', (t) => {
  const state = Array.from({ length: 20 }, (_, i) => `word-${i}`);
  // Room for the state and a few bytes more: less than a word.
  const room = new StoreRoom(encodedLength(state) + 80);
  const before = structuredClone(state);
  const refused = judge(room, state, { push: 'another-word-to-add' });
  if (refused.kind !== 'refused') return t.fail(refused.kind);
  t.true(refused.storeFull.snapshotBytes > refused.storeFull.snapshotBytesMax);
  t.deepEqual(state, before, 'nothing changed');
  t.true(room.full);
  // A word of the same length in place of the last: tried on the state itself, it runs.
  const same = judge(room, state, { replace: 'word-XX' });
  if (same.kind !== 'applied') return t.fail(same.kind);
  t.is(same.state, state, 'no copy: the state itself took the change');
  t.deepEqual(state, [...before.slice(0, -1), 'word-XX']);
  t.true(room.full, 'still no room for what was refused');
  // The state shrinks: once the room shows space for what was refused, it is not full.
  let now = same.state;
  while (room.full && now.length > 0) {
    const popped = judge(room, now, { pop: true });
    if (popped.kind === 'refused') return t.fail('a pop is refused');
    now = popped.kind === 'applied' ? popped.state : words.apply(now, { pop: true });
  }
  t.false(room.full);
  t.true(now.length > 0, `not full again with ${now.length} words`);
  t.not(judge(room, now, { push: 'another-word-to-add' }).kind, 'refused');
});

test('a room told to forget knows nothing of the state and is no longer full: it measures again', (t) => {
  const state = Array.from({ length: 20 }, (_, i) => `word-${i}`);
  const room = new StoreRoom(encodedLength(state) + 80);
  t.is(judge(room, state, { push: 'another-word-to-add' }).kind, 'refused');
  t.true(room.full);
  room.forget();
  t.deepEqual(room.status, {
    snapshotBytes: null,
    snapshotBytesMax: encodedLength(state) + 80,
    full: false,
  });
});

/** An app whose updates return a new state rather than change the one they get. */
const copying: AnyApp = {
  ...words,
  init: () => ({ words: [] }),
  apply: (state: { words: string[] }, update: Update) => ({
    words: words.apply([...state.words], update),
  }),
};

test('an update that returns another state is tried on a copy, with the same judgement', (t) => {
  const state = { words: Array.from({ length: 20 }, (_, i) => `word-${i}`) };
  const room = new StoreRoom(encodedLength(state) + 80);
  const before = structuredClone(state);
  const judged = (update: Update) => judgeMeasured(room, copying, state, update);
  t.is(judged({ push: 'another-word-to-add' }).kind, 'refused');
  t.deepEqual(state, before, 'nothing changed');
  const same = judged({ replace: 'word-XX' });
  if (same.kind !== 'applied') return t.fail(same.kind);
  t.deepEqual(same.state.words.at(-1), 'word-XX');
});

test('a state that is one string is judged too: growth past the limit is refused, the same length runs', (t) => {
  const text: AnyApp = defineApp<string, string, string, null>({
    ...words,
    init: () => '',
    handle: (_state, request) => ({ update: request, reply: null }),
    apply: (state, update) => (update === 'same' ? state.slice(4) + update : state + update),
  });
  const state = 'x'.repeat(200);
  const room = new StoreRoom(encodedLength(state) + 40);
  t.is(judgeMeasured(room, text, state, 'y'.repeat(60)).kind, 'refused');
  t.true(room.full);
  const same = judgeMeasured(room, text, state, 'same');
  if (same.kind !== 'applied') return t.fail(same.kind);
  t.is(same.state, `${'x'.repeat(196)}same`);
});

test('an update that throws near the limit changes nothing, and throws as it would on the state', (t) => {
  const state = Array.from({ length: 20 }, (_, i) => `word-${i}`);
  const room = new StoreRoom(encodedLength(state) + 80);
  const before = structuredClone(state);
  const failing: AnyApp = {
    ...words,
    apply(list: string[]) {
      list.push('half-done');
      throw new Error('the app failed half way');
    },
  };
  const error = t.throws(() => judgeMeasured(room, failing, state, { push: 'x' }));
  t.is(error?.message, 'the app failed half way');
  t.deepEqual(state, before, 'what it wrote before it threw is undone');
});

test('a room that does not know the size asks for a measure, which a slice at a time gives what one encoding gives', (t) => {
  const state = Array.from({ length: 200 }, (_, i) => `word-${i}`);
  const room = new StoreRoom(encodedLength(state) + 80);
  t.deepEqual(room.judge(words, state, { update: { push: 'x' }, reply: null }, cacheBytes), {
    kind: 'measure',
  });
  const sessions = [['client', 0, [1, 2]]];
  const measure = new RoomMeasure(state, sessions);
  let steps = 1;
  let sizes = measure.step(64);
  for (; sizes === null; steps++) sizes = measure.step(64);
  t.true(steps > 10, `${steps} steps of 64 bytes`);
  t.deepEqual(sizes, { stateBytes: measuredBytes(state), cacheBytes: measuredBytes(sessions) });
  room.measured(sizes);
  t.not(room.status.snapshotBytes, null, 'known once measured');
  // A value no store holds measures as more than any store holds, as measuredBytes says.
  const huge = new RoomMeasure('x'.repeat(5 * 1024 * 1024), []);
  let hugeSizes = huge.step(1 << 20);
  while (hugeSizes === null) hugeSizes = huge.step(1 << 20);
  t.is(hugeSizes.stateBytes, measuredBytes('x'.repeat(5 * 1024 * 1024)));
});
