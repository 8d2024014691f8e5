import test from 'ava';
import { checkCorpus } from './helpers/corpus.ts';

test('a fixed corpus of seeds passes every check (state model)', (t) => {
  checkCorpus(t, 'state');
});
