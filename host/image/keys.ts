/**
 * The image signing key on disk. A key directory holds two files:
 *   image-signing.pem  the ed25519 private key, PKCS#8 PEM, mode 0600 (keep it off boards)
 *   image-signing.pub  the public key: its raw 32 bytes in base64, one line (install it on boards)
 * Both are written to a temporary file first and renamed into place, so a key
 * file is never half written nor, for the private key, ever readable by others.
 */
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { KeyFileError } from '../../boards/image/errors.ts';
import { keyIdOf, loadPublicKey, rawPublicKey } from '../../boards/image/public-key.ts';

export const DEFAULT_KEY_DIR = '.tandem/keys';
export const PRIVATE_KEY_FILE = 'image-signing.pem';
export const PUBLIC_KEY_FILE = 'image-signing.pub';

export interface SigningKey {
  readonly privateKey: KeyObject;
  /** Raw 32-byte ed25519 public key. */
  readonly publicKey: Uint8Array;
  /** First 8 bytes of SHA-256(publicKey), hex: what manifests carry. */
  readonly keyId: string;
}

export interface KeyFiles {
  readonly privateKeyPath: string;
  readonly publicKeyPath: string;
  readonly keyId: string;
}

/** Creates a key pair in `dir`; refuses to replace existing key files unless `force`. */
export function generateKeys(dir: string, options: { readonly force?: boolean } = {}): KeyFiles {
  const privateKeyPath = join(dir, PRIVATE_KEY_FILE);
  const publicKeyPath = join(dir, PUBLIC_KEY_FILE);
  const existing = [privateKeyPath, publicKeyPath].filter((path) => existsSync(path));
  if (existing.length > 0 && options.force !== true) {
    throw new KeyFileError(
      'exists',
      `${existing.join(' and ')} already ${existing.length === 1 ? 'exists' : 'exist'}; pass --force to replace the key (boards that only trust the old key will then refuse new images), or --out DIR for another directory`,
    );
  }
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = rawPublicKey(publicKey);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writePrivately(privateKeyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  writeReplacing(publicKeyPath, encodePublicKey(raw), 0o644);
  return { privateKeyPath, publicKeyPath, keyId: keyIdOf(raw) };
}

/**
 * Makes a key pair in `dir` unless it holds one; true when it made one. Two
 * commands that start at once in a project without a key (two demos, say)
 * must not each write a key over the other's, or one would sign its image
 * with a key its lab no longer trusts: the pair is made beside `dir` and
 * renamed into place whole, and the one that finds `dir` taken uses it.
 */
export function ensureKeys(dir: string): boolean {
  if (existsSync(join(dir, PUBLIC_KEY_FILE))) return false;
  mkdirSync(dirname(dir), { recursive: true });
  const staging = mkdtempSync(`${dir}.new-`);
  try {
    generateKeys(staging);
    renameSync(staging, dir);
    return true;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if ((code === 'ENOTEMPTY' || code === 'EEXIST') && existsSync(join(dir, PUBLIC_KEY_FILE)))
      return false;
    throw error;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Loads the private key of `dir` (and checks the public key file beside it, if any). */
export function loadSigningKey(dir: string): SigningKey {
  const privateKeyPath = join(dir, PRIVATE_KEY_FILE);
  if (!existsSync(privateKeyPath)) {
    throw new KeyFileError(
      'missing',
      `no signing key at ${privateKeyPath}; create one with \`tandem keys generate --out ${dir}\` or point --key at your key directory`,
    );
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(readFileSync(privateKeyPath, 'utf8'));
  } catch (error) {
    throw new KeyFileError('bad-key', `${privateKeyPath} is not a PEM private key`, {
      cause: error,
    });
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new KeyFileError(
      'bad-key',
      `${privateKeyPath} holds a ${privateKey.asymmetricKeyType} key; images are signed with ed25519 (\`tandem keys generate\`)`,
    );
  }
  const publicKey = rawPublicKey(privateKey);
  const publicKeyPath = join(dir, PUBLIC_KEY_FILE);
  if (existsSync(publicKeyPath) && keyIdOf(loadPublicKey(publicKeyPath)) !== keyIdOf(publicKey)) {
    throw new KeyFileError(
      'bad-key',
      `${publicKeyPath} is not the public half of ${privateKeyPath}; regenerate both with \`tandem keys generate --force\``,
    );
  }
  return { privateKey, publicKey, keyId: keyIdOf(publicKey) };
}

export function encodePublicKey(raw: Uint8Array): string {
  return `${Buffer.from(raw).toString('base64')}\n`;
}

function writePrivately(path: string, text: string): void {
  writeReplacing(path, text, 0o600);
}

/** Writes beside `path` with `mode` from the first byte, then renames over it. */
function writeReplacing(path: string, text: string, mode: number): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text, { mode, flag: 'wx' });
  chmodSync(temporary, mode); // the umask may have taken bits away; set exactly these
  renameSync(temporary, path);
}
