/**
 * The test that mutation testing runs once per mutant (`npm run mutate`, see
 * `stryker.config.json`): fixed simulator seeds in both checkpoint models,
 * first of the classic schedule (short and cheap), then of the wide one
 * (stalls, one-way cuts, topologies, crowds, pipelining clients, mismatched
 * partners...), then the scripted pair scenarios and core-level fault tests.
 * Exit 0 means every check passed (the mutant survived); anything else
 * means the checks caught it. It stops at the first failure, so a caught
 * mutant costs little; a surviving one costs the whole run, so the corpus
 * is kept small.
 *
 *   node --import tsx test/mutation/corpus.ts [--schedules classic,wide]
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CheckpointModel } from '../../firmware/app.ts';
import { reproduceLine } from '../../host/cli/reproduce-command.ts';
import { worldOptionsFor } from '../../host/simulator/campaign.ts';
import type { FaultModel } from '../../host/simulator/fault-model.ts';
import { ledgerSimulation } from '../../host/simulator/ledger-simulation.ts';
import { runSeed } from '../../host/simulator/world.ts';

/** Seeds of each schedule, per checkpoint model: enough to see takeovers, switches and fallbacks in each. */
const SCHEDULES: readonly Schedule[] = [
  // As in the CI corpus (`test/helpers/corpus.ts`).
  { faultModel: 'classic', seeds: 40, runMs: 10_000 },
  // Longer: in 10 s of virtual time the wide schedule's seeds reach no fallback.
  { faultModel: 'wide', seeds: 20, runMs: 20_000 },
];

interface Schedule {
  readonly faultModel: FaultModel;
  readonly seeds: number;
  readonly runMs: number;
}
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

/** The schedules `--schedules` names (all by default). */
function schedulesOf(argv: readonly string[]): readonly Schedule[] {
  const at = argv.indexOf('--schedules');
  if (at === -1) return SCHEDULES;
  const names = (argv[at + 1] ?? '').split(',');
  const chosen = SCHEDULES.filter((s) => names.includes(s.faultModel));
  if (chosen.length !== names.length) {
    console.error(
      `--schedules wants a comma-separated list of ${SCHEDULES.map((s) => s.faultModel).join(', ')}; got ${argv[at + 1] ?? 'nothing'}`,
    );
    process.exit(EXIT_USAGE);
  }
  return chosen;
}

/** Runs the seeds, models interleaved so a fault in either model shows up early. */
function runSeeds(schedules: readonly Schedule[]): number {
  const totals = { takeovers: 0, switches: 0, fallbacks: 0, acknowledged: 0 };
  for (const { faultModel, seeds, runMs } of schedules) {
    for (let seed = 1; seed <= seeds; seed++) {
      for (const mode of MODELS) {
        const which = `seed ${seed} (${mode}, ${faultModel})`;
        const reproduce = reproduceLine({ seed, mode, runMs, faultModel });
        let result: ReturnType<typeof runSeed>;
        try {
          result = runSeed(
            worldOptionsFor({ seed, mode, module: ledgerSimulation, runMs, faultModel }),
          );
        } catch (error) {
          console.error(`${which} threw: ${String(error)}\n${reproduce}`);
          return EXIT_THREW;
        }
        const [first] = result.violations;
        if (first !== undefined) {
          console.error(`${which}: ${first.kind}: ${first.detail}\n${reproduce}`);
          return EXIT_VIOLATION;
        }
        for (const key of Object.keys(totals) as (keyof typeof totals)[])
          totals[key] += result[key];
      }
    }
  }
  console.log(
    `${schedules.map((s) => `${s.seeds} ${s.faultModel} seeds`).join(' and ')} x ${MODELS.length} models: ${totals.takeovers} takeovers, ${totals.switches} switches, ` +
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
let code = runSeeds(schedulesOf(process.argv.slice(2)));
if (code === EXIT_PASSED) code = runScripted();
console.log(`mutation corpus: exit ${code} after ${Math.round(performance.now() - started)} ms`);
process.exitCode = code;
