/** Signing keys on disk: created private, never overwritten by accident, loaded back intact. */
import { spawn } from 'node:child_process';
import { sign, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { KeyFileError } from '../boards/image/errors.ts';
import { keyIdOf, loadPublicKey, publicKeyObject } from '../boards/image/public-key.ts';
import {
  ensureKeys,
  generateKeys,
  loadSigningKey,
  PRIVATE_KEY_FILE,
  PUBLIC_KEY_FILE,
} from '../host/image/keys.ts';

const work = mkdtempSync(join(tmpdir(), 'tandem-image-keys-'));
test.after.always(() => rmSync(work, { recursive: true, force: true }));

test('generate writes a 0600 PEM private key and a base64 raw public key', (t) => {
  const dir = join(work, 'fresh', 'nested');
  const files = generateKeys(dir);
  t.is(files.privateKeyPath, join(dir, PRIVATE_KEY_FILE));
  t.is(statSync(files.privateKeyPath).mode & 0o777, 0o600);
  t.regex(readFileSync(files.privateKeyPath, 'utf8'), /^-----BEGIN PRIVATE KEY-----\n/);
  t.regex(readFileSync(files.publicKeyPath, 'utf8'), /^[A-Za-z0-9+/]{43}=\n$/);
  t.regex(files.keyId, /^[0-9a-f]{16}$/);
});

test('the loaded key pair signs and verifies, and key ids agree', (t) => {
  const dir = join(work, 'roundtrip');
  const files = generateKeys(dir);
  const key = loadSigningKey(dir);
  const publicKey = loadPublicKey(files.publicKeyPath);
  t.deepEqual(key.publicKey, publicKey);
  t.is(key.keyId, files.keyId);
  t.is(keyIdOf(publicKey), files.keyId);
  const message = new TextEncoder().encode('hello');
  t.true(verify(null, message, publicKeyObject(publicKey), sign(null, message, key.privateKey)));
});

test('generate refuses to overwrite without force, and replaces with force', (t) => {
  const dir = join(work, 'twice');
  const first = generateKeys(dir);
  const error = t.throws(() => generateKeys(dir), { instanceOf: KeyFileError });
  t.is(error?.code, 'exists');
  t.regex(error?.message ?? '', /--force/);
  t.is(loadSigningKey(dir).keyId, first.keyId, 'the old key is untouched');
  const second = generateKeys(dir, { force: true });
  t.not(second.keyId, first.keyId);
  t.is(loadSigningKey(dir).keyId, second.keyId);
  t.is(statSync(second.privateKeyPath).mode & 0o777, 0o600);
});

test('missing, damaged and mismatched key files are KeyFileErrors that say what to do', (t) => {
  const missing = t.throws(() => loadSigningKey(join(work, 'none')), { instanceOf: KeyFileError });
  t.is(missing?.code, 'missing');
  t.regex(missing?.message ?? '', /tandem keys generate/);

  const dir = join(work, 'damaged');
  generateKeys(dir);
  writeFileSync(join(dir, PUBLIC_KEY_FILE), 'not base64!\n');
  t.is(
    t.throws(() => loadPublicKey(join(dir, PUBLIC_KEY_FILE)), { instanceOf: KeyFileError })?.code,
    'bad-key',
  );

  const mismatched = join(work, 'mismatched');
  generateKeys(mismatched);
  writeFileSync(
    join(mismatched, PUBLIC_KEY_FILE),
    readFileSync(join(work, 'twice', PUBLIC_KEY_FILE)),
  );
  const error = t.throws(() => loadSigningKey(mismatched), { instanceOf: KeyFileError });
  t.is(error?.code, 'bad-key');
  t.regex(error?.message ?? '', /not the public half/);

  writeFileSync(join(dir, PRIVATE_KEY_FILE), 'garbage');
  t.is(t.throws(() => loadSigningKey(dir), { instanceOf: KeyFileError })?.code, 'bad-key');
});

test('processes that make a key at once in a project without one all end up with the same key', async (t) => {
  const dir = join(work, 'race', '.tandem', 'keys');
  // Each process waits for the same instant (past every one's start-up), makes the key if there
  // is none, then says which key it would sign with.
  const startAtMs = Date.now() + 4000;
  const script = `
    import { ensureKeys, loadSigningKey } from ${JSON.stringify(new URL('../host/image/keys.ts', import.meta.url).href)};
    while (Date.now() < ${startAtMs}) {}
    const made = ensureKeys(${JSON.stringify(dir)});
    console.log(JSON.stringify({ made, keyId: loadSigningKey(${JSON.stringify(dir)}).keyId }));
  `;
  const runs = Array.from(
    { length: 6 },
    () =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, [
          '--import',
          'tsx',
          '--input-type=module',
          '-e',
          script,
        ]);
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
        });
        child.on('error', reject);
        child.on('close', (code) =>
          code === 0 ? resolve(out) : reject(new Error(`exit ${code}`)),
        );
      }),
  );
  const said = (await Promise.all(runs)).map(
    (o) => JSON.parse(o) as { made: boolean; keyId: string },
  );
  t.is(said.filter((s) => s.made).length, 1, JSON.stringify(said));
  t.is(new Set(said.map((s) => s.keyId)).size, 1, JSON.stringify(said));
  t.false(ensureKeys(dir));
  t.deepEqual([loadSigningKey(dir).keyId], [...new Set(said.map((s) => s.keyId))]);
});
