/**
 * The pre-copy's state differences: applying the difference of two states
 * to a copy of the first gives the second, after the CBOR round trip the
 * wire makes, for random states and random changes. A bad patch is refused
 * with a MessageError and never reaches a prototype.
 *
 * The seed is printed; to replay a run:
 *   STATE_DIFF_SEED=<seed> npx ava test/state-diff.test.ts
 */
import test from 'ava';
import { seededRandom } from '../firmware/runtime/random.ts';
import {
  applyPatch,
  clonePlain,
  diffState,
  type PatchOp,
  parsePatch,
  withCopiedValues,
} from '../firmware/runtime/state-diff.ts';
import { decodeCbor, encodeCbor } from '../firmware/wire/cbor.ts';
import { MessageError } from '../firmware/wire/errors.ts';

const LIMITS = { bytesMax: 1 << 20, depthMax: 32, itemsMax: 100_000 };
const given = process.env.STATE_DIFF_SEED;
const seed = given === undefined ? (Date.now() % 2 ** 31) >>> 0 : Number(given);

function randomValue(random: () => number, depth: number): unknown {
  const pick = Math.floor(random() * (depth > 3 ? 5 : 8));
  switch (pick) {
    case 0:
      return Math.floor(random() * 1000) - 500;
    case 1:
      return `s${Math.floor(random() * 50)}`;
    case 2:
      return random() < 0.5;
    case 3:
      return null;
    case 4:
      return new Uint8Array([Math.floor(random() * 256), Math.floor(random() * 256)]);
    case 5:
    case 6: {
      const out: Record<string, unknown> = {};
      const keys = Math.floor(random() * 6);
      for (let i = 0; i < keys; i++)
        out[`k${Math.floor(random() * 8)}`] = randomValue(random, depth + 1);
      return out;
    }
    default:
      return Array.from({ length: Math.floor(random() * 6) }, () => randomValue(random, depth + 1));
  }
}

/** `value` with a few random changes: set, delete, grow or cut somewhere inside. */
function mutate(random: () => number, value: unknown, depth = 0): unknown {
  if (random() < 0.15) return randomValue(random, depth);
  if (Array.isArray(value)) {
    const out = value.map((v) => (random() < 0.3 ? mutate(random, v, depth + 1) : v));
    if (random() < 0.2) out.push(randomValue(random, depth + 1));
    if (random() < 0.2) out.length = Math.floor(random() * out.length);
    // A window slides: items go from the front, new ones come at the end.
    if (random() < 0.2) {
      out.splice(0, 1 + Math.floor(random() * out.length));
      if (random() < 0.7) out.push(randomValue(random, depth + 1));
    }
    return out;
  }
  if (typeof value === 'object' && value !== null && !(value instanceof Uint8Array)) {
    const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const key of Object.keys(out)) {
      if (random() < 0.15) delete out[key];
      else if (random() < 0.3) out[key] = mutate(random, out[key], depth + 1);
    }
    if (random() < 0.3) out[`n${Math.floor(random() * 4)}`] = randomValue(random, depth + 1);
    return out;
  }
  return value;
}

for (const frontCuts of [false, true]) {
  test(`a difference${frontCuts ? ' with front cuts' : ''} applied to the first state gives the second, through CBOR (seed ${seed})`, (t) => {
    t.log(`replay: STATE_DIFF_SEED=${seed} npx ava test/state-diff.test.ts`);
    const random = seededRandom(seed);
    for (let i = 0; i < 2000; i++) {
      const before = randomValue(random, 0);
      const after = mutate(random, before);
      const ops = diffState(before, after, { frontCuts });
      if (!frontCuts)
        t.false(
          ops.some(([op]) => op === 3),
          'a front cut for a receiver that reads none',
        );
      const wire = decodeCbor(encodeCbor(ops, LIMITS), LIMITS);
      const patched = applyPatch(clonePlain(before), parsePatch(wire));
      t.deepEqual(patched, after, `case ${i}`);
      if (JSON.stringify(patched) !== JSON.stringify(after)) return;
    }
  });
}

test(`a copy patched with copies of the values set is the second state, sharing nothing with it (seed ${seed})`, (t) => {
  const random = seededRandom(seed);
  for (let i = 0; i < 1000; i++) {
    const before = randomValue(random, 0);
    const after = mutate(random, before);
    const copy = applyPatch(clonePlain(before), withCopiedValues(diffState(before, after)));
    t.deepEqual(copy, after, `case ${i}`);
    // The sender's state changes on: the copy must not change with it.
    const frozen = JSON.stringify(copy, (_, v) => (v instanceof Uint8Array ? [...v] : v));
    scribble(after);
    t.is(
      JSON.stringify(copy, (_, v) => (v instanceof Uint8Array ? [...v] : v)),
      frozen,
      `case ${i}`,
    );
  }
});

/** Changes every container and byte string inside `value` in place. */
function scribble(value: unknown): void {
  if (value instanceof Uint8Array) value.fill(0xee);
  else if (Array.isArray(value)) {
    for (const item of value) scribble(item);
    value.push('scribbled');
  } else if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) scribble(record[key]);
    record.scribbled = true;
  }
}

