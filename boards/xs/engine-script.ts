/**
 * The engine side (engine/engine-main.ts) as one script for the xsnap
 * worker, bundled once per process the way images are: engine-neutral,
 * no Node built-ins. On a Moddable board the same sources would be compiled
 * into the firmware next to the boot ROM.
 */
import { buildSync } from 'esbuild';

let script: string | null = null;

export function engineScript(): string {
  if (script === null) {
    const result = buildSync({
      entryPoints: [new URL('engine/engine-main.ts', import.meta.url).pathname],
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
    if (file === undefined) throw new Error('esbuild produced no engine script');
    script = file.text;
  }
  return script;
}
