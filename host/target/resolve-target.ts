/**
 * Which pair a command acts on. In order: the options (`--lab DIR`, `--port
 * P1,P2`, `--pair FILE`; at most one of them), the TANDEM_PAIR variable (a
 * pair file), a `tandem-pair.json` found by walking up from the working
 * directory, and finally the lab in the project's .tandem/lab (host/project-dir.ts). Resolving reads the pair
 * file but opens no port: `openPairTarget` (pair-target.ts) does that.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PUBLIC_KEY_FILE } from '../image/keys.ts';
import { projectPath } from '../project-dir.ts';
import { DEFAULT_IMAGE_BOARD, loadPairFile, PAIR_FILE_NAME } from './pair-file.ts';
import { PairTargetError } from './target-error.ts';

/** The environment variable that names a pair file. */
export const PAIR_ENV = 'TANDEM_PAIR';
/** The line rate of --port and --bus ports when --baud is not given. */
export const DEFAULT_PORT_BAUD = 115200;

/** The target options as commander parses them (host/cli/target-options.ts). */
export interface TargetOptions {
  readonly lab?: string | undefined;
  /** The old name of --lab, kept working. */
  readonly dir?: string | undefined;
  readonly port?: readonly [string, string] | undefined;
  readonly bus?: readonly [string, string] | undefined;
  readonly baud?: number | undefined;
  readonly pair?: string | undefined;
}

/** Where the target came from, for messages and tests. */
export type TargetSource =
  | { readonly via: 'option'; readonly option: '--lab' | '--port' | '--pair' }
  | { readonly via: 'env' }
  | { readonly via: 'found'; readonly file: string }
  | { readonly via: 'default' };

export interface SerialEnd {
  readonly path: string;
  readonly baud: number;
}

export interface PortsBoard {
  readonly processor: 1 | 2;
  readonly host: SerialEnd;
  readonly bus?: SerialEnd;
}

export type TargetSpec =
  | { readonly kind: 'lab'; readonly dir: string; readonly source: TargetSource }
  | {
      readonly kind: 'ports';
      /** Processor 1, then processor 2. */
      readonly boards: readonly [PortsBoard, PortsBoard];
      /** The board name images must target. */
      readonly imageBoard: string;
      readonly publicKeyFile: string;
      /** The pair file's name, when it came from one. */
      readonly pairName?: string;
      /** The pair file's path (absolute), when it came from one. */
      readonly pairFile?: string;
      readonly source: TargetSource;
    };

export interface ResolveContext {
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** The nearest `tandem-pair.json` in `cwd` or above, or null. */
export function findPairFile(cwd: string): string | null {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const candidate = join(dir, PAIR_FILE_NAME);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return null;
  }
}

export async function resolveTarget(
  options: TargetOptions,
  context: ResolveContext,
): Promise<TargetSpec> {
  if (options.lab !== undefined && options.dir !== undefined && options.lab !== options.dir) {
    throw conflict('--lab and --dir name two labs', 'give one (--dir is the old name of --lab)');
  }
  const lab = options.lab ?? options.dir;
  const named = [
    lab === undefined ? null : '--lab',
    options.port === undefined ? null : '--port',
    options.pair === undefined ? null : '--pair',
  ].filter((name) => name !== null);
  if (named.length > 1) {
    throw conflict(
      `${named.join(' and ')} each name a pair`,
      'name the pair one way: --lab DIR, --port P1,P2 or --pair FILE',
    );
  }
  if (options.port === undefined) {
    if (options.bus !== undefined) {
      throw conflict('--bus goes with --port', 'add --port P1,P2, or put "bus" in the pair file');
    }
    if (options.baud !== undefined) {
      throw conflict(
        '--baud goes with --port',
        'a lab and a pair file set their own rates; drop --baud',
      );
    }
  }
  if (options.port !== undefined) {
    const baud = options.baud ?? DEFAULT_PORT_BAUD;
    const board = (index: 0 | 1): PortsBoard => {
      const bus = options.bus?.[index];
      return {
        processor: index === 0 ? 1 : 2,
        host: { path: options.port?.[index] ?? '', baud },
        ...(bus === undefined ? {} : { bus: { path: bus, baud } }),
      };
    };
    return {
      kind: 'ports',
      boards: [board(0), board(1)],
      imageBoard: DEFAULT_IMAGE_BOARD,
      publicKeyFile: resolve(context.cwd, projectPath(context.cwd, 'keys', PUBLIC_KEY_FILE)),
      source: { via: 'option', option: '--port' },
    };
  }
  if (lab !== undefined) {
    return {
      kind: 'lab',
      dir: resolve(context.cwd, lab),
      source: { via: 'option', option: '--lab' },
    };
  }
  if (options.pair !== undefined) {
    return fromPairFile(options.pair, context, { via: 'option', option: '--pair' });
  }
  const fromEnv = context.env[PAIR_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    return fromPairFile(fromEnv, context, { via: 'env' });
  }
  const found = findPairFile(context.cwd);
  if (found !== null) return fromPairFile(found, context, { via: 'found', file: found });
  return {
    kind: 'lab',
    dir: resolve(context.cwd, projectPath(context.cwd, 'lab')),
    source: { via: 'default' },
  };
}

async function fromPairFile(
  file: string,
  context: ResolveContext,
  source: TargetSource,
): Promise<TargetSpec> {
  const loaded = await loadPairFile(file, context.cwd);
  const byProcessor = (processor: 1 | 2): PortsBoard => {
    const entry = loaded.pair.boards.find((b) => b.processor === processor);
    // parsePairFile guarantees one entry per processor.
    if (entry === undefined) throw new Error(`pair file without processor ${processor}`);
    return {
      processor,
      host: entry.host,
      ...(entry.bus === undefined ? {} : { bus: entry.bus }),
    };
  };
  return {
    kind: 'ports',
    boards: [byProcessor(1), byProcessor(2)],
    imageBoard: loaded.imageBoard,
    publicKeyFile: loaded.publicKeyFile,
    pairName: loaded.pair.name,
    pairFile: loaded.file,
    source,
  };
}

function conflict(message: string, hint: string): PairTargetError {
  return new PairTargetError('conflicting-options', message, hint);
}
