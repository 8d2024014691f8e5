/**
 * Builds tandem's entry points (host/code-location.ts lists them) into
 * dist/ as JavaScript, so a command starts without compiling TypeScript
 * first. `npm install` runs it (the `prepare` script); `npm run build` runs
 * it again. bin/tandem.js runs the build only while it is fresh: it reads
 * dist/build-stamp.json, written last, which names the folder the build
 * was made from, when it started, and every source file it read; a source
 * changed (or gone) since then, or a moved folder, sends tandem back to the
 * sources through tsx.
 *
 * Each bundle keeps packages outside (node_modules is beside dist/), and
 * every bundled module keeps its own `import.meta` (url, dirname,
 * filename): the files tandem reads at run time relative to its sources
 * (the image sandbox's scripts, board and rig profiles, the repository
 * root that images are built from) are found where they are.
 *
 * Packages that only some commands use (the HIL rig's johnny-five and
 * firmata-io, real serial ports, esbuild) are loaded when first used, not
 * at start-up: `tandem --version` or `tandem status` never needs them, and
 * loading them costs more than the rest of start-up together.
 *
 *   node --import tsx scripts/build-dist.ts [--outdir DIR]
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build, type Plugin } from 'esbuild';
import { builtFile, ENTRY_POINTS, type EntryPoint, sourceFile } from '../host/code-location.ts';

const ROOT = resolve(import.meta.dirname, '..');
export const STAMP_FILE = 'build-stamp.json';

/** What bin/tandem.js reads to decide whether the build is fresh. */
export interface BuildStamp {
  /** The folder the sources were in. */
  readonly root: string;
  /** When the build began: a source modified after this is newer than the build. */
  readonly builtAtMs: number;
  /** Every source the bundles read, relative to root. */
  readonly inputs: readonly string[];
}

/** Gives each module its own import.meta.url, dirname and filename (the entry keeps its own). */
function sourceLocations(entry: string): Plugin {
  return {
    name: 'source-locations',
    setup(esbuild) {
      esbuild.onLoad({ filter: /\.ts$/ }, (args) => {
        const text = readFileSync(args.path, 'utf8');
        if (args.path === entry || !text.includes('import.meta')) return undefined;
        const contents = text
          .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href))
          .replaceAll('import.meta.dirname', JSON.stringify(dirname(args.path)))
          .replaceAll('import.meta.filename', JSON.stringify(args.path));
        return { contents, loader: 'ts' };
      });
    },
  };
}

/**
 * Packages a bundle loads on first use, with the named exports tandem
 * imports from them (a name missing here fails the build, loudly). All are
 * CommonJS, so a synchronous require() on first use loads them.
 */
const LOADED_ON_FIRST_USE: Readonly<Record<string, readonly string[]>> = {
  'johnny-five': [],
  'firmata-io': [],
  '@serialport/bindings-cpp': ['autoDetect'],
  esbuild: ['build', 'buildSync', 'transform'],
  acorn: ['parse'],
};

/** Stands in for a package: its default export and named functions load it when first touched. */
function loadedOnFirstUse(): Plugin {
  const namespace = 'loaded-on-first-use';
  return {
    name: namespace,
    setup(esbuild) {
      const names = Object.keys(LOADED_ON_FIRST_USE).map((n) => n.replace(/[/-]/g, '\\$&'));
      esbuild.onResolve({ filter: new RegExp(`^(${names.join('|')})$`) }, (args) =>
        args.namespace === namespace ? undefined : { path: args.path, namespace },
      );
      esbuild.onLoad({ filter: /.*/, namespace }, (args) => {
        const named = LOADED_ON_FIRST_USE[args.path] ?? [];
        const contents = [
          `import { createRequire } from 'node:module';`,
          `const require = createRequire(${JSON.stringify(pathToFileURL(join(ROOT, 'package.json')).href)});`,
          `let loaded;`,
          `const load = () => (loaded ??= require(${JSON.stringify(args.path)}));`,
          `export default new Proxy(function () {}, {`,
          `  get: (_, key) => load()[key],`,
          `  has: (_, key) => key in load(),`,
          `  apply: (_, self, args) => Reflect.apply(load(), self, args),`,
          `  construct: (_, args) => Reflect.construct(load(), args),`,
          `});`,
          ...named.map((name) => `export const ${name} = (...args) => load().${name}(...args);`),
        ].join('\n');
        return { contents, loader: 'js', resolveDir: ROOT };
      });
    },
  };
}

export async function buildDist(outDir: string): Promise<BuildStamp> {
  const builtAtMs = Date.now();
  // A stale stamp must never describe new bundles: remove it first, write it last.
  rmSync(join(outDir, STAMP_FILE), { force: true });
  mkdirSync(outDir, { recursive: true });
  const inputs = new Set(['package.json', 'scripts/build-dist.ts']);
  for (const entry of Object.keys(ENTRY_POINTS) as EntryPoint[]) {
    const source = sourceFile(entry);
    const result = await build({
      entryPoints: [source],
      outfile: builtFile(outDir, entry),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      sourcemap: 'linked',
      metafile: true,
      logLevel: 'warning',
      define: { TANDEM_DIST_DIR: JSON.stringify(outDir) },
      plugins: [loadedOnFirstUse(), sourceLocations(source)],
    });
    for (const input of Object.keys(result.metafile.inputs)) {
      // Files only: packages (node_modules) and the stand-ins of loadedOnFirstUse are not sources.
      if (!input.includes('node_modules/') && !input.includes(':'))
        inputs.add(relative(ROOT, resolve(input)));
    }
  }
  const stamp: BuildStamp = { root: ROOT, builtAtMs, inputs: [...inputs].sort() };
  const temporary = join(outDir, `${STAMP_FILE}.tmp`);
  writeFileSync(temporary, `${JSON.stringify(stamp, null, 2)}\n`);
  renameSync(temporary, join(outDir, STAMP_FILE));
  return stamp;
}

if (process.argv[1] === import.meta.filename) {
  const { values } = parseArgs({ options: { outdir: { type: 'string' } } });
  const outDir = resolve(values.outdir ?? join(ROOT, 'dist'));
  const stamp = await buildDist(outDir);
  process.stdout.write(
    `tandem: built ${Object.keys(ENTRY_POINTS).length} entry points from ${stamp.inputs.length} sources into ${relative(process.cwd(), outDir) || '.'}\n`,
  );
}
