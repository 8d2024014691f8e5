/**
 * Where the XS engine (Agoric's xsnap worker, built from the Moddable XS
 * sources in the npm package `@agoric/xsnap`) lives on this machine, and how
 * it gets there. The build takes minutes, so it goes into a cache outside the
 * clone, keyed by the package version: a machine builds it once, and every
 * clone and CI run on it reuses the binary.
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { HintedError } from '../hinted-error.ts';

/** The xsnap release whose XS sources we build (exact: the cache is keyed by it). */
export const XSNAP_VERSION = '0.15.0';
export const XSNAP_PACKAGE = '@agoric/xsnap';

/**
 * XS's allocation settings (xsCreation), replacing xsnap's server-sized ones
 * (a 32 MiB first chunk, 256 Ki slots) so that what the engine allocates
 * tracks what the program needs, as on a microcontroller: it starts small and
 * grows in small steps. The engine's `allocatedSpace` is then a heap figure
 * worth reading. Part of the cache key.
 */
export const XS_CREATION = {
  initialChunkSize: 16 * 1024,
  incrementalChunkSize: 8 * 1024,
  initialHeapCount: 1024,
  incrementalHeapCount: 512,
  stackCount: 4096,
} as const;
const CREATION_TAG = 'mcu1';

export type XsBuildErrorCode =
  /** `npm pack` could not fetch the package (no registry, no npm). */
  | 'pack-failed'
  /** No C compiler or make on this machine. */
  | 'no-toolchain'
  /** make failed on the XS sources. */
  | 'make-failed';

export class XsBuildError extends HintedError<XsBuildErrorCode> {
  readonly xsBuildError = true;
  override name = 'XsBuildError';
}

type Env = Readonly<Record<string, string | undefined>>;

/** `$XDG_CACHE_HOME/tandem/xsnap-<version>`, or `~/.cache/...` without it. */
export function xsnapCacheDir(env: Env = process.env): string {
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'tandem', `xsnap-${XSNAP_VERSION}-${CREATION_TAG}`);
}

export function xsnapWorkerPath(env: Env = process.env): string {
  return join(xsnapCacheDir(env), 'xsnap-worker');
}

export type XsnapLookup =
  | { readonly available: true; readonly path: string }
  | { readonly available: false; readonly reason: string };

/** The cached worker, or why there is none (tests skip with this reason). */
export function findXsnap(env: Env = process.env): XsnapLookup {
  const path = xsnapWorkerPath(env);
  if (existsSync(path)) return { available: true, path };
  return {
    available: false,
    reason: `XS is not built on this machine (no ${path}); build it with \`npm run build:xs\` (a few minutes, once per machine)`,
  };
}

function hasTool(tool: string): boolean {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Builds the xsnap worker (release goal only: the debug one doubles the time
 * and nothing here uses it) unless the cache has it; returns its path. Each
 * build works in its own folder and the binary is renamed into place, so two
 * builds at once waste time but never leave half a binary.
 */
export function buildXsnap(log: (line: string) => void, env: Env = process.env): string {
  const found = findXsnap(env);
  if (found.available) return found.path;
  for (const tool of ['cc', 'make', 'tar']) {
    if (!hasTool(tool)) {
      throw new XsBuildError(
        'no-toolchain',
        `${tool} is missing: XS cannot be built here`,
        'install a C compiler and make (Debian: apt-get install build-essential)',
      );
    }
  }
  const dir = xsnapCacheDir(env);
  const work = join(dir, `build-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    log(`fetching ${XSNAP_PACKAGE}@${XSNAP_VERSION} (its tarball carries the XS sources)`);
    try {
      execFileSync('npm', ['pack', '--silent', `${XSNAP_PACKAGE}@${XSNAP_VERSION}`], {
        cwd: work,
        stdio: ['ignore', 'ignore', 'inherit'],
      });
    } catch (cause) {
      throw new XsBuildError(
        'pack-failed',
        `npm pack ${XSNAP_PACKAGE}@${XSNAP_VERSION} failed`,
        'the npm registry must be reachable for the first build',
        { cause },
      );
    }
    const tarball = readdirSync(work).find((name) => name.endsWith('.tgz'));
    if (tarball === undefined)
      throw new XsBuildError(
        'pack-failed',
        'npm pack left no tarball',
        'run npm pack by hand to see why',
      );
    execFileSync('tar', ['xzf', tarball], { cwd: work });
    const pkg = join(work, 'package');
    patchCreation(join(pkg, 'xsnap-native', 'xsnap', 'sources', 'xsnap-worker.c'));
    log('compiling XS and the xsnap worker (several minutes)');
    try {
      // The flags are those of the package's own build (src/build.js), release goal.
      execFileSync(
        'make',
        [
          '-j2',
          `MODDABLE=${join(pkg, 'moddable')}`,
          'GOAL=release',
          `XSNAP_VERSION=${XSNAP_VERSION}`,
          'CC=cc "-D__has_builtin(x)=1"',
          '-f',
          'xsnap-worker.mk',
        ],
        {
          cwd: join(pkg, 'xsnap-native', 'xsnap', 'makefiles', 'lin'),
          stdio: ['ignore', 'ignore', 'inherit'],
        },
      );
    } catch (cause) {
      throw new XsBuildError(
        'make-failed',
        'building XS failed (see the compiler output above)',
        'check that cc and make work; the build runs make -f xsnap-worker.mk',
        { cause },
      );
    }
    const built = join(
      pkg,
      'xsnap-native',
      'xsnap',
      'build',
      'bin',
      'lin',
      'release',
      'xsnap-worker',
    );
    const staged = join(dir, `xsnap-worker.${process.pid}`);
    copyFileSync(built, staged);
    renameSync(staged, xsnapWorkerPath(env));
    log(`built ${xsnapWorkerPath(env)}`);
    return xsnapWorkerPath(env);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Writes XS_CREATION into the worker's xsCreation block; refuses a source it does not recognise. */
function patchCreation(file: string): void {
  let source = readFileSync(file, 'utf8');
  const settings: Array<[string, number]> = Object.entries(XS_CREATION);
  for (const [name, value] of settings) {
    const line = new RegExp(`^(\\s*)[^,\\n]+,(\\s*/\\* ${name} \\*/)`, 'm');
    if (!line.test(source)) {
      throw new XsBuildError(
        'make-failed',
        `xsnap-worker.c has no ${name} setting where expected`,
        `the ${XSNAP_PACKAGE} sources changed: update XS_CREATION's patch`,
      );
    }
    source = source.replace(line, `$1${value},$2`);
  }
  writeFileSync(file, source);
}
