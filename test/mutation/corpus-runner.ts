/**
 * StrykerJS test runner for the mutation corpus (corpus-tests.ts): each
 * seed is one test, so the tool learns in the dry run which seeds reach
 * which mutant (`coverageAnalysis: perTest`), reports a mutant no seed
 * reaches as not covered instead of running the whole corpus to call it a
 * survivor, and runs each mutant against only the seeds that reach it. A
 * mutant's seeds run in a worker thread of its own (corpus-worker.ts),
 * on freshly loaded modules, in a fraction of a process start. The
 * scripted ava tests run last, in a process of their own; in the dry run
 * their workers write what they reached (coverage-dump.ts).
 *
 * Stryker loads this file from the project, but runs it with its working
 * directory in the sandbox, where the instrumented sources are: the corpus
 * is imported from there, never through a static import of this file.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { MutantCoverage } from '@stryker-mutator/api/core';
import { declareClassPlugin, PluginKind } from '@stryker-mutator/api/plugin';
import {
  type DryRunOptions,
  type DryRunResult,
  DryRunStatus,
  type MutantRunOptions,
  type MutantRunResult,
  MutantRunStatus,
  type TestResult,
  type TestRunner,
  type TestRunnerCapabilities,
  TestStatus,
} from '@stryker-mutator/api/test-runner';
import { tsxWorkerScript } from '../../host/code-location.ts';
import type * as CorpusTests from './corpus-tests.ts';
import { strykerNamespace } from './stryker-namespace.ts';

/** Where the dry run leaves each seed's counts for the workers that run mutants. */
const DRY_RUN_COUNTS_FILE = '.corpus-dry-run-counts.json';
/** The environment variable coverage-dump.ts reads. */
const COVERAGE_DIR_VARIABLE = 'TANDEM_MUTANT_COVERAGE_DIR';

class CorpusTestRunner implements TestRunner {
  #corpus: typeof CorpusTests | undefined;
  #dryRunCounts: Record<string, CorpusTests.SeedCounts> | undefined;

  capabilities(): TestRunnerCapabilities {
    // Every mutant run loads the corpus afresh in a worker thread of its own.
    return { reloadEnvironment: true };
  }

