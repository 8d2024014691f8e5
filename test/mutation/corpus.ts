/**
 * The test that mutation testing runs once per mutant (`npm run mutate`, see
 * `stryker.config.json`): a fixed set of simulator seeds in both checkpoint
 * models, then the scripted pair scenarios and core-level fault tests. Exit 0
 * means every check passed (the mutant survived); anything else means the
 * checks caught it. It stops at the first failure, so a caught mutant costs
 * little; a surviving one costs the whole run, so the corpus is kept small.
 *
 *   node --import tsx test/mutation/corpus.ts [--seeds N]
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CheckpointModel } from '../../firmware/app.ts';
import { reproduceLine } from '../../host/cli/reproduce-command.ts';
import { worldOptionsFor } from '../../host/simulator/campaign.ts';
import { ledgerSimulation } from '../../host/simulator/ledger-simulation.ts';
import { runSeed } from '../../host/simulator/world.ts';

/** Seeds per checkpoint model: enough to see takeovers, switches and fallbacks in each. */
const SEEDS_PER_MODEL = 40;
/** Virtual time per seed, as in the CI corpus (`test/helpers/corpus.ts`). */
const RUN_MS = 10_000;
const MODELS: readonly CheckpointModel[] = ['state', 'replay'];
/** Scripted scenarios and fault tests fast enough to run for every mutant. */
const SCRIPTED_TESTS = ['test/core-faults.test.ts', 'test/pair-scenarios.test.ts'];

/** Exit codes: what the mutation tool reads as survived (0) or caught (anything else). */
const EXIT_PASSED = 0;
const EXIT_VIOLATION = 1;
const EXIT_THREW = 2;
const EXIT_NOTHING_HAPPENED = 3;
const EXIT_SCRIPTED_FAILED = 4;
const EXIT_USAGE = 64;

function seedsPerModel(argv: readonly string[]): number {
  const at = argv.indexOf('--seeds');
  if (at === -1) return SEEDS_PER_MODEL;
  const value = Number(argv[at + 1]);
  if (!Number.isSafeInteger(value) || value < 1) {
    console.error(`--seeds wants a positive integer, got ${argv[at + 1] ?? 'nothing'}`);
    process.exit(EXIT_USAGE);
  }
  return value;
}

/** Runs the seeds, models interleaved so a fault in either model shows up early. */
function runSeeds(seeds: number): number {
  const totals = { takeovers: 0, switches: 0, fallbacks: 0, acknowledged: 0 };
  for (let seed = 1; seed <= seeds; seed++) {
    for (const mode of MODELS) {
      const reproduce = reproduceLine({ seed, mode, runMs: RUN_MS });
      let result: ReturnType<typeof runSeed>;
      try {
        // The first, narrower schedule: the wide one still finds liveness gaps
        // (rejoins of big states, one-way cuts of a single path) that would fail
        // the unmutated corpus; the core-level fault tests below cover stalls,
        // one-way cuts, sessions and the handover.
        result = runSeed(
          worldOptionsFor({
            seed,
            mode,
            module: ledgerSimulation,
            runMs: RUN_MS,
            faultModel: 'classic',
          }),
        );
      } catch (error) {
        console.error(`seed ${seed} (${mode}) threw: ${String(error)}\n${reproduce}`);
        return EXIT_THREW;
      }
      const [first] = result.violations;
      if (first !== undefined) {
        console.error(`seed ${seed} (${mode}): ${first.kind}: ${first.detail}\n${reproduce}`);
        return EXIT_VIOLATION;
      }
      for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += result[key];
    }
  }
  console.log(
    `${seeds} seeds x ${MODELS.length} models: ${totals.takeovers} takeovers, ${totals.switches} switches, ` +
      `${totals.fallbacks} fallbacks, ${totals.acknowledged} acknowledged`,
  );
  // A pair that never fails over or upgrades passes every safety check vacuously.
  if (Object.values(totals).some((count) => count === 0)) {
    console.error('the corpus exercised nothing of one kind: the checks above passed vacuously');
    return EXIT_NOTHING_HAPPENED;
  }
  return EXIT_PASSED;
}

/** The scripted tests run under ava, which inherits the environment (and with it the active mutant). */
function runScripted(): number {
  // ava's package exports no path to its command line; its bin entry is stable.
  const ava = fileURLToPath(new URL('../../node_modules/ava/entrypoints/cli.mjs', import.meta.url));
  const run = spawnSync(process.execPath, [ava, '--fail-fast', ...SCRIPTED_TESTS], {
    stdio: 'inherit',
  });
  return run.status === 0 ? EXIT_PASSED : EXIT_SCRIPTED_FAILED;
}

const started = performance.now();
let code = runSeeds(seedsPerModel(process.argv.slice(2)));
if (code === EXIT_PASSED) code = runScripted();
console.log(`mutation corpus: exit ${code} after ${Math.round(performance.now() - started)} ms`);
process.exitCode = code;
