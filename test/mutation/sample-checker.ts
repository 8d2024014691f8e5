/**
 * A Stryker checker that keeps a run to a sample of the mutants
 * (sample-plan.ts): a mutant outside the sample is reported as a compile
 * error saying so, which Stryker leaves out of the score and never tests.
 * Checkers run before Stryker sorts out the mutants no test reaches, so the
 * score it prints is the sample's.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import { type Checker, type CheckResult, CheckStatus } from '@stryker-mutator/api/check';
import type { Mutant } from '@stryker-mutator/api/core';
import { declareClassPlugin, PluginKind } from '@stryker-mutator/api/plugin';
import { mutantPlace, OUTSIDE_SAMPLE, SAMPLE_FILE_VARIABLE } from './sample-plan.ts';

interface SampleFile {
  /** The project's root, which the places' file names are relative to. */
  readonly root: string;
  readonly places: readonly string[];
}

export class SampleChecker implements Checker {
  #root = '';
  #places = new Set<string>();

  async init(): Promise<void> {
    const file = process.env[SAMPLE_FILE_VARIABLE];
    if (file === undefined || file === '')
      throw new Error(
        `the tandem-sample checker needs ${SAMPLE_FILE_VARIABLE}: run it through \`shards.ts sample\``,
      );
    const sample = JSON.parse(readFileSync(file, 'utf8')) as SampleFile;
    this.#root = sample.root;
    this.#places = new Set(sample.places);
  }

  async check(mutants: Mutant[]): Promise<Record<string, CheckResult>> {
    const results: Record<string, CheckResult> = {};
    for (const mutant of mutants) {
      const fileName = isAbsolute(mutant.fileName)
        ? relative(this.#root, mutant.fileName)
        : mutant.fileName;
      const place = mutantPlace({ ...mutant, fileName });
      results[mutant.id] = this.#places.has(place)
        ? { status: CheckStatus.Passed }
        : { status: CheckStatus.CompileError, reason: OUTSIDE_SAMPLE };
    }
    return results;
  }
}

export const strykerPlugins = [
  declareClassPlugin(PluginKind.Checker, 'tandem-sample', SampleChecker),
];
