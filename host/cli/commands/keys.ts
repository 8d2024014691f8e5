/**
 * `tandem keys generate`: creates the ed25519 key pair images are signed
 * with (host/image/keys.ts): a private key the host keeps and a public key
 * to install on boards.
 */

import { KeyFileError } from '../../../boards/image/errors.ts';
import { DEFAULT_KEY_DIR, generateKeys } from '../../image/keys.ts';
import type { RegisterCommand } from '../command-registration.ts';
import { ExitCode } from '../exit-codes.ts';

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
    .option('--out <dir>', 'directory for the key files', DEFAULT_KEY_DIR)
    .option('--force', 'replace existing key files', false)
    .option('--json', 'print one JSON object {privateKeyPath, publicKeyPath, keyId}', false)
    .addHelpText(
      'after',
      `
Exit codes: ${ExitCode.ok} created, ${ExitCode.usage} bad argument or keys already there (without --force).`,
    )
    .action((options: GenerateOptions) => {
      finish(generate(options));
    });
};

function generate(options: GenerateOptions): ExitCode {
  let files: ReturnType<typeof generateKeys>;
  try {
    files = generateKeys(options.out, { force: options.force });
  } catch (error) {
    if (!(error instanceof KeyFileError)) throw error;
    process.stderr.write(`tandem keys generate: ${error.message}\n`);
    return ExitCode.usage;
  }
  if (options.json) {
    process.stdout.write(`${JSON.stringify(files)}\n`);
  } else {
    process.stdout.write(
      `key ${files.keyId}\n  private ${files.privateKeyPath} (keep it secret)\n  public  ${files.publicKeyPath} (install on boards)\n`,
    );
  }
  return ExitCode.ok;
}
