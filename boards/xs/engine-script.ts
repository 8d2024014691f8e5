/**
 * Scripts for the xsnap worker, bundled the way images are: engine-neutral,
 * no Node built-ins, once per process each. The engine side of an XS board
 * (engine/engine-main.ts) is one; on a Moddable board the same sources would
 * be compiled into the firmware next to the boot ROM.
 */
import { buildSync } from 'esbuild';

const scripts = new Map<string, string>();

/** The module at `entry` and what it imports, as one script. */
export function workerScript(entry: URL): string {
  const path = entry.pathname;
  let script = scripts.get(path);
  if (script === undefined) {
    const result = buildSync({
      entryPoints: [path],
      bundle: true,
      write: false,
      platform: 'neutral',
      format: 'iife',
      target: 'es2022',
      minify: true,
      legalComments: 'none',
      logLevel: 'silent',
    });
    const file = result.outputFiles[0];
    if (file === undefined) throw new Error(`esbuild produced no script for ${path}`);
    script = file.text;
    scripts.set(path, script);
  }
  return script;
}

/** The engine side of an XS board. */
export function engineScript(): string {
  return workerScript(new URL('engine/engine-main.ts', import.meta.url));
}
