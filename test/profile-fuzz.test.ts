/** parseBoardProfile on anything at all: it returns a profile or throws a BoardProfileError, nothing else. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import test from 'ava';
import fc from 'fast-check';
import { type BoardProfile, isBoardProfileError, parseBoardProfile } from '../boards/profile.ts';

const SOURCE = 'fuzz.board.json';

/** Runs the parser; any throw other than a BoardProfileError with a proper message fails. */
function outcome(json: unknown): BoardProfile | 'refused' {
  try {
    return parseBoardProfile(json, SOURCE);
  } catch (error) {
    if (
      isBoardProfileError(error) &&
      error.code === 'bad-profile' &&
      error.message.startsWith(`${SOURCE}: `) &&
      error.message.includes('; expected ')
    ) {
      return 'refused';
    }
    throw error;
  }
}

test('fc.anything(): only a profile or a BoardProfileError', (t) => {
  fc.assert(
    fc.property(
      fc.anything({
        withBigInt: true,
        withBoxedValues: true,
        withDate: true,
        withMap: true,
        withSet: true,
        withNullPrototype: true,
        withObjectString: true,
        withSparseArray: true,
        withTypedArray: true,
        withUnicodeString: true,
      }),
      (value) => {
        outcome(value);
      },
    ),
    { numRuns: 5000 },
  );
  t.pass();
});

const sim = JSON.parse(readFileSync('boards/profiles/sim-p1.board.json', 'utf8')) as Record<
  string,
  unknown
>;

test('a valid profile with any field replaced by anything: a profile or a BoardProfileError', (t) => {
  const keys = Object.keys(sim);
  fc.assert(
    fc.property(
      fc.constantFrom(...keys, 'unknown'),
      fc.constantFrom('host', 'bus', 'lines', 'flash'),
      fc.anything({ withNullPrototype: true, withSparseArray: true, withBoxedValues: true }),
      fc.boolean(),
      (key, nestedIn, value, nested) => {
        const json: Record<string, unknown> = nested
          ? { ...sim, [nestedIn]: { ...(sim[nestedIn] as object), [key]: value } }
          : { ...sim, [key]: value };
        const result = outcome(json);
        if (result !== 'refused') {
          // What is accepted is stable: parsing the result again gives the same profile.
          assert.deepEqual(parseBoardProfile(JSON.parse(JSON.stringify(result)), SOURCE), result);
        }
      },
    ),
    { numRuns: 3000 },
  );
  t.pass();
});

test('sparse arrays and prototypes with extra keys are refused cleanly', (t) => {
  const holes: unknown[] = [];
  holes.length = 2;
  t.is(outcome({ ...sim, interconnect: holes }), 'refused');
  t.is(outcome(Object.assign(Object.create({ inherited: 1 }), sim)), 'refused');
  const nullProto = Object.assign(Object.create(null), sim) as Record<string, unknown>;
  t.not(outcome(nullProto), 'refused');
});
