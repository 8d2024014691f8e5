/**
 * Imported into the scripted tests' ava workers during the mutation tool's
 * dry run (corpus-runner.ts): when the worker exits, it writes the mutants
 * its tests reached (the instrumented code's count in `__stryker__`) to a
 * file in the directory TANDEM_MUTANT_COVERAGE_DIR names.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.TANDEM_MUTANT_COVERAGE_DIR;
if (dir !== undefined) {
  process.on('exit', () => {
    const coverage = (globalThis as { __stryker__?: { mutantCoverage?: unknown } }).__stryker__
      ?.mutantCoverage;
    if (coverage !== undefined)
      writeFileSync(join(dir, `${process.pid}.json`), JSON.stringify(coverage));
  });
}
