/**
 * `tandem bench-simulate`: how fast the simulator gets through full-length
 * seeds on one core, in each checkpoint model, against the target. A
 * benchmark reports; it does not judge the protocol, so it exits 0 even
 * when the target is missed or a seed finds a violation.
 */
import { cpus } from 'node:os';
import { Option } from 'commander';
import type { CheckpointModel } from '../../../firmware/app.ts';
import { BENCH_TARGET, type BenchMeasurement, measure } from '../../bench/simulator-target.ts';
import { DEFAULT_FAULT_MODEL, DEFAULT_RUN_MS, runCampaign } from '../../simulator/campaign.ts';
import { FAULT_MODELS, type FaultModel } from '../../simulator/fault-model.ts';
import ledgerSimulation from '../../simulator/ledger-simulation.ts';
import { campaignProgress, progressWanted } from '../campaign-progress.ts';
import type { RegisterCommand } from '../command-registration.ts';
import { ExitCode } from '../exit-codes.ts';
import { positiveInteger } from '../option-parsers.ts';
import { stylistFor } from '../terminal-style.ts';
import { formatColumns } from '../text-table.ts';

export const DEFAULT_BENCH_SEEDS = 300;
const BENCH_START_SEED = 1;
const MODES: readonly CheckpointModel[] = ['state', 'replay'];

interface BenchOptions {
  readonly seeds: number;
  readonly faultModel: FaultModel;
  readonly json: boolean;
}

export const registerBenchSimulate: RegisterCommand = (program, finish) => {
  program
    .command('bench-simulate')
    .description(
      `Measure simulated seeds per minute on one core, in state and in replay mode, against the target (>= ${BENCH_TARGET.seedsPerMinute} seeds/min, each >= ${BENCH_TARGET.virtualSecondsPerSeed} s virtual with >= ${BENCH_TARGET.faultsPerSeed} faults). Always exits 0.`,
    )
    .addOption(
      new Option('--seeds <n>', 'seeds per mode')
        .argParser(positiveInteger)
        .default(DEFAULT_BENCH_SEEDS),
    )
    .addOption(
      new Option('--fault-model <model>', 'the fault model the seeds run')
        .choices(FAULT_MODELS)
        .default(DEFAULT_FAULT_MODEL),
    )
    .option('--json', 'print one JSON object on stdout (for scripts)', false)
    .action((options: BenchOptions) => {
      finish(bench(options));
    });
};

function bench(options: BenchOptions): ExitCode {
  const measurements = MODES.map((mode) => {
    const progress = campaignProgress(`bench ${mode}`, options.seeds, progressWanted(options.json));
    try {
      return measure(
        runCampaign({
          seeds: options.seeds,
          startSeed: BENCH_START_SEED,
          mode,
          module: ledgerSimulation,
          runMs: DEFAULT_RUN_MS,
          faultModel: options.faultModel,
          onSeed: (seed) => progress.seedDone(seed),
        }),
      );
    } finally {
      progress.stop();
    }
  });
  const verdict = measurements.every((m) => m.verdict === 'PASS') ? 'PASS' : 'FALLS SHORT';
  const machine = { node: process.version, cpu: cpus()[0]?.model ?? 'unknown' };

  if (options.json) {
    const report = {
      seedsPerMode: options.seeds,
      faultModel: options.faultModel,
      runMs: DEFAULT_RUN_MS,
      target: BENCH_TARGET,
      machine,
      modes: measurements,
      verdict,
    };
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } else {
    process.stdout.write(
      `${benchReport(options.seeds, options.faultModel, measurements, verdict, machine).join('\n')}\n`,
    );
  }
  return ExitCode.ok;
}

function benchReport(
  seeds: number,
  faultModel: FaultModel,
  measurements: readonly BenchMeasurement[],
  verdict: string,
  machine: { node: string; cpu: string },
): string[] {
  const style = stylistFor(process.stdout);
  const verdictStyle = (text: string) => style(text === 'PASS' ? 'green' : 'yellow', text);
  const lines = [
    style(
      'bold',
      `bench-simulate: ledger, ${seeds} seeds per mode, ${faultModel} faults, one process on one core`,
    ),
    `machine: node ${machine.node}, ${machine.cpu}`,
    `target:  >= ${BENCH_TARGET.seedsPerMinute} seeds/minute on one core, each seed >= ${BENCH_TARGET.virtualSecondsPerSeed} s virtual with >= ${BENCH_TARGET.faultsPerSeed} faults`,
    '',
    ...formatColumns(
      [
        'mode',
        'seeds',
        'seeds/min',
        'virtual s/seed',
        'faults/seed',
        'wall s',
        'violations',
        'verdict',
      ],
      measurements.map((m) => [
        m.mode,
        String(m.seeds),
        m.seedsPerMinute.toFixed(0),
        m.virtualSecondsPerSeed.toFixed(1),
        m.faultsPerSeed.toFixed(1),
        (m.wallMs / 1000).toFixed(1),
        String(m.violations),
        verdictStyle(m.verdict),
      ]),
      ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
    ),
    '',
  ];
  for (const m of measurements) {
    if (m.shortfalls.length > 0) lines.push(`${m.mode}: falls short: ${m.shortfalls.join('; ')}`);
  }
  const violations = measurements.reduce((sum, m) => sum + m.violations, 0);
  if (violations > 0) {
    lines.push(
      `note: ${violations} violations seen; this is a benchmark, run \`tandem simulate\` to investigate`,
    );
  }
  lines.push(`overall: ${verdictStyle(verdict)}`);
  return lines;
}
