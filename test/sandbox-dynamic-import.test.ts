/**
 * `import()` is the one construct of a script that reaches Node's module
 * loader from a vm context, so boards refuse scripts that may contain one
 * and builds refuse to make them. The check reads text and errs towards
 * refusing: every spelling V8 accepts as a call is found.
 */
import { Script } from 'node:vm';
import test from 'ava';
import { dynamicImportAt } from '../boards/node/dynamic-import.ts';
import { bundleEntry } from '../host/image/bundle.ts';
import { BuildError } from '../host/image/errors.ts';

/** Spellings of an import() call that V8 parses as one. */
const calls = [
  "import('x')",
  "import ('x')",
  'x;import(y)',
  "!import('x')",
  "import/* ) */('x')",
  "import// c\n('x')",
  "import<!-- c\n('x')",
  "import\n--> c\n('x')",
  "[...import('x')]",
  "a = 1\nimport\u2028('x')",
  "import\ufeff('x')",
  "import\t\u00a0\u3000('x')",
];

/** Not calls: members, longer identifiers, and `import` without a parenthesis. */
const others = [
  'x.import(1)',
  'a?.import(1)',
  'reimport(1)',
  'import_(1)',
  'importer(1)',
  '$import(1)',
  'x = { important: 1 }',
  "'imports'",
];

test('every spelling of an import() call is found', (t) => {
  for (const source of calls) {
    t.notThrows(() => new Script(source), `V8 parses ${JSON.stringify(source)}`);
    t.true(dynamicImportAt(source) >= 0, JSON.stringify(source));
  }
});

test('member calls and longer identifiers are not taken for import()', (t) => {
  for (const source of others) t.is(dynamicImportAt(source), -1, JSON.stringify(source));
});

test('text that holds "import(" is refused too: the check does not parse', (t) => {
  t.true(dynamicImportAt("log('use import() here')") >= 0);
  t.true(dynamicImportAt('/* import( */') >= 0);
});

test('a build whose bundle calls import() fails with a BuildError saying why', async (t) => {
  const error = await t.throwsAsync(bundleEntry('globalThis.load = (name) => import(name);'), {
    instanceOf: BuildError,
    message: /import\(\).*module loader/,
  });
  t.is(error?.code, 'dynamic-import');
});
