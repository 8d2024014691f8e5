/**
 * Where tandem's code runs from: the JavaScript build in dist/ (made on
 * `npm install`, see scripts/build-dist.ts) or the TypeScript sources
 * through tsx. A process started by tandem (the lab daemon, a board
 * process, a simulator worker thread) runs the way its parent does: the
 * build defines TANDEM_DIST_DIR, the sources leave it undefined. Whether
 * the build is fresh enough to use is decided once, by bin/tandem.js.
 */
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

declare const TANDEM_DIST_DIR: string | undefined;

/** The build's folder when this code is the build; null when it runs from the sources. */
export const DIST_DIR: string | null = typeof TANDEM_DIST_DIR === 'string' ? TANDEM_DIST_DIR : null;

/** The repository root (this file is host/code-location.ts in the sources). */
const ROOT = resolve(import.meta.dirname, '..');

/** The entry points the build makes, by name: their sources and their built files. */
export const ENTRY_POINTS = {
  cli: 'host/cli/main.ts',
  'lab-daemon': 'host/lab/daemon.ts',
  'board-process': 'host/lab/board-process.ts',
  'linux-board': 'boards/linux/main.ts',
  'campaign-worker': 'host/simulator/campaign-worker.ts',
} as const;
export type EntryPoint = keyof typeof ENTRY_POINTS;

/** The built file of an entry point, inside a build folder. */
export function builtFile(distDir: string, entry: EntryPoint): string {
  return join(distDir, `${entry}.mjs`);
}

/** The source file of an entry point. */
export function sourceFile(entry: EntryPoint): string {
  return join(ROOT, ENTRY_POINTS[entry]);
}

/**
 * Arguments for `node` that run an entry point the way this process runs.
 * From the sources, tsx is named by where it is installed: a bare `tsx`
 * would be looked up from the working directory, which is the user's
 * project, not tandem's.
 */
export function nodeArgsFor(entry: EntryPoint): string[] {
  return DIST_DIR !== null
    ? [builtFile(DIST_DIR, entry)]
    : ['--import', import.meta.resolve('tsx'), sourceFile(entry)];
}

/**
 * What `new Worker()` needs to run an entry point the way this thread
 * runs: the built file, or (from the sources) a few lines that register
 * tsx in the new thread first, since a loader registered here does not
 * carry over to it.
 */
export function workerScriptFor(entry: EntryPoint): { script: string | URL; eval: boolean } {
  if (DIST_DIR !== null) return { script: pathToFileURL(builtFile(DIST_DIR, entry)), eval: false };
  return { script: tsxWorkerScript(pathToFileURL(sourceFile(entry)).href), eval: true };
}

/** A worker thread's script (to eval) that registers tsx in the thread, then imports the TypeScript module at `url`. */
export function tsxWorkerScript(url: string): string {
  const tsx = import.meta.resolve('tsx/esm/api');
  return `(async () => { (await import(${JSON.stringify(tsx)})).register(); await import(${JSON.stringify(url)}); })().catch((error) => { process.nextTick(() => { throw error; }); });`;
}

let typeScriptLoader: Promise<void> | null = null;

/**
 * Lets the build import TypeScript at run time (the app registry loads an
 * app's sources to read its versions): tsx is registered on first need, so
 * commands that never do so start without it. From the sources it is there.
 */
export function typeScriptImports(): Promise<void> {
  if (DIST_DIR === null) return Promise.resolve();
  typeScriptLoader ??= import('tsx/esm/api').then(({ register }) => {
    register();
  });
  return typeScriptLoader;
}
