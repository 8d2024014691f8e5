/**
 * `npm ci` refuses a lockfile that does not record every optional
 * dependency, even another platform's binary it would skip (npm/cli#4828).
 * A lockfile written where such a package could not be fetched silently
 * lacks it; this test says which one before CI or a user's clone does.
 */
import { readFileSync } from 'node:fs';
import test from 'ava';

interface LockEntry {
  readonly optionalDependencies?: Readonly<Record<string, string>>;
}

const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as {
  readonly packages: Readonly<Record<string, LockEntry>>;
};

/** Where npm would find `name` from the package at `path`: its own node_modules, then each folder above. */
function resolves(path: string, name: string): boolean {
  for (let at = path; ; ) {
    if (lock.packages[`${at === '' ? '' : `${at}/`}node_modules/${name}`] !== undefined)
      return true;
    if (at === '') return false;
    const cut = at.lastIndexOf('/node_modules/');
    at = cut === -1 ? '' : at.slice(0, cut);
  }
}

test('the lockfile records every optional dependency of every platform', (t) => {
  const missing = Object.entries(lock.packages).flatMap(([path, entry]) =>
    Object.keys(entry.optionalDependencies ?? {})
      .filter((name) => !resolves(path, name))
      .map((name) => `${path || '(root)'} -> ${name}`),
  );
  t.deepEqual(missing, []);
});
