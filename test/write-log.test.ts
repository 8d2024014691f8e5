/**
 * The write log (firmware/runtime/write-log.ts) against the codec: random
 * plain states changed by random programs through the view must grow by
 * exactly what encoding them whole says, end as the same program leaves a
 * plain copy (byte for byte, key order too), hold no view, and undo to the
 * bytes they began with.
 *
 * One seed drives every program. It is printed; to replay a run:
 *   WRITE_LOG_SEED=<seed> npx ava test/write-log.test.ts
 */
import { types } from 'node:util';
import test from 'ava';
import { seededRandom } from '../firmware/runtime/random.ts';
import { WriteLog } from '../firmware/runtime/write-log.ts';
import { encodeCbor, encodedLength } from '../firmware/wire/cbor.ts';
import { envSeed } from './helpers/env-seed.ts';

const seed = envSeed('WRITE_LOG_SEED');
const replay = `WRITE_LOG_SEED=${seed} npx ava test/write-log.test.ts`;

type Random = () => number;
type Plain = Record<string, unknown> | unknown[];

const pick = <T>(random: Random, items: readonly T[]): T =>
  items[Math.floor(random() * items.length)] as T;
const isContainer = (value: unknown): value is Plain =>
  typeof value === 'object' && value !== null && !(value instanceof Uint8Array);

function scalar(random: Random): unknown {
  return pick(random, [
    () => Math.floor(random() * 40),
    () => Math.floor(random() * 2 ** 40),
    () => random() * 1000,
    () => 'x'.repeat(Math.floor(random() * 30)),
    () => null,
    () => true,
    () => undefined,
  ])();
}

function value(random: Random, depth: number): unknown {
  const r = random();
  if (depth <= 0 || r < 0.5) return scalar(random);
  if (r < 0.55) return Uint8Array.from({ length: Math.floor(random() * 6) }, (_, i) => i * 7);
  if (r < 0.75)
    return Array.from({ length: Math.floor(random() * 6) }, () => value(random, depth - 1));
  // Now and then 22 to 25 keys, so that a map's head grows from one byte to two, or shrinks.
  const record: Record<string, unknown> = {};
  const keys = random() < 0.2 ? 22 + Math.floor(random() * 4) : Math.floor(random() * 6);
  for (let i = 0; i < keys; i++) record[`k${i}`] = value(random, depth - 1);
  return record;
}

/** A container of `root` (itself or one below it), reached by reading through it. */
function someContainer(random: Random, root: Plain): Plain {
  let at: Plain = root;
  while (random() < 0.6) {
    const children = Object.keys(at)
      .map((key) => (at as Record<string, unknown>)[key])
      .filter(isContainer);
    if (children.length === 0) break;
    at = pick(random, children);
  }
  return at;
}

/** One change, read and written through `root` (a plain state or a view of one). */
function change(random: Random, root: Plain): void {
  const at = someContainer(random, root);
  if (Array.isArray(at)) {
    pick(random, [
      () => at.push(value(random, 2)),
      () => at.pop(),
      () => at.unshift(scalar(random)),
      () =>
        at.splice(
          Math.floor(random() * (at.length + 1)),
          Math.floor(random() * 3),
          value(random, 1),
        ),
      () => {
        at.length = Math.floor(random() * (at.length + 1));
      },
      () => at.reverse(),
      () => {
        if (at.length > 0) at[Math.floor(random() * at.length)] = value(random, 2);
      },
    ])();
    return;
  }
  const keys = Object.keys(at);
  const key =
    keys.length > 0 && random() < 0.7 ? pick(random, keys) : `k${Math.floor(random() * 30)}`;
  pick(random, [
    () => {
      at[key] = scalar(random);
    },
    () => {
      at[key] = value(random, 3);
    },
    () => {
      delete at[key];
    },
    () => {
      // Deleted and set again: the key moves to the end.
      const kept = at[key];
      delete at[key];
      at[key] = kept;
    },
    () => {
      // Replaced by a shallow copy of itself: the copy holds what was below it.
      const old = at[key];
      if (isContainer(old)) at[key] = Array.isArray(old) ? [...old, 1] : { ...old, added: 1 };
    },
    () => {
      // Moved to another key.
      const moved = at[key];
      delete at[key];
      at[`m${Math.floor(random() * 5)}`] = moved;
    },
    () => {
      // A new object, then written inside through the state.
      at[key] = { inner: {} };
      const inner = (at[key] as { inner: Record<string, unknown> }).inner;
      inner.deep = value(random, 1);
    },
    () => {
      // Bytes written in place.
      const bytes = at[key];
      if (bytes instanceof Uint8Array && bytes.length > 0) bytes[0] = 255;
      else at[key] = Uint8Array.of(1, 2, 3);
    },
  ])();
}

function program(programSeed: number, root: Plain): void {
  const random = seededRandom(programSeed);
  const steps = 1 + Math.floor(random() * 8);
  for (let i = 0; i < steps; i++) change(random, root);
}

function holdsAView(value: unknown): boolean {
  if (types.isProxy(value)) return true;
  return isContainer(value) && Object.values(value).some(holdsAView);
}

/** Limits wide enough for any state made here. */
const WIDE = { bytesMax: 1 << 20, depthMax: 64, itemsMax: 1 << 20 };
const measure = (value: unknown) => encodedLength(value, WIDE);
const hex = (value: unknown) => Buffer.from(encodeCbor(value, WIDE)).toString('hex');

test('random programs: growth is exact, the state ends as on a plain copy, and undo restores it', (t) => {
  t.log(`seed ${seed} (replay: ${replay})`);
  const random = seededRandom(seed);
  const runs = 3000;
  for (let run = 0; run < runs; run++) {
    const root: Plain = random() < 0.85 ? { top: value(random, 4) } : [value(random, 4)];
    const original = hex(root);
    const programSeed = Math.floor(random() * 2 ** 31);
    const expected = structuredClone(root);
    program(programSeed, expected);

    const log = new WriteLog(root);
    program(programSeed, log.view as Plain);
    const where = `run ${run}, program seed ${programSeed}`;
    const grown = log.growth(measure);
    t.is(grown, measure(expected) - Buffer.from(original, 'hex').length, `${where}: growth`);
    t.is(hex(root), hex(expected), `${where}: the state after the program`);
    t.false(holdsAView(root), `${where}: a view left in the state`);
    log.undo();
    t.is(hex(root), original, `${where}: undone`);
  }
});

test("a map's head grows by a byte at 24 keys and at 256, and shrinks back", (t) => {
  for (const keys of [23, 255]) {
    const root: Record<string, unknown> = {};
    for (let i = 0; i < keys; i++) root[`k${i}`] = i;
    const before = measure(root);
    const log = new WriteLog(root);
    (log.view as Record<string, unknown>).added = 1;
    t.is(log.growth(measure), measure(root) - before, `${keys} keys, one added`);
    const entry = measure({ added: 1 }) - measure({});
    t.is(measure(root) - before, entry + 1, 'the entry, and a byte more of head');
    const again = measure(root);
    const back = new WriteLog(root);
    delete (back.view as Record<string, unknown>).added;
    t.is(back.growth(measure), measure(root) - again, `${keys + 1} keys, one deleted`);
  }
});
