import test from 'ava';
import type { BoardStatus } from '../boards/management.ts';
import type { PairStatus } from '../firmware/pair-main.ts';
import { isSettled, isWhole } from '../host/pair-whole.ts';
import { boardStatus } from './helpers/board-status.ts';

// "Whole" is one primary and one backup on one version, on either processor;
// "settled" is whole with neither board on trial (a switch confirmed).
function status(
  processor: 1 | 2,
  role: PairStatus['role'],
  version = '1.0.0',
  testMode = false,
): BoardStatus {
  return boardStatus(processor, role, { version, testMode });
}

test('a primary and a backup on one version are whole, whichever processor serves', (t) => {
  t.true(isWhole([status(1, 'primary'), status(2, 'backup')]));
  t.true(isWhole([status(1, 'backup'), status(2, 'primary')]));
});

test('one board alone, silent, joining, or on another version is not whole', (t) => {
  t.false(isWhole([status(1, 'primary-alone'), null]));
  t.false(isWhole([status(1, 'primary'), null]));
  t.false(isWhole([status(1, 'primary'), status(2, 'joining')]));
  t.false(isWhole([status(1, 'primary'), status(2, 'primary')]));
  t.false(isWhole([status(1, 'primary', '1.0.0'), status(2, 'backup', '2.0.0')]));
});

test('settled is whole with neither board on trial', (t) => {
  t.true(isSettled([status(1, 'primary', '2.0.0'), status(2, 'backup', '2.0.0')]));
  t.false(isSettled([status(1, 'primary', '2.0.0', true), status(2, 'backup', '2.0.0')]));
  t.false(isSettled([status(1, 'primary', '1.0.0'), status(2, 'backup', '2.0.0')]));
});
