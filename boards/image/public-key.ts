/**
 * Ed25519 public keys as boards hold them: raw 32 bytes, named by a key id
 * (the first 8 bytes of their SHA-256, hex) that the manifest carries.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { KeyFileError, PublicKeyError } from './errors.ts';

export const PUBLIC_KEY_BYTES = 32;
const KEY_ID_BYTES = 8;

export function keyIdOf(rawPublicKey: Uint8Array): string {
  return createHash('sha256')
    .update(rawPublicKey)
    .digest()
    .subarray(0, KEY_ID_BYTES)
    .toString('hex');
}

/** The raw 32 bytes of an ed25519 key; a private KeyObject gives its public half. */
export function rawPublicKey(key: KeyObject | Uint8Array): Uint8Array {
  if (key instanceof Uint8Array) {
    if (key.length !== PUBLIC_KEY_BYTES) {
      throw new PublicKeyError(
        `an ed25519 public key is ${PUBLIC_KEY_BYTES} raw bytes, got ${key.length}; load it with loadPublicKey()`,
      );
    }
    return key;
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new PublicKeyError(
      `expected an ed25519 key, got ${key.asymmetricKeyType ?? key.type}; generate one with \`tandem keys generate\``,
    );
  }
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const { x } = publicKey.export({ format: 'jwk' });
  return new Uint8Array(Buffer.from(x ?? '', 'base64url'));
}

export function publicKeyObject(rawPublicKey: Uint8Array): KeyObject {
  return createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(rawPublicKey).toString('base64url') },
    format: 'jwk',
  });
}

/** Reads a public key file (raw 32 bytes, base64, one line) as boards hold it. */
export function loadPublicKey(path: string): Uint8Array {
  if (!existsSync(path)) {
    throw new KeyFileError(
      'missing',
      `no public key at ${path}; \`tandem keys generate\` writes one`,
    );
  }
  const text = readFileSync(path, 'utf8').trim();
  // Strict: base64 of exactly 32 bytes is 43 characters and one '='.
  if (!/^[A-Za-z0-9+/]{43}=$/.test(text)) {
    throw new KeyFileError(
      'bad-key',
      `${path} is not an ed25519 public key (expected ${PUBLIC_KEY_BYTES} bytes in base64 on one line)`,
    );
  }
  return new Uint8Array(Buffer.from(text, 'base64'));
}
