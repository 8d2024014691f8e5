/**
 * `npm run build:xs`: builds the XS engine into the per-machine cache (once;
 * later runs print the cached path). Exit 0 built or cached, 69 it could not
 * be built here (the XS tests then skip, saying why).
 */
import { buildXsnap } from './xsnap-cache.js';

const EXIT_UNAVAILABLE = 69;

const startedMs = performance.now();
try {
  const path = buildXsnap((line) => console.log(`build:xs: ${line}`));
  console.log(`build:xs: ${path} (${((performance.now() - startedMs) / 1000).toFixed(0)} s)`);
} catch (error) {
  if (error instanceof Error && 'xsBuildError' in error && 'hint' in error) {
    console.error(`build:xs: ${error.message}\n  hint: ${String(error.hint)}`);
    process.exitCode = EXIT_UNAVAILABLE;
  } else {
    throw error;
  }
}
