/**
 * An esbuild plugin that declares modules under firmware/ free of import side
 * effects (esbuild's `sideEffects: false`), so a module none of whose exports
 * are used is left out. Without it, `export default ledgerV2()` in v2.ts keeps
 * all of ledger 2.0.0 in the 1.0.0 image, because the entry imports through
 * the ledger's index. Firmware modules only define things (tidy.test.ts keeps
 * them free of clocks, timers and Node), so nothing is lost.
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import type { Plugin } from 'esbuild';

export function firmwarePure(root: string): Plugin {
  const firmware = join(root, 'firmware') + sep;
  return {
    name: 'tandem-firmware-pure',
    setup(build) {
      build.onResolve({ filter: /^\.\.?\// }, (args) => {
        const path = resolve(args.resolveDir, args.path);
        if (!path.startsWith(firmware) || !existsSync(path) || !statSync(path).isFile()) {
          return undefined; // esbuild resolves it as usual
        }
        return { path, sideEffects: false };
      });
    },
  };
}
