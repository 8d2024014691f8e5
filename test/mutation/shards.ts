/**
 * The full mutation run in shards: `npm run mutate` over every file takes
 * many hours, longer than a working session on a shared machine. A shard
 * is one `stryker run` over a slice of the mutants (whole files, or a range
 * of lines of a big file cut where no mutant spans the cut), with its
 * report kept under reports/mutation/shards/. `merge` adds the shards' reports up
 * once every shard has run on the current sources, and refuses a shard
 * whose files have changed since (their reports hold the source they
 * mutated).
 *
 *   node --import tsx test/mutation/shards.ts plan N
 *   node --import tsx test/mutation/shards.ts run K/N [-- stryker options]
 *   node --import tsx test/mutation/shards.ts merge N
 *
 * Or a uniform random sample of the whole run's mutants (sample-plan.ts),
 * its score and that score's 95% interval, its report under
 * reports/mutation/samples/:
 *
 *   node --import tsx test/mutation/shards.ts sample SIZE [--seed S] [-- stryker options]
 *
 * And the mutants a kept sample report did not catch (`--all`: all of
 * them), again on today's sources and corpus, or with other tests (which of
 * them the checks added since, or the unit tests, catch):
 *
 *   node --import tsx test/mutation/shards.ts retest REPORT [--all] [-- stryker options]
 */
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Mutant } from '@stryker-mutator/api/core';
import {
  drawSample,
  mutantPlace,
  OUTSIDE_SAMPLE,
  SAMPLE_FILE_VARIABLE,
  spanPattern,
  wilsonInterval,
} from './sample-plan.ts';
import { linesOf, mutantsOf, pattern, planShards, type Slice } from './shard-plan.ts';

const CONFIG_FILE = 'stryker.config.json';
const SHARD_DIR = 'reports/mutation/shards';
const SAMPLE_DIR = 'reports/mutation/samples';
const SAMPLE_PLUGINS = ['./test/mutation/corpus-runner.ts', './test/mutation/sample-checker.ts'];
const EXIT_USAGE = 64;
const EXIT_INCOMPLETE = 3;

interface Config {
  readonly mutate: readonly string[];
  readonly jsonReporter: { readonly fileName: string };
}

const STRYKER = join('node_modules', '@stryker-mutator', 'core', 'bin', 'stryker.js');

/** `stryker run` with these arguments (and `env` added to ours); its exit status. */
function runStryker(args: readonly string[], env: Record<string, string> = {}): number {
  const run = spawnSync(process.execPath, ['--import', 'tsx', STRYKER, 'run', ...args], {
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
  return run.status ?? 1;
}

function config(): Config {
  return JSON.parse(readFileSync(CONFIG_FILE, 'utf8')) as Config;
}

/** The files the configuration's `mutate` globs (`dir/**\/*.ts`) name, sorted. */
function mutatedFiles(globs: readonly string[]): string[] {
  const files = globs.flatMap((glob) => {
    const match = /^(.*)\/\*\*\/\*(\.\w+)$/.exec(glob);
    if (match === null)
      throw new Error(`${CONFIG_FILE}: mutate pattern ${glob} is not dir/**/*.ext`);
    const [, dir = '', extension = ''] = match;
    return (readdirSync(dir, { recursive: true }) as string[])
      .filter((name) => name.endsWith(extension))
      .map((name) => `${dir}/${name}`);
  });
  return files.sort();
}

function shardReport(index: number, count: number): string {
  return join(SHARD_DIR, `${index}-of-${count}.json`);
}

/** `K/N` with 1 ≤ K ≤ N, or a usage error. */
function parseShard(text: string | undefined): { index: number; count: number } {
  const match = /^(\d+)\/(\d+)$/.exec(text ?? '');
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (match === null || index < 1 || index > count)
    usage(`want a shard as K/N (1 ≤ K ≤ N), got ${text ?? 'nothing'}`);
  return { index, count };
}

function parseCount(text: string | undefined, what = 'shards'): number {
  const count = Number(text);
  if (!Number.isInteger(count) || count < 1)
    usage(`want a number of ${what}, got ${text ?? 'nothing'}`);
  return count;
}

function parseSeed(text: string | undefined): number {
  const seed = Number(text);
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32)
    usage(`want a seed from 0 to 2^32 - 1, got ${text ?? 'nothing'}`);
  return seed;
}

function usage(problem: string): never {
  console.error(
    `${problem}\nusage: shards.ts plan N | run K/N [-- stryker options] | merge N | sample SIZE [--seed S] [-- stryker options] | retest REPORT [--all] [-- stryker options]`,
  );
  process.exit(EXIT_USAGE);
}

async function plan(count: number): Promise<Slice[][]> {
  const files = mutatedFiles(config().mutate);
  return planShards(await mutantsOf(files), count, linesOf);
}

function describe(shards: readonly Slice[][]): string {
  return shards
    .map(
      (shard, at) =>
        `shard ${at + 1}/${shards.length}: ${shard.reduce((sum, slice) => sum + slice.mutants, 0)} mutants: ${shard.map(pattern).join(' ')}`,
    )
    .join('\n');
}

interface Position {
  readonly line: number;
  readonly column: number;
}
interface ReportMutant {
  readonly id: string;
  readonly mutatorName: string;
  readonly replacement?: string;
  readonly status: string;
  readonly statusReason?: string;
  readonly location: { readonly start: Position; readonly end: Position };
}
interface Report {
  readonly files: Record<
    string,
    { readonly source: string; readonly mutants: readonly ReportMutant[] }
  >;
}

/** A report's mutant's place (the report counts lines and columns from 1). */
function reportPlace(file: string, mutant: ReportMutant): string {
  const from0 = ({ line, column }: Position) => ({ line: line - 1, column: column - 1 });
  const { start, end } = mutant.location;
  return mutantPlace({
    ...mutant,
    fileName: file,
    location: { start: from0(start), end: from0(end) },
  });
}

/** Statuses Stryker counts as caught, and as reached but not caught; the rest (no coverage, errors) apart. */
const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);
/** What a retest runs again. */
const RETESTED = new Set([...UNDETECTED, 'Timeout']);

