import test from 'ava';
import { checkCorpus } from './helpers/corpus.ts';

test('a fixed corpus of seeds passes every check (replay model)', (t) => {
  checkCorpus(t, 'replay');
});
