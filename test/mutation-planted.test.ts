import { readFileSync } from 'node:fs';
import test from 'ava';
import { PLANTED_BUGS, plant } from './mutation/planted-bugs.ts';

test('every planted bug finds its code exactly once in the current sources', (t) => {
  for (const bug of PLANTED_BUGS) {
    const source = readFileSync(bug.file, 'utf8');
    const planted = plant(bug, source);
    t.not(planted, source, bug.name);
    t.is(planted.length, source.length - bug.find.length + bug.replace.length, bug.name);
  }
});

test('a bug whose code has moved on is refused, naming the list to update', (t) => {
  const [bug] = PLANTED_BUGS;
  if (bug === undefined) return t.fail('no planted bugs');
  t.throws(() => plant(bug, 'nothing of it here'), { message: /planted-bugs\.ts/ });
  t.throws(() => plant(bug, `${bug.find}\n${bug.find}`), { message: /exactly once/ });
});
