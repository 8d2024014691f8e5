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
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { HintedError } from '../hinted-error.ts';

/** The xsnap release whose XS sources we build (exact: the cache is keyed by it). */
export const XSNAP_VERSION = '0.15.0';
export const XSNAP_PACKAGE = '@agoric/xsnap';

/**
 * XS's allocation settings (xsCreation), replacing xsnap's server-sized ones
 * (a 32 MiB first chunk, 256 Ki slots) so that what the engine allocates
 * tracks what the program needs, as on a microcontroller: it starts small and
 * grows in the steps of Moddable's own creation defaults
 * (examples/manifest_base.json: chunks by 512 bytes, slots by 64). XS grows
 * a heap only when two collections in a row leave less than a step free, so
 * the step bounds how far the heap (and its peak) runs ahead of what is
 * live. The engine's `allocatedSpace` is then a heap figure worth reading.
 * The stack is larger than Moddable's 256 slots: loading the image is its
 * deepest point, 556 to 560 slots as the meter reads it (xsnap's own frames
 * 156 of them, the engine layer's load 244), and what runs after stays
 * above that (1,024; xsnap's 4,096 were 128 KiB of the 64-bit heap). Part
 * of the cache key.
 */
export const XS_CREATION = {
  initialChunkSize: 16 * 1024,
  incrementalChunkSize: 512,
  initialHeapCount: 1024,
  incrementalHeapCount: 64,
  stackCount: 1024,
} as const;
/**
 * Names the creation settings, the worker patches (patchWorker) and the
 * compiler flags in the cache key: a change to any must build XS again.
 */
const CREATION_TAG = 'mcu10';

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

/**
 * The word size XS is built for. The microcontrollers XS runs on are 32-bit,
 * and XS's slots (most of its heap) are 16 bytes there against 32 on a
 * 64-bit host: a 32-bit worker's heap is the one a board would have. It is
 * built so where the C compiler can make 32-bit programs (Debian:
 * gcc-multilib), 64-bit otherwise (its heap figures are then about twice a
 * board's, and say so by their slot size).
 */
export type WordBits = 32 | 64;

/** `$XDG_CACHE_HOME/tandem/xsnap-<version>-<settings>-w<bits>`, or `~/.cache/...` without it. */
export function xsnapCacheDir(bits: WordBits, env: Env = process.env): string {
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'tandem', `xsnap-${XSNAP_VERSION}-${CREATION_TAG}-w${bits}`);
}

export function xsnapWorkerPath(bits: WordBits, env: Env = process.env): string {
  return join(xsnapCacheDir(bits, env), 'xsnap-worker');
}

export type XsnapLookup =
  | { readonly available: true; readonly path: string; readonly bits: WordBits }
  | { readonly available: false; readonly reason: string };

/** The cached worker, the 32-bit one first, or why there is none (tests skip with this reason). */
export function findXsnap(env: Env = process.env): XsnapLookup {
  for (const bits of [32, 64] as const) {
    const path = xsnapWorkerPath(bits, env);
    if (existsSync(path)) return { available: true, path, bits };
  }
  return {
    available: false,
    reason: `XS is not built on this machine (no ${xsnapCacheDir(32, env)} or -w64); build it with \`npm run build:xs\` (a few minutes, once per machine)`,
  };
}

