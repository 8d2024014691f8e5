/**
 * The described shape (`boardProfileSpec`) is exactly `BoardProfile`: a field
 * added, removed, renamed, made optional or given another type on one side
 * only fails `tsc --noEmit` here.
 */
import test from 'ava';
import { type BoardProfile, boardProfileSpec, type Infer } from '../boards/profile.ts';

/** True only if A and B are the same type (optionality and readonly included). */
type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

type Described = Infer<typeof boardProfileSpec>;

const describedIsBoardProfile: Equal<Described, BoardProfile> = true;
const partsMatch: [
  Equal<Described['interconnect'], BoardProfile['interconnect']>,
  Equal<Described['host'], BoardProfile['host']>,
  Equal<Described['lines'], BoardProfile['lines']>,
  Equal<Described['flash'], BoardProfile['flash']>,
  Equal<Described['timing'], BoardProfile['timing']>,
  Equal<Described['store'], BoardProfile['store']>,
  Equal<Described['limits'], BoardProfile['limits']>,
  Equal<Described['kind'], 'sim' | 'linux'>,
  Equal<Described['processor'], 1 | 2>,
] = [true, true, true, true, true, true, true, true, true];

// The checker itself: it must tell apart what it is meant to tell apart.
const optionalDiffers: Equal<{ a?: number }, { a: number }> = false;
const readonlyDiffers: Equal<{ readonly a: number }, { a: number }> = false;
const literalDiffers: Equal<{ a: 1 | 2 }, { a: number }> = false;

test('the described shape is BoardProfile (checked by tsc; these are the witnesses)', (t) => {
  t.true(describedIsBoardProfile);
  t.deepEqual(partsMatch, [true, true, true, true, true, true, true, true, true]);
  t.false(optionalDiffers || readonlyDiffers || literalDiffers);
});

test('every value of kind has a path pattern, and no other value does', (t) => {
  const kinds = boardProfileSpec.properties.kind.spec.values;
  const path = boardProfileSpec.properties.host.spec.properties.path.spec;
  t.is(path.patternBy.field, 'kind');
  t.deepEqual(Object.keys(path.patternBy.cases).sort(), [...kinds].sort());
});