function merge(count: number): number {
  const missing: number[] = [];
  const stale = new Set<string>();
  /** Each mutant's place, to catch one counted by two shards (a plan that changed between shards). */
  const seen = new Set<string>();
  let twice = 0;
  const totals = new Map<string, Map<string, number>>();
  for (let index = 1; index <= count; index++) {
    const path = shardReport(index, count);
    if (!existsSync(path)) {
      missing.push(index);
      continue;
    }
    const report = JSON.parse(readFileSync(path, 'utf8')) as Report;
    for (const [file, result] of Object.entries(report.files)) {
      if (!existsSync(file) || readFileSync(file, 'utf8') !== result.source)
        stale.add(`${file} (shard ${index})`);
      const statuses = totals.get(file) ?? new Map<string, number>();
      for (const mutant of result.mutants) {
        const place = reportPlace(file, mutant);
        if (seen.has(place)) twice++;
        seen.add(place);
        statuses.set(mutant.status, (statuses.get(mutant.status) ?? 0) + 1);
      }
      totals.set(file, statuses);
    }
  }
  const rows = [...totals].sort(([a], [b]) => (a < b ? -1 : 1));
  const all = new Map<string, number>();
  console.log(
    '| file | mutants | killed | timeout | survived | no coverage | errors | score | score of covered |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  const line = (name: string, statuses: Map<string, number>) => {
    const of = (status: string) => statuses.get(status) ?? 0;
    const sum = (set: Set<string>) => [...set].reduce((total, status) => total + of(status), 0);
    const detected = sum(DETECTED);
    const valid = detected + sum(UNDETECTED);
    const covered = valid - of('NoCoverage');
    const total = [...statuses.values()].reduce((a, b) => a + b, 0);
    const percent = (part: number, whole: number) =>
      whole === 0 ? 'n/a' : `${((100 * part) / whole).toFixed(1)}%`;
    console.log(
      `| ${name} | ${total} | ${of('Killed')} | ${of('Timeout')} | ${of('Survived')} | ${of('NoCoverage')} | ${of('RuntimeError') + of('CompileError')} | ${percent(detected, valid)} | ${percent(detected, covered)} |`,
    );
  };
  for (const [file, statuses] of rows) {
    line(file, statuses);
    for (const [status, n] of statuses) all.set(status, (all.get(status) ?? 0) + n);
  }
  line('**all files**', all);
  if (missing.length > 0)
    console.error(
      `not run yet: shard${missing.length > 1 ? 's' : ''} ${missing.map((k) => `${k}/${count}`).join(', ')}`,
    );
  if (stale.size > 0)
    console.error(`sources changed since their shard ran (run it again): ${[...stale].join(', ')}`);
  if (twice > 0)
    console.error(`${twice} mutants are in two shards' reports: run the shards of one plan`);
  return missing.length > 0 || stale.size > 0 || twice > 0 ? EXIT_INCOMPLETE : 0;
}

