/**
 * A switch is refused before step a, saying why, unless a primary with a
 * backup has another version in its other slot and its backup has the same
 * one: without that, step a would stop the backup for an image that
 * cannot boot, or is the one already running.
 */
import test from 'ava';
import { ALONE } from '../firmware/runtime/roles.ts';
import { switchRefusal } from '../firmware/runtime/switch-procedure.ts';
import { ledgerHello } from './helpers/ledger-hello.ts';

const hello = (otherVersion: string) => ledgerHello({ otherVersion });

const PRIMARY = { name: 'primary' } as const;

test('a primary whose backup holds the same other version may switch', (t) => {
  t.is(switchRefusal(1, PRIMARY, hello('2.0.0'), hello('2.0.0')), null);
});

test('no image in the other slot, on either board, is refused no-image', (t) => {
  t.deepEqual(switchRefusal(1, PRIMARY, hello(''), hello('')), { code: 'no-image' });
  t.deepEqual(switchRefusal(1, PRIMARY, hello(''), hello('2.0.0')), { code: 'no-image' });
});

test('the version already running is refused same-version', (t) => {
  t.deepEqual(switchRefusal(1, PRIMARY, hello('1.0.0'), hello('1.0.0')), {
    code: 'same-version',
    version: '1.0.0',
  });
});

test('a backup without the image, or no backup heard, is refused partner-lacks-image', (t) => {
  t.deepEqual(switchRefusal(2, PRIMARY, hello('2.0.0'), hello('')), {
    code: 'partner-lacks-image',
    has: '',
    wants: '2.0.0',
  });
  t.deepEqual(switchRefusal(2, PRIMARY, hello('2.0.0'), null), {
    code: 'partner-lacks-image',
    has: '',
    wants: '2.0.0',
  });
});

test('only a primary with a backup may switch, one switch at a time', (t) => {
  t.deepEqual(switchRefusal(2, ALONE, hello('2.0.0'), hello('2.0.0')), {
    code: 'not-whole',
    processor: 2,
    role: 'primary-alone',
  });
  t.deepEqual(switchRefusal(1, { name: 'backup' }, hello('2.0.0'), hello('2.0.0')), {
    code: 'not-whole',
    processor: 1,
    role: 'backup',
  });
});
