/**
 * `npm ci` refuses a lockfile that does not record every optional
 * dependency, even another platform's binary it would skip (npm/cli#4828).
 * A lockfile written where such a package could not be fetched silently
 * lacks it; this test says which one before CI or a user's clone does. And
 * `npm ci` checks what it downloads only against an entry's `integrity`: an
 * entry without one installs whatever the registry serves.
 */
import { readFileSync } from 'node:fs';
import test from 'ava';

interface LockEntry {
  readonly optionalDependencies?: Readonly<Record<string, string>>;
  readonly integrity?: string;
  /** A workspace or `file:` package: nothing is downloaded, so nothing to check. */
  readonly link?: boolean;
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

/**
 * Entries written by hand without an integrity hash, because the registry
 * the lockfile was made against has cbor-extract 2.2.3 but none of its
 * 2.2.3 platform binaries (it answers 404; its newest is 2.2.2). Fill each
 * in from `npm view @cbor-extract/cbor-extract-PLATFORM@2.2.3
 * dist.integrity` where the registry has them, and take it off this list.
 */
const WITHOUT_INTEGRITY: readonly string[] = [
  'node_modules/@cbor-extract/cbor-extract-darwin-arm64',
  'node_modules/@cbor-extract/cbor-extract-darwin-x64',
  'node_modules/@cbor-extract/cbor-extract-linux-arm',
  'node_modules/@cbor-extract/cbor-extract-linux-arm64',
  'node_modules/@cbor-extract/cbor-extract-linux-x64',
  'node_modules/@cbor-extract/cbor-extract-win32-x64',
];

test('every downloaded package has an integrity hash npm ci checks (the list without one only shrinks)', (t) => {
  const without = Object.entries(lock.packages)
    .filter(([path, entry]) => path !== '' && entry.link !== true)
    .filter(([, entry]) => !/^sha(256|384|512)-[A-Za-z0-9+/]+=*$/.test(entry.integrity ?? ''))
    .map(([path]) => path);
  t.deepEqual(without, WITHOUT_INTEGRITY);
});
