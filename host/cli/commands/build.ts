/**
 * `tandem build`: bundles an app into a firmware image, signs it and writes
 * it (host/image/build.ts). Prints the path, the size and the SHA-256, or with
 * --json one object {path, bytes, sha256, manifest}.
 */
import { Option } from 'commander';
import { KeyFileError } from '../../../boards/image/errors.ts';
import type { CheckpointModel } from '../../../firmware/app.ts';
import { APP_REGISTRY } from '../../image/app-registry.ts';
import { buildImageFile, DEFAULT_BOARDS } from '../../image/build.ts';
import { BuildError, type BuildErrorCode } from '../../image/errors.ts';
import { projectPath } from '../../project-dir.ts';
import type { RegisterCommand } from '../command-registration.ts';
import { ExitCode } from '../exit-codes.ts';
import { userFileErrorFrom } from '../user-file.ts';

const MODES: readonly CheckpointModel[] = ['state', 'replay'];

interface BuildCommandOptions {
  readonly version?: string;
  readonly out?: string;
  readonly key: string;
  readonly board: string;
  readonly mode: CheckpointModel;
  readonly json: boolean;
}

/** Nothing was built because of what was asked (usage), or the app broke its contract. */
const EXIT_FOR: Readonly<Record<BuildErrorCode, ExitCode>> = {
  'unknown-app': ExitCode.usage,
  'unknown-version': ExitCode.usage,
  'version-conflict': ExitCode.usage,
  'bad-board': ExitCode.usage,
  'app-module': ExitCode.appModule,
  'app-mismatch': ExitCode.appModule,
  'node-import': ExitCode.appModule,
  'node-require': ExitCode.appModule,
  'dynamic-import': ExitCode.appModule,
  'bundle-failed': ExitCode.appModule,
  'too-large': ExitCode.appModule,
};

export const registerBuild: RegisterCommand = (program, finish) => {
  // `tandem build --version V` must reach this command, not print tandem's own
  // version: program options are then only read before the command name.
  program.enablePositionalOptions();
  program
    .command('build')
    .description(
      'Bundle an app into a signed firmware image (one engine-neutral script, a manifest and an ed25519 signature).',
    )
    .argument(
      '<app>',
      `the app: ${Object.keys(APP_REGISTRY).join(', ')} (name or name@version), or a path to a module whose default export is an app factory (model) => app`,
    )
    .option('--version <version>', 'release version of a registered app (default: the newest)')
    .option(
      '--out <file>',
      `image file (default: ${projectPath(process.cwd(), 'images')}/<app>-<version>.img)`,
    )
    .option('--key <dir>', 'directory holding the signing key', projectPath(process.cwd(), 'keys'))
    .option('--board <list>', 'comma-separated board targets', DEFAULT_BOARDS.join(','))
    .addOption(
      new Option('--mode <model>', 'checkpoint model to build the app for')
        .choices(MODES)
        .default('state'),
    )
    .option('--json', 'print one JSON object {path, bytes, sha256, manifest} (for scripts)', false)
    .addHelpText(
      'after',
      `
Exit codes: ${ExitCode.ok} built, ${ExitCode.usage} bad argument or no signing key, ${ExitCode.appModule} the app cannot be bundled into an image.

Examples:
  npx tandem keys generate
  npx tandem build ledger@1.0.0
  npx tandem build ledger --version 2.0.0 --board sim --json
  npx tandem build ./my-app/index.ts --mode replay --out my-app.img`,
    )
    .action(async (app: string, options: BuildCommandOptions) => {
      finish(await runBuild(app, options));
    });
};

async function runBuild(app: string, options: BuildCommandOptions): Promise<ExitCode> {
  let written: Awaited<ReturnType<typeof buildImageFile>>;
  try {
    written = await buildImageFile({
      app,
      version: options.version,
      out: options.out,
      keyDir: options.key,
      boards: options.board.split(',').map((board) => board.trim()),
      model: options.mode,
    });
  } catch (error) {
    if (error instanceof BuildError) return refuse(error.message, EXIT_FOR[error.code]);
    if (error instanceof KeyFileError) return refuse(error.message, ExitCode.usage);
    // Writing the image: --out a folder, in a file, or somewhere not writable.
    const path = (error as NodeJS.ErrnoException | null)?.path;
    throw (
      (path === undefined
        ? null
        : userFileErrorFrom(
            error,
            path,
            'the image file',
            'give --out a file path in a folder you can write',
          )) ?? error
    );
  }
  if (options.json) {
    process.stdout.write(`${JSON.stringify(written)}\n`);
  } else {
    const { manifest } = written;
    const kib = (written.bytes / 1024).toFixed(1);
    process.stdout.write(
      [
        written.path,
        `  ${written.bytes} bytes (${kib} KiB), sha256 ${written.sha256}`,
        `  ${manifest.app} ${manifest.version}, state version ${manifest.stateVersion}, ${manifest.checkpoint} checkpoints, boards ${manifest.boards.join(', ')}, key ${manifest.keyId}`,
        '',
      ].join('\n'),
    );
  }
  return ExitCode.ok;
}

function refuse(message: string, code: ExitCode): ExitCode {
  process.stderr.write(`tandem build: ${message}\n`);
  return code;
}
