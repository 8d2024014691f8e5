/**
 * `tandem bench`: every figure of the benchmark suite (host/bench/) in one
 * run, each beside its target: takeover distribution at two bauds with its
 * physical bound and false suspicions, checkpoint goodput and where the
 * interconnect's line time goes, switch and fallback by ledger size (client
 * wait, time without a backup, bytes), push goodput, checkpointing's
 * throughput ratio and added latency, the cost of durability (a retained
 * ledger against a memory one: throughput, added latency, store writes and
 * bytes per request, erase cycles an hour and the store's lifetime), start-up
 * times against `node -e 0`, and the simulator's seeds a minute. A benchmark reports; it exits 0 when
 * it measured, whether or not the targets were met (the shortfalls are in
 * the output).
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Option } from 'commander';
import { IMAGE_ENGINES, type ImageEngine } from '../../../boards/image-engine.ts';
import {
  BENCH_BAUDS,
  type BenchReport,
  DEFAULT_TAKEOVERS,
  QUICK_SIMULATOR_SEEDS,
  QUICK_SWITCH_ACCOUNTS,
  runBenchSuite,
  SIMULATOR_SEEDS,
  SWITCH_ACCOUNTS,
} from '../../bench/bench-suite.ts';
import type { Figure } from '../../bench/figure.ts';
import { labDown } from '../../lab/lab.ts';
import { LAB_FILE } from '../../lab/lab-config.ts';
import type { RegisterCommand } from '../command-registration.ts';
import { ExitCode } from '../exit-codes.ts';
import { count, engineSet, positiveInteger, seedNumber } from '../option-parsers.ts';
import { type Stylist, stylistFor } from '../terminal-style.ts';
import { formatColumns } from '../text-table.ts';

/** Pulls per baud with --quick, unless --takeovers says otherwise. */
const QUICK_TAKEOVERS = 5;

interface BenchOptions {
  readonly json: boolean;
  readonly takeovers?: number;
  readonly quick: boolean;
  readonly baud: number[];
  readonly seed: number;
  readonly switchAccounts?: number[];
  readonly simulatorSeeds?: number;
  readonly engines: readonly ImageEngine[];
}

const numberList = (text: string) => text.split(',').map((part) => positiveInteger(part.trim()));
const countList = (text: string) => text.split(',').map((part) => count(part.trim()));

export const registerBench: RegisterCommand = (program, finish) => {
  program
    .command('bench')
    .description(
      'Measure every figure against its target in one run: takeover p50/p90/p99/max per baud with its physical bound and false suspicions, checkpoint goodput and where the interconnect line time goes, switch and fallback by ledger size, push goodput, throughput with checkpointing, added latency, the cost of a retained store against memory (throughput, latency, store writes and bytes per request, erase cycles an hour, the lifetime of the store in years), start-up against node -e 0, and simulator seeds a minute. Exits 0 when it measured, targets met or not.',
    )
    .option(
      '--json',
      'print one JSON object {figures: [{id, value, unit, target, met, note}], ...}',
      false,
    )
    .addOption(
      new Option(
        '--takeovers <n>',
        `power-pulls of the primary per baud (default ${DEFAULT_TAKEOVERS}, ${QUICK_TAKEOVERS} with --quick)`,
      ).argParser(positiveInteger),
    )
    .option('--quick', 'shorter windows and fewer switches: a rough run', false)
    .option('--baud <list>', 'comma-separated line rates, one lab each', numberList, [
      ...BENCH_BAUDS,
    ])
    .addOption(
      new Option(
        '--switch-accounts <list>',
        `ledger sizes to switch and fall back at, in accounts (default ${SWITCH_ACCOUNTS.join(',')}, ${QUICK_SWITCH_ACCOUNTS.join(',')} with --quick)`,
      ).argParser(countList),
    )
    .addOption(
      new Option(
        '--simulator-seeds <n>',
        `simulator seeds per checkpoint model, 0 for none (default ${SIMULATOR_SEEDS}, ${QUICK_SIMULATOR_SEEDS} with --quick)`,
      ).argParser(count),
    )
    .addOption(
      new Option('--seed <n>', 'seed of the client workload').argParser(seedNumber).default(1),
    )
    .addOption(
      new Option(
        '--engines <list>',
        'engines whose labs measure the longest call into the image, the CPU a request costs and (XS) the heap',
      )
        .argParser(engineSet)
        .default([...IMAGE_ENGINES], IMAGE_ENGINES.join(',')),
    )
    .action(async (options: BenchOptions) => {
      finish(await bench(options));
    });
};

