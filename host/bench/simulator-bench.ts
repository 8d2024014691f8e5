/**
 * The simulator's speed in `tandem bench` (issue 13): full-length seeds of
 * the default fault model, in each checkpoint model, one after another on
 * this thread, timed both by the wall clock and by the process's CPU time.
 * On a machine shared with other work the wall clock counts the others'
 * turns too; the CPU time is what one core spent, which is the target's
 * measure ("seeds a minute on one core"). `tandem bench-simulate` runs the
 * same campaign on its own.
 */
import { performance } from 'node:perf_hooks';
import type { CheckpointModel } from '../../firmware/app.ts';
import { DEFAULT_FAULT_MODEL, DEFAULT_RUN_MS, runCampaign } from '../simulator/campaign.ts';
import ledgerSimulation from '../simulator/ledger-simulation.ts';
import { type Figure, figure, round } from './figure.ts';
import { BENCH_TARGET, type BenchMeasurement, measure } from './simulator-target.ts';

const MODELS: readonly CheckpointModel[] = ['state', 'replay'];
const START_SEED = 1;

export interface SimulatorSample extends BenchMeasurement {
  /** CPU time of the process (user and system) over the run, ms. */
  readonly cpuMs: number;
  /** Seeds a minute of that CPU time. */
  readonly seedsPerCpuMinute: number;
  /** Client requests acknowledged, on average a seed: what a seed carries. */
  readonly acknowledgedPerSeed: number;
}

export function benchSimulator(
  seeds: number,
  say: (line: string) => void = () => {},
): SimulatorSample[] {
  return MODELS.map((mode) => {
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const result = runCampaign({
      seeds,
      startSeed: START_SEED,
      mode,
      module: ledgerSimulation,
      runMs: DEFAULT_RUN_MS,
      faultModel: DEFAULT_FAULT_MODEL,
    });
    const cpu = process.cpuUsage(cpuBefore);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const sample: SimulatorSample = {
      ...measure(result),
      cpuMs,
      seedsPerCpuMinute: cpuMs > 0 ? (60_000 * result.seeds) / cpuMs : 0,
      acknowledgedPerSeed: result.seeds > 0 ? result.acknowledged / result.seeds : 0,
    };
    say(
      `simulator ${mode}: ${seeds} seeds in ${((performance.now() - started) / 1000).toFixed(1)} s (${(cpuMs / 1000).toFixed(1)} s of CPU): ${sample.seedsPerCpuMinute.toFixed(0)} a CPU minute, ${sample.seedsPerMinute.toFixed(0)} a wall minute`,
    );
    return sample;
  });
}

export function simulatorFigures(samples: readonly SimulatorSample[]): Figure[] {
  return samples.map((s) => {
    const short = s.seedsPerCpuMinute < BENCH_TARGET.seedsPerMinute;
    const thin =
      s.virtualSecondsPerSeed < BENCH_TARGET.virtualSecondsPerSeed ||
      s.faultsPerSeed < BENCH_TARGET.faultsPerSeed;
    return figure({
      id: `simulator.${s.mode}.seedsPerMinute`,
      label: `simulator seeds a minute on one core, ${s.mode} model`,
      value: round(s.seedsPerCpuMinute, 0),
      unit: 'seeds/min',
      target: { kind: 'min', value: BENCH_TARGET.seedsPerMinute },
      source: 'simulator',
      note: `Seeds ${START_SEED} to ${START_SEED + s.seeds - 1} of the ${DEFAULT_FAULT_MODEL} fault model on this thread, ${s.virtualSecondsPerSeed.toFixed(1)} s of virtual time and ${s.faultsPerSeed.toFixed(1)} faults a seed (the target asks at least ${BENCH_TARGET.virtualSecondsPerSeed} s and ${BENCH_TARGET.faultsPerSeed}), per minute of the process's CPU time (${(s.cpuMs / 1000).toFixed(1)} s, garbage collection threads included); by the wall clock ${s.seedsPerMinute.toFixed(0)} a minute on this shared machine. ${s.violations} violations in ${s.failingSeeds} seeds (a benchmark reports them; \`tandem simulate\` investigates).${thin ? ' The seeds are shorter or quieter than the target asks: the rate does not count.' : ''}${short ? ` Short: a seed carries ${Math.round(s.acknowledgedPerSeed)} acknowledged client requests on average through both cores’ whole wire path (CBOR, frames with CRCs, the reliable channel, byte-paced cables), and no part of that path stands out in a profile (see the README).` : ''}`,
    });
  });
}
