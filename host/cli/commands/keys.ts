/**
 * `tandem keys generate`: creates the ed25519 key pair images are signed
 * with (host/image/keys.ts): a private key the host keeps and a public key
 * to install on boards. A key that is already there is kept (exit 0, saying
 * so): replacing it would orphan every board that trusts it, so that takes
 * --force.
 */

import { join } from 'node:path';
import { KeyFileError } from '../../../boards/image/errors.ts';
import { loadPublicKey } from '../../../boards/image/public-key.ts';
import {
  generateKeys,
  type KeyFiles,
  loadSigningKey,
  PRIVATE_KEY_FILE,
  PUBLIC_KEY_FILE,
} from '../../image/keys.ts';
import { projectPath } from '../../project-dir.ts';
import type { RegisterCommand } from '../command-registration.ts';
import { ExitCode } from '../exit-codes.ts';
import { onUserPath } from '../user-file.ts';

interface GenerateOptions {
  readonly out: string;
  readonly force: boolean;
  readonly json: boolean;
}

export const registerKeys: RegisterCommand = (program, finish) => {
  const keys = program
    .command('keys')
    .description('Manage the ed25519 key that signs firmware images.');
  keys
    .command('generate')
    .description(
      'Create a signing key pair: image-signing.pem (private, mode 0600) and image-signing.pub (raw public key, base64).',
    )
    .option('--out <dir>', 'directory for the key files', projectPath(process.cwd(), 'keys'))
    .option('--force', 'replace existing key files', false)
    .option(
      '--json',
      'print one JSON object {privateKeyPath, publicKeyPath, keyId, created}',
      false,
    )
    .addHelpText(
      'after',
      `
Exit codes: ${ExitCode.ok} created, or a key already there and kept (without --force), ${ExitCode.usage} bad argument, a half or broken key pair there (without --force), or --out not a writable directory.`,
    )
    .action((options: GenerateOptions) => {
      finish(generate(options));
    });
};

function generate(options: GenerateOptions): ExitCode {
  let files: KeyFiles;
  let created = true;
  try {
    files = onUserPath(
      options.out,
      'the key directory',
      'give --out a directory you can write (it is created if missing)',
      () => generateKeys(options.out, { force: options.force }),
    );
  } catch (error) {
    if (!(error instanceof KeyFileError)) throw error;
    const kept = error.code === 'exists' ? existingKey(options.out) : null;
    if (kept === null) {
      process.stderr.write(`tandem keys generate: ${error.message}\n`);
      return ExitCode.usage;
    }
    files = kept;
    created = false;
  }
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ ...files, created })}\n`);
  } else if (created) {
    process.stdout.write(
      `key ${files.keyId}\n  private ${files.privateKeyPath} (keep it secret)\n  public  ${files.publicKeyPath} (install on boards)\n`,
    );
  } else {
    process.stdout.write(
      `key ${files.keyId} already there, kept\n  private ${files.privateKeyPath}\n  public  ${files.publicKeyPath}\n  (--force replaces it; boards that trust only the old key then refuse new images)\n`,
    );
  }
  return ExitCode.ok;
}

/** The whole, valid key pair in `dir`, or null when it is half there or broken (then only --force helps). */
function existingKey(dir: string): KeyFiles | null {
  try {
    const { keyId } = loadSigningKey(dir);
    const publicKeyPath = join(dir, PUBLIC_KEY_FILE);
    loadPublicKey(publicKeyPath); // loadSigningKey checks it only when it is there
    return { privateKeyPath: join(dir, PRIVATE_KEY_FILE), publicKeyPath, keyId };
  } catch (error) {
    if (error instanceof KeyFileError) return null;
    throw error;
  }
}
