import { readdirSync, readFileSync } from 'node:fs';
import test from 'ava';
import { SCRIPTED_TEST_FILES } from './mutation/corpus-tests.ts';

/** How a test file that drives two cores imports them (split so that this file does not). */
const IMPORTS_CORE_PAIR = ['from', "'./helpers/core-pair.ts'"].join(' ');

test('the mutation corpus runs every test that drives two cores back to back', (t) => {
  const corePairTests = readdirSync('test')
    .filter((name) => name.endsWith('.test.ts'))
    .map((name) => `test/${name}`)
    .filter((file) => readFileSync(file, 'utf8').includes(IMPORTS_CORE_PAIR));
  t.true(corePairTests.length > 0);
  t.deepEqual(
    corePairTests.filter((file) => !SCRIPTED_TEST_FILES.includes(file)),
    [],
    'add them to SCRIPTED_TEST_FILES in test/mutation/corpus-tests.ts',
  );
  for (const file of SCRIPTED_TEST_FILES) t.notThrows(() => readFileSync(file), file);
});