  /** The sandbox's corpus, for the dry run and the scripted tests (mutants run in corpus-worker.ts). */
  async #load(): Promise<typeof CorpusTests> {
    this.#corpus ??= (await import(
      pathToFileURL(join(process.cwd(), 'test/mutation/corpus-tests.ts')).href
    )) as typeof CorpusTests;
    return this.#corpus;
  }

  async dryRun(options: DryRunOptions): Promise<DryRunResult> {
    const corpus = await this.#load();
    const ns = strykerNamespace();
    const tests: TestResult[] = [];
    const counts: Record<string, CorpusTests.SeedCounts> = {};
    for (const test of corpus.seedTests()) {
      ns.currentTestId = test.id;
      const started = performance.now();
      const outcome = corpus.runSeedTest(test);
      const timeSpentMs = performance.now() - started;
      if (!outcome.passed) {
        return { status: DryRunStatus.Error, errorMessage: outcome.failure };
      }
      counts[test.id] = outcome.counts;
      tests.push({ id: test.id, name: test.id, timeSpentMs, status: TestStatus.Success });
    }
    ns.currentTestId = undefined;
    const missing = corpus.missingEvents(Object.values(counts));
    if (missing.length > 0) {
      return {
        status: DryRunStatus.Error,
        errorMessage: `the corpus saw no ${missing.join(', ')}: its checks would pass vacuously`,
      };
    }
    writeFileSync(DRY_RUN_COUNTS_FILE, JSON.stringify(counts));
    this.#dryRunCounts = counts;

    const scripted = this.#dryRunScripted(corpus, options.coverageAnalysis !== 'off');
    if (!scripted.passed) return { status: DryRunStatus.Error, errorMessage: scripted.output };
    tests.push({
      id: corpus.SCRIPTED_TEST_ID,
      name: corpus.SCRIPTED_TEST_FILES.join(', '),
      timeSpentMs: scripted.timeSpentMs,
      status: TestStatus.Success,
    });
    const mutantCoverage = ns.mutantCoverage ?? { static: {}, perTest: {} };
    mutantCoverage.perTest[corpus.SCRIPTED_TEST_ID] = scripted.reached;
    return { status: DryRunStatus.Complete, tests, mutantCoverage };
  }

  /** The scripted tests, unmutated; with `cover`, the mutants their workers reached. */
  #dryRunScripted(
    corpus: typeof CorpusTests,
    cover: boolean,
  ): { passed: boolean; output: string; timeSpentMs: number; reached: Record<string, number> } {
    const dir = mkdtempSync(join(tmpdir(), 'tandem-mutant-coverage-'));
    try {
      const started = performance.now();
      const dump = join(process.cwd(), 'test/mutation/coverage-dump.ts');
      const run = corpus.runScriptedTests(
        { ...process.env, [COVERAGE_DIR_VARIABLE]: dir },
        cover ? [`--import=${dump}`] : [],
        'pipe',
      );
      const timeSpentMs = performance.now() - started;
      const reached: Record<string, number> = {};
      for (const file of readdirSync(dir)) {
        const coverage = JSON.parse(readFileSync(join(dir, file), 'utf8')) as MutantCoverage;
        for (const hits of [coverage.static, ...Object.values(coverage.perTest)]) {
          for (const [id, count] of Object.entries(hits)) reached[id] = (reached[id] ?? 0) + count;
        }
      }
      return { ...run, timeSpentMs, reached };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  async mutantRun(options: MutantRunOptions): Promise<MutantRunResult> {
    const corpus = await this.#load();
    const mutant = options.activeMutant.id;
    const testIds = options.testFilter ?? null;
    const seeds = await this.#runSeeds({
      activeMutant: mutant,
      hitLimit: options.hitLimit,
      testIds,
      unmutatedCounts: this.#unmutatedCounts(),
    });
    switch (seeds.kind) {
      case 'hit-limit':
        return {
          status: MutantRunStatus.Timeout,
          reason: `hit limit reached (${seeds.hitCount}/${options.hitLimit})`,
        };
      case 'failed':
        return {
          status: MutantRunStatus.Killed,
          killedBy: seeds.testIds,
          failureMessage: seeds.failure,
          nrOfTests: seeds.ran,
        };
      case 'passed':
        break;
    }
    if (testIds !== null && !testIds.includes(corpus.SCRIPTED_TEST_ID)) {
      return { status: MutantRunStatus.Survived, nrOfTests: seeds.ran };
    }
    const scripted = corpus.runScriptedTests(
      { ...process.env, __STRYKER_ACTIVE_MUTANT__: mutant },
      [],
      'pipe',
    );
    if (!scripted.passed) {
      return {
        status: MutantRunStatus.Killed,
        killedBy: [corpus.SCRIPTED_TEST_ID],
        failureMessage: scripted.output.slice(-2000),
        nrOfTests: seeds.ran + 1,
      };
    }
    return { status: MutantRunStatus.Survived, nrOfTests: seeds.ran + 1 };
  }

  /** Runs the seeds in a new worker thread (corpus-worker.ts), the sandbox's, through tsx. */
  #runSeeds(request: SeedRunRequest): Promise<SeedRunAnswer> {
    const entry = pathToFileURL(join(process.cwd(), 'test/mutation/corpus-worker.ts')).href;
    const worker = new Worker(tsxWorkerScript(entry), { eval: true, workerData: request });
    return new Promise<SeedRunAnswer>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) =>
        reject(new Error(`the corpus worker exited (code ${code}) without an answer`)),
      );
    }).finally(() => worker.terminate());
  }

  #unmutatedCounts(): Record<string, CorpusTests.SeedCounts> {
    this.#dryRunCounts ??= JSON.parse(readFileSync(DRY_RUN_COUNTS_FILE, 'utf8')) as Record<
      string,
      CorpusTests.SeedCounts
    >;
    return this.#dryRunCounts;
  }
}

/** What the runner asks of a corpus worker. */
export interface SeedRunRequest {
  readonly activeMutant: string;
  readonly hitLimit: number | undefined;
  /** The seeds to run (those that reach the mutant), or null for all. */
  readonly testIds: readonly string[] | null;
  /** Each seed's counts on the unmutated code, from the dry run. */
  readonly unmutatedCounts: Readonly<Record<string, CorpusTests.SeedCounts>>;
}

export type SeedRunAnswer =
  | { readonly kind: 'passed'; readonly ran: number }
  | {
      readonly kind: 'failed';
      readonly ran: number;
      readonly testIds: string[];
      readonly failure: string;
    }
  | { readonly kind: 'hit-limit'; readonly ran: number; readonly hitCount: number };

export const strykerPlugins = [
  declareClassPlugin(PluginKind.TestRunner, 'tandem-corpus', CorpusTestRunner),
];