/**
 * Runs Stryker on a sample of `size` of the mutants the full run makes,
 * drawn with `seed`, and prints the sample's score with its 95% interval
 * and the mutants that survived.
 */
async function sample(size: number, seed: number, extra: readonly string[]): Promise<number> {
  const mutants = await mutantsOf(mutatedFiles(config().mutate));
  const sampled = drawSample(mutants, size, seed);
  console.log(
    `a sample of ${sampled.length} of the ${mutants.length} mutants, seed ${seed} (again: shards.ts sample ${size} --seed ${seed})`,
  );
  return runOnly(sampled, `${sampled.length}-seed-${seed}`, extra);
}

/**
 * Runs Stryker again on the mutants a kept sample report did not catch
 * (survived, not covered, or timed out: on a loaded machine a timeout is
 * often the machine, not the mutant), on today's sources and corpus, or
 * with other tests given as Stryker options: which of them the checks
 * added since catch. A mutant is found again by what it changes (its
 * file, mutator, replacement and the code it replaces), nearest its old
 * line, so code that moved is followed; one whose code changed is not
 * found, and is said so.
 */
async function retest(reportFile: string, all: boolean, extra: readonly string[]): Promise<number> {
  const report = JSON.parse(readFileSync(reportFile, 'utf8')) as Report;
  const wanted = Object.entries(report.files).flatMap(([file, result]) =>
    result.mutants
      .filter((m) =>
        all ? DETECTED.has(m.status) || RETESTED.has(m.status) : RETESTED.has(m.status),
      )
      .map((m) => ({
        key: changeKey(file, m.mutatorName, m.replacement, spanText(result.source, m.location, 1)),
        line: m.location.start.line - 1,
      })),
  );
  const files = mutatedFiles(config().mutate);
  const sources = new Map(files.map((file) => [file, readFileSync(file, 'utf8')]));
  const candidates = new Map<string, Mutant[]>();
  for (const m of await mutantsOf(files)) {
    const replaced = spanText(sources.get(m.fileName) ?? '', m.location, 0);
    const key = changeKey(m.fileName, m.mutatorName, m.replacement, replaced);
    const same = candidates.get(key);
    if (same === undefined) candidates.set(key, [m]);
    else same.push(m);
  }
  const again: Mutant[] = [];
  for (const { key, line } of wanted) {
    const left = candidates.get(key) ?? [];
    let best = -1;
    for (let at = 0; at < left.length; at++) {
      const distance = Math.abs((left[at] as Mutant).location.start.line - line);
      if (best < 0 || distance < Math.abs((left[best] as Mutant).location.start.line - line))
        best = at;
    }
    if (best >= 0) again.push(...left.splice(best, 1));
  }
  console.log(
    `${again.length} of the ${wanted.length} mutants ${all ? `of ${reportFile}` : `${reportFile} did not catch`}, again on today's sources`,
  );
  if (again.length < wanted.length)
    console.log(`gone since, their code changed: ${wanted.length - again.length}`);
  return runOnly(again, `retest-${again.length}-of-${basename(reportFile, '.json')}`, extra);
}

/** What a mutant changes, wherever it lies in its file. */
function changeKey(
  file: string,
  mutator: string,
  replacement: string | undefined,
  replaced: string,
): string {
  return JSON.stringify([file, mutator, replacement ?? '', replaced]);
}

/** The code a span covers; `base` is where its lines and columns count from (reports 1, Stryker's API 0). */
function spanText(
  source: string,
  { start, end }: { readonly start: Position; readonly end: Position },
  base: 0 | 1,
): string {
  const lines = source.split('\n').slice(start.line - base, end.line - base + 1);
  if (lines.length === 0) return '';
  const last = lines.length - 1;
  lines[last] = (lines[last] as string).slice(0, end.column - base);
  lines[0] = (lines[0] as string).slice(start.column - base);
  return lines.join('\n');
}