test('a window that slid on by one differs by a front cut and one set, not by every item', (t) => {
  const before = { history: Array.from({ length: 16 }, (_, i) => ({ from: `a${i}`, amount: i })) };
  const after = clonePlain(before) as typeof before;
  after.history.splice(0, 1);
  after.history.push({ from: 'a16', amount: 16 });
  t.deepEqual(diffState(before, after, { frontCuts: true }), [
    [3, ['history'], 1],
    [0, ['history', 15], { from: 'a16', amount: 16 }],
  ]);
  t.true(diffState(before, after).length >= 16, 'item by item for a receiver without front cuts');
});

test('a changed first item of an array of like values is set in place, not cut', (t) => {
  const before = [0, 0, 0, 1, 0, 0];
  const after = [1, 0, 0, 1, 0, 0];
  t.deepEqual(diffState(before, after, { frontCuts: true }), [[0, [0], 1]]);
});

test('an unchanged state differs by nothing, and one changed leaf by one set', (t) => {
  const state = { accounts: { a: 1, b: 2 }, history: [{ x: 1 }] };
  t.deepEqual(diffState(state, clonePlain(state)), []);
  const after = clonePlain(state) as typeof state;
  after.accounts.b = 3;
  t.deepEqual(diffState(state, after), [[0, ['accounts', 'b'], 3]]);
});

test('a set installs the value it carries, not a copy: a whole state received is held once', (t) => {
  const state = { accounts: { a: 1, b: 2 } };
  t.is(applyPatch(undefined, [[0, [], state]]), state);
  const account = { balance: 3 };
  const doc = applyPatch({ accounts: {} }, [[0, ['accounts', 'c'], account]]) as {
    accounts: Record<string, unknown>;
  };
  t.is(doc.accounts.c, account);
});

test('a key named __proto__ is data: it never becomes a prototype', (t) => {
  const ops = parsePatch(
    decodeCbor(encodeCbor([[0, ['__proto__'], { polluted: true }]], LIMITS), LIMITS),
  );
  const doc = applyPatch({}, ops) as Record<string, unknown>;
  t.is(Object.getPrototypeOf(doc), Object.prototype);
  t.deepEqual(Object.keys(doc), ['__proto__']);
  t.is(({} as Record<string, unknown>).polluted, undefined);
  const copy = clonePlain(doc) as Record<string, unknown>;
  t.is(Object.getPrototypeOf(copy), Object.prototype, 'nor in a copy');
  t.deepEqual(Object.keys(copy), ['__proto__']);
});

test('equal byte strings differ by nothing', (t) => {
  t.deepEqual(diffState({ b: Uint8Array.of(1, 2, 3) }, { b: Uint8Array.of(1, 2, 3) }), []);
  t.deepEqual(diffState({ b: Uint8Array.of(1, 2, 3) }, { b: Uint8Array.of(1, 2, 4) }), [
    [0, ['b'], Uint8Array.of(1, 2, 4)],
  ]);
});

test('a key named __proto__ in a copy is data like any other: a patch changes and deletes it', (t) => {
  const doc = applyPatch({}, [[0, ['__proto__'], 1]]);
  const copy = applyPatch(clonePlain(doc), [[0, ['__proto__'], 2]]) as Record<string, unknown>;
  t.deepEqual(Object.entries(copy), [['__proto__', 2]]);
  t.deepEqual(Object.keys(applyPatch(copy, [[1, ['__proto__']]]) as object), []);
});

test('a set inside an array or just past its end replaces or appends the item', (t) => {
  t.deepEqual(applyPatch({ a: [1, 2] }, [[0, ['a', 1], 5]]), { a: [1, 5] });
  t.deepEqual(applyPatch({ a: [1, 2] }, [[0, ['a', 2], 3]]), { a: [1, 2, 3] });
});

test('a patch that does not fit the state is refused with a MessageError', (t) => {
  const bad: unknown[] = [
    'not a list',
    [[9, [], 1]],
    [[0, [true], 1]],
    [[1, []]],
    [[2, ['a'], -1]],
  ];
  for (const value of bad) t.throws(() => parsePatch(value), { instanceOf: MessageError });
  const misfits: [PatchOp[], string][] = [
    [[[0, ['missing', 'deeper'], 1]], 'path-nowhere'],
    [[[1, []]], 'delete-names-key'],
    [[[1, [0]]], 'delete-outside-object'],
    [[[1, ['a', 0]]], 'delete-outside-object'],
    [[[2, ['a'], 5]], 'cut-not-array'],
    [[[0, ['a', 7], 1]], 'set-beyond-array'],
    [[[0, ['a', 0, 'x'], 1]], 'set-in-scalar'],
  ];
  for (const [ops, code] of misfits) {
    const refusal = t.throws(
      () => applyPatch({ a: [1, 2] }, ops),
      { instanceOf: MessageError },
      JSON.stringify(ops),
    );
    t.deepEqual(refusal.why, { code }, JSON.stringify(ops));
  }
});
