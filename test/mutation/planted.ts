/**
 * Plants each bug of planted-bugs.ts in a copy of the project and runs the
 * mutation corpus there (corpus.ts: every seed, then the scripted tests,
 * stopping at the first failure), and prints which caught it and how. A
 * bug the corpus passes is a class of bug the checks cannot see.
 *
 *   node --import tsx test/mutation/planted.ts [--only TEXT] [--schedules classic,wide,...]
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { PLANTED_BUGS, type PlantedBug, plant } from './planted-bugs.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
/** Left out of the copy: dependencies are linked, and the rest is output or history. */
const NOT_COPIED = new Set([
  'node_modules',
  '.git',
  '.tandem',
  'reports',
  'dist',
  '.stryker-tmp',
  'test-results',
]);
/** corpus.ts's exit codes, in words. */
const OUTCOMES: Readonly<Record<number, string>> = {
  0: 'NOT CAUGHT',
  1: 'caught by a seed',
  3: 'caught: the corpus saw nothing happen',
  4: 'caught by the scripted tests',
};
const TIME_LIMIT_MS = 20 * 60_000;
const EXIT_USAGE = 64;

interface Outcome {
  readonly bug: PlantedBug;
  readonly caught: boolean;
  readonly how: string;
  /** The corpus's first failure line (the seed and the check), if a seed caught it. */
  readonly detail: string;
  readonly seconds: number;
}

function runPlanted(bug: PlantedBug, corpusArguments: readonly string[]): Outcome {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-planted-'));
  try {
    cpSync(ROOT, dir, {
      recursive: true,
      filter: (source) => !NOT_COPIED.has(relative(ROOT, source).split('/')[0] ?? ''),
    });
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    const file = join(dir, bug.file);
    writeFileSync(file, plant(bug, readFileSync(file, 'utf8')));
    const started = performance.now();
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'test/mutation/corpus.ts', ...corpusArguments],
      { cwd: dir, encoding: 'utf8', timeout: TIME_LIMIT_MS, maxBuffer: 64 * 1024 * 1024 },
    );
    const seconds = (performance.now() - started) / 1000;
    const code = run.status ?? -1;
    const how =
      run.status === null ? `stopped after ${TIME_LIMIT_MS / 60_000} min` : OUTCOMES[code];
    const detail =
      code === 1
        ? ((run.stderr ?? '').split('\n').find((line) => line.startsWith('seed ')) ?? '')
        : '';
    return { bug, caught: code !== 0, how: how ?? `exit ${code}`, detail, seconds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function main(argv: readonly string[]): number {
  const onlyAt = argv.indexOf('--only');
  const only = onlyAt >= 0 ? argv[onlyAt + 1] : undefined;
  if (onlyAt >= 0 && only === undefined) {
    console.error('--only wants a piece of a bug name');
    return EXIT_USAGE;
  }
  const schedulesAt = argv.indexOf('--schedules');
  const corpusArguments = schedulesAt >= 0 ? argv.slice(schedulesAt, schedulesAt + 2) : [];
  const bugs = PLANTED_BUGS.filter((bug) => only === undefined || bug.name.includes(only));
  if (bugs.length === 0) {
    console.error(`no planted bug's name contains "${only}"`);
    return EXIT_USAGE;
  }
  // Every bug's code must still be there before any runs.
  for (const bug of bugs) plant(bug, readFileSync(join(ROOT, bug.file), 'utf8'));
  let missed = 0;
  for (const bug of bugs) {
    const outcome = runPlanted(bug, corpusArguments);
    if (!outcome.caught) missed++;
    console.log(
      `${outcome.caught ? 'caught' : 'MISSED'}  ${bug.name} (${bug.file}): ${outcome.how}, ${outcome.seconds.toFixed(0)} s${outcome.detail === '' ? '' : `\n        ${outcome.detail}`}`,
    );
  }
  console.log(`${bugs.length - missed} of ${bugs.length} planted bugs caught`);
  return missed === 0 ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