/** Whether `cc -m32` makes a program that runs here. */
function canBuild32(): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-m32-'));
  try {
    writeFileSync(join(dir, 'probe.c'), 'int main(void) { return sizeof(void*) == 4 ? 0 : 1; }\n');
    execFileSync('cc', ['-m32', '-o', join(dir, 'probe'), join(dir, 'probe.c')], {
      stdio: 'ignore',
    });
    execFileSync(join(dir, 'probe'), [], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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
  if (found.available && found.bits === 32) return found.path;
  for (const tool of ['cc', 'make', 'tar']) {
    if (!hasTool(tool)) {
      throw new XsBuildError(
        'no-toolchain',
        `${tool} is missing: XS cannot be built here`,
        'install a C compiler and make (Debian: apt-get install build-essential)',
      );
    }
  }
  const bits: WordBits = canBuild32() ? 32 : 64;
  if (found.available && bits === 64) return found.path;
  if (bits === 64) log('cc cannot build 32-bit programs here (gcc-multilib): building a 64-bit XS');
  const dir = xsnapCacheDir(bits, env);
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
    const sources = join(pkg, 'xsnap-native', 'xsnap', 'sources');
    patchCreation(join(sources, 'xsnap-worker.c'));
    patchWorker(sources);
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
          // 32-bit floats in SSE, not the x87 unit, which quiets a signalling NaN it
          // moves: DataView's big-endian float64 swaps bytes through one (test/xs-floats.test.ts).
          `CC=cc${bits === 32 ? ' -m32 -msse2 -mfpmath=sse' : ''} "-D__has_builtin(x)=1"`,
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
    renameSync(staged, xsnapWorkerPath(bits, env));
    log(`built ${xsnapWorkerPath(bits, env)} (${bits}-bit)`);
    return xsnapWorkerPath(bits, env);
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

/** Tandem's additions to the worker, in C (appended to xsnapPlatform.c). */
const NATIVE_ADDITIONS = new URL('native/in-place.c', import.meta.url);

/**
 * The worker's changes beyond its settings: its meter also reports XS's
 * chunk and slot accounting (in use and peak, and the slot size), and its
 * 's' command runs the script it carries compiled ahead and in place, as a
 * Moddable mod runs from flash (native/in-place.c), instead of loading a file.
 */
function patchWorker(sources: string): void {
  const platform = join(sources, 'xsnapPlatform.c');
  let platformSource = readFileSync(platform, 'utf8');
  // xsnap's own allocation stays for a worker without a fixed heap (native/in-place.c).
  const allocators: Array<[string, string]> = [
    ['void* fxAllocateChunks(txMachine* the, txSize size)\n', 'void* fxAllocateChunksFromSystem('],
    ['void fxFreeChunks(txMachine* the, void* theChunks)\n', 'void fxFreeChunksFromSystem('],
    [
      'txSlot* fxAllocateSlots(txMachine* the, txSize theCount)\n',
      'txSlot* fxAllocateSlotsFromSystem(',
    ],
    ['void fxFreeSlots(txMachine* the, void* theSlots)\n', 'void fxFreeSlotsFromSystem('],
  ];
  for (const [definition, renamed] of allocators) {
    if (platformSource.split(definition).length !== 2) {
      throw new XsBuildError(
        'make-failed',
        `xsnapPlatform.c does not define ${definition.trim()} where expected`,
        `the ${XSNAP_PACKAGE} sources changed: update patchWorker`,
      );
    }
    platformSource = platformSource.replace(
      definition,
      `static ${renamed}${definition.slice(definition.indexOf('(') + 1)}`,
    );
  }
  writeFileSync(platform, platformSource + readFileSync(NATIVE_ADDITIONS, 'utf8'));
  const worker = join(sources, 'xsnap-worker.c');
  let source = readFileSync(worker, 'utf8');
  const edits: Array<[string, string]> = [
    [
      'extern xsIntegerValue fxGetCurrentHeapCount(xsMachine* the);',
      'extern xsIntegerValue fxGetCurrentHeapCount(xsMachine* the);\nextern int fxHeapFigure(xsMachine* the, int which);\nextern void fxRunProgramInPlace(xsMachine* the, char* source, int size);',
    ],
    [
      '"\\"allocate\\":%u,"',
      '"\\"allocate\\":%u,\\"chunks\\":%d,\\"chunksPeak\\":%d,\\"slotsPeak\\":%d,\\"slotBytes\\":%d,\\"codeInPlace\\":%d,\\"stackPeak\\":%d,\\"stackScratch\\":%d,\\"stackSlots\\":%d,"',
    ],
    [
      'meterIndex, the->allocatedSpace, tsbuf);',
      'meterIndex, the->allocatedSpace, fxHeapFigure(the, 0), fxHeapFigure(the, 1), fxHeapFigure(the, 2), fxHeapFigure(the, 3), fxHeapFigure(the, 4), fxHeapFigure(the, 5), fxHeapFigure(the, 6), fxHeapFigure(the, 7), tsbuf);',
    ],
    ['xsRunProgramFile(path);', 'fxRunProgramInPlace(the, path, nslen - 1);'],
    // The board may fix the heap, as a microcontroller's (native/in-place.c).
    [
      'xsCreation* creation = &_creation;',
      'xsCreation* creation = &_creation;\n\t{\n\t\textern int fxTandemHeapRegion(void);\n\t\tif (fxTandemHeapRegion() != 0)\n\t\t\treturn E_BAD_USAGE;\n\t}',
    ],
  ];
  for (const [from, to] of edits) {
    if (source.split(from).length !== 2) {
      throw new XsBuildError(
        'make-failed',
        `xsnap-worker.c does not read as expected (looking for ${from})`,
        `the ${XSNAP_PACKAGE} sources changed: update patchWorker`,
      );
    }
    source = source.replace(from, to);
  }
  writeFileSync(worker, source);
}