/** Runs Stryker on `chosen` only, keeps its report under `name`, and prints their score. */
function runOnly(chosen: readonly Mutant[], name: string, extra: readonly string[]): number {
  const places = chosen.map(mutantPlace);
  mkdirSync(SAMPLE_DIR, { recursive: true });
  const placesFile = resolve(SAMPLE_DIR, `${name}.places.json`);
  writeFileSync(placesFile, JSON.stringify({ root: process.cwd(), places }));
  // Only the mutants inside the chosen ones' spans are compiled in (about 1,200 for 300):
  // with all 5,600 the dry run alone took over 5 minutes. The checker keeps those nested in
  // a chosen block out of the run.
  const spans = new Set(chosen.map(spanPattern));
  const status = runStryker(
    [
      '--mutate',
      [...spans].join(','),
      '--checkers',
      'tandem-sample',
      '--plugins',
      SAMPLE_PLUGINS.join(','),
      ...extra,
    ],
    { [SAMPLE_FILE_VARIABLE]: placesFile },
  );
  if (status !== 0) return status;
  const kept = join(SAMPLE_DIR, `${name}.json`);
  copyFileSync(config().jsonReporter.fileName, kept);
  return sampleScore(JSON.parse(readFileSync(kept, 'utf8')) as Report, new Set(places), kept);
}

function sampleScore(report: Report, places: ReadonlySet<string>, kept: string): number {
  const statuses = new Map<string, number>();
  const survivors: string[] = [];
  let tested = 0;
  for (const [file, result] of Object.entries(report.files)) {
    for (const mutant of result.mutants) {
      if (!places.has(reportPlace(file, mutant))) continue;
      tested++;
      statuses.set(mutant.status, (statuses.get(mutant.status) ?? 0) + 1);
      if (UNDETECTED.has(mutant.status))
        survivors.push(
          `${file}:${mutant.location.start.line} ${mutant.mutatorName} ${mutant.status}: ${mutant.replacement ?? ''}`.replace(
            /\s+/g,
            ' ',
          ),
        );
    }
  }
  const of = (status: string) => statuses.get(status) ?? 0;
  const detected = of('Killed') + of('Timeout');
  const valid = detected + of('Survived') + of('NoCoverage');
  const { low, high } = wilsonInterval(detected, valid);
  const percent = (x: number) => `${(100 * x).toFixed(1)}%`;
  console.log(`\nsample report: ${kept}`);
  console.log(
    `sample of ${tested}: ${of('Killed')} killed, ${of('Timeout')} timed out, ${of('Survived')} survived, ${of('NoCoverage')} not covered, ${tested - valid} errors`,
  );
  console.log(
    `score ${percent(valid === 0 ? 0 : detected / valid)} of ${valid}; the whole run's score lies in ${percent(low)} to ${percent(high)} (95%)`,
  );
  for (const line of survivors.sort()) console.log(`  survived: ${line}`);
  const outside = Object.values(report.files)
    .flatMap((result) => result.mutants)
    .filter((m) => m.statusReason === OUTSIDE_SAMPLE).length;
  if (tested !== places.size) {
    console.error(
      `the report holds ${tested} of the ${places.size} sampled mutants (and ${outside} outside the sample): the sources changed while it ran?`,
    );
    return EXIT_INCOMPLETE;
  }
  return 0;
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, argument, ...rest] = argv;
  switch (command) {
    case 'plan':
      console.log(describe(await plan(parseCount(argument))));
      return 0;
    case 'run': {
      const { index, count } = parseShard(argument);
      const shards = await plan(count);
      const shard = shards[index - 1];
      if (shard === undefined) usage(`the mutants make only ${shards.length} shards`);
      console.log(describe(shards).split('\n')[index - 1]);
      const extra = rest[0] === '--' ? rest.slice(1) : rest;
      const status = runStryker(['--mutate', shard.map(pattern).join(','), ...extra]);
      if (status !== 0) return status;
      mkdirSync(SHARD_DIR, { recursive: true });
      copyFileSync(config().jsonReporter.fileName, shardReport(index, count));
      console.log(`shard ${index}/${count}: report kept as ${shardReport(index, count)}`);
      return 0;
    }
    case 'merge':
      return merge(parseCount(argument));
    case 'sample': {
      const size = parseCount(argument, 'mutants');
      const seedAt = rest.indexOf('--seed');
      const seed = seedAt >= 0 ? parseSeed(rest[seedAt + 1]) : randomInt(1, 2 ** 31);
      const dashes = rest.indexOf('--');
      return sample(size, seed, dashes >= 0 ? rest.slice(dashes + 1) : []);
    }
    case 'retest': {
      if (argument === undefined || !existsSync(argument))
        usage('retest wants a kept sample report');
      const all = rest[0] === '--all';
      const options = all ? rest.slice(1) : rest;
      return retest(argument, all, options[0] === '--' ? options.slice(1) : options);
    }
    default:
      return usage(`unknown command ${command ?? '(none)'}`);
  }
}

process.exitCode = await main(process.argv.slice(2));