async function bench(options: BenchOptions): Promise<ExitCode> {
  const workDir = mkdtempSync(join(tmpdir(), 'tandem-bench-'));
  // Ctrl-C: take down whatever lab is running in the work directory, then exit 130.
  let interrupted = false;
  const onInterrupt = () => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write('tandem bench: interrupted; taking its labs down\n');
    void takeLabsDown(workDir).finally(() => {
      rmSync(workDir, { recursive: true, force: true });
      process.exit(ExitCode.interrupted);
    });
  };
  process.once('SIGINT', onInterrupt);
  let report: BenchReport;
  try {
    report = await runBenchSuite({
      workDir,
      bauds: options.baud,
      takeovers: options.takeovers ?? (options.quick ? QUICK_TAKEOVERS : DEFAULT_TAKEOVERS),
      quick: options.quick,
      seed: options.seed,
      switchAccounts: [
        ...(options.switchAccounts ?? (options.quick ? QUICK_SWITCH_ACCOUNTS : SWITCH_ACCOUNTS)),
      ].sort((a, b) => a - b),
      simulatorSeeds:
        options.simulatorSeeds ?? (options.quick ? QUICK_SIMULATOR_SEEDS : SIMULATOR_SEEDS),
      engines: options.engines,
      // Progress goes to stderr in either form: a long run says where it is, stdout stays one JSON object.
      say: (line) => process.stderr.write(`${line}\n`),
    });
  } finally {
    if (!interrupted) {
      process.off('SIGINT', onInterrupt);
      rmSync(workDir, { recursive: true, force: true });
    }
  }
  process.stdout.write(options.json ? `${JSON.stringify(report)}\n` : `${table(report)}\n`);
  return ExitCode.ok;
}

/** Takes down every lab in `workDir` (a lab's directory holds its lab.json). */
async function takeLabsDown(workDir: string): Promise<void> {
  const entries = existsSync(workDir) ? readdirSync(workDir) : [];
  for (const entry of entries) {
    const dir = join(workDir, entry);
    if (existsSync(join(dir, LAB_FILE))) await labDown(dir).catch(() => false);
  }
}

function table(report: BenchReport): string {
  const style = stylistFor(process.stdout);
  const lines = formatColumns(
    ['figure', 'value', 'target', 'met'],
    report.figures.map((f) => [f.label, value(f), target(f), met(f, style)]),
    ['left', 'right', 'right', 'left'],
  );
  const short = report.figures.filter((f) => f.met === false);
  const notes = report.figures.map((f) => `- ${f.label}: ${f.note}`);
  return [
    ...lines,
    '',
    `${report.figures.length} figures, ${short.length} short of target; measured in ${Math.round(report.seconds)} s on ${report.machine.cpu} (${report.machine.cores} cores, load average ${report.machine.loadAverage[0]} at the start and ${report.machine.loadAverage[1]} at the end), Node ${report.machine.node}${report.quick ? ', --quick' : ''}.`,
    '',
    'How each was measured (and why a figure falls short):',
    ...notes,
    ...(report.failures.length > 0
      ? ['', 'Parts that failed:', ...report.failures.map((f) => `- ${f}`)]
      : []),
  ].join('\n');
}

function value(f: Figure): string {
  return f.value === null ? 'none' : `${f.value} ${f.unit}`;
}

function target(f: Figure): string {
  if (f.target === null) return '-';
  return `${f.target.kind === 'max' ? '<=' : '>='} ${f.target.value} ${f.unit}`;
}

function met(f: Figure, style: Stylist): string {
  if (f.met === null) return '';
  return f.met ? style('green', 'yes') : style('red', 'SHORT');
}
