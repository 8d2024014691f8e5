/**
 * The mutation corpus (corpus-tests.ts) from the command line: every seed,
 * then the scripted tests, stopping at the first failure. Exit 0 means
 * every check passed; `npm run mutate` runs the same tests through its own
 * runner (corpus-runner.ts).
 *
 *   node --import tsx test/mutation/corpus.ts [--schedules classic,wide,retained,store-fills]
 */
import {
  missingEvents,
  runScriptedTests,
  runSeedTest,
  SCHEDULES,
  type Schedule,
  type SeedCounts,
  seedTests,
} from './corpus-tests.ts';

const EXIT_PASSED = 0;
const EXIT_VIOLATION = 1;
const EXIT_NOTHING_HAPPENED = 3;
const EXIT_SCRIPTED_FAILED = 4;
const EXIT_USAGE = 64;

/** The schedules `--schedules` names (all by default). */
function schedulesOf(argv: readonly string[]): readonly Schedule[] {
  const at = argv.indexOf('--schedules');
  if (at === -1) return SCHEDULES;
  const names = (argv[at + 1] ?? '').split(',');
  const chosen = SCHEDULES.filter((s) => names.includes(s.name));
  if (chosen.length !== names.length) {
    console.error(
      `--schedules wants a comma-separated list of ${SCHEDULES.map((s) => s.name).join(', ')}; got ${argv[at + 1] ?? 'nothing'}`,
    );
    process.exit(EXIT_USAGE);
  }
  return chosen;
}

function runSeeds(schedules: readonly Schedule[]): number {
  const counts: SeedCounts[] = [];
  for (const test of seedTests(schedules)) {
    const outcome = runSeedTest(test);
    if (!outcome.passed) {
      console.error(outcome.failure);
      return EXIT_VIOLATION;
    }
    counts.push(outcome.counts);
  }
  const total = (kind: keyof SeedCounts) => counts.reduce((sum, count) => sum + count[kind], 0);
  console.log(
    `${schedules.map((s) => `${s.seeds} ${s.name} seeds`).join(' and ')} x 2 models: ${total('takeovers')} takeovers, ` +
      `${total('switches')} switches, ${total('fallbacks')} fallbacks, ${total('acknowledged')} acknowledged`,
  );
  // A pair that never fails over or upgrades passes every safety check vacuously.
  if (missingEvents(counts).length > 0) {
    console.error('the corpus exercised nothing of one kind: the checks above passed vacuously');
    return EXIT_NOTHING_HAPPENED;
  }
  return EXIT_PASSED;
}

const started = performance.now();
let code = runSeeds(schedulesOf(process.argv.slice(2)));
if (code === EXIT_PASSED && !runScriptedTests().passed) code = EXIT_SCRIPTED_FAILED;
console.log(`mutation corpus: exit ${code} after ${Math.round(performance.now() - started)} ms`);
process.exitCode = code;
