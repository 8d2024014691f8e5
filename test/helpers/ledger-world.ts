import type { CheckpointModel } from '../../firmware/app.ts';
import { LEDGER_VERSIONS, ledgerWorkload } from '../../firmware/apps/ledger/index.ts';
import { runSeed, type SeedResult, type WorldOptions } from '../../host/simulator/world.ts';

/** Runs the ledger pair (1.0.0 with 2.0.0 staged) in the simulator. */
export function runLedger(
  overrides: Partial<WorldOptions> & { mode?: CheckpointModel } = {},
): SeedResult {
  const mode = overrides.mode ?? 'state';
  return runSeed({
    seed: 1,
    loadApp: (version) => {
      const factory = LEDGER_VERSIONS[version as keyof typeof LEDGER_VERSIONS];
      if (factory === undefined) throw new Error(`no ledger ${version}`);
      return factory(mode);
    },
    versions: ['1.0.0', '2.0.0'],
    workload: (random) => ledgerWorkload(random),
    runMs: 8000,
    baud: 115200,
    clients: 4,
    pathCount: 2,
    faults: false,
    trace: true,
    config: { heartbeatIntervalMs: 20 },
    ...overrides,
  });
}

/** The violations of a run, with its trace when there are any (for the test log). */
export function explain(result: SeedResult): string {
  if (result.violations.length === 0) return '';
  return `${JSON.stringify(result.violations.slice(0, 5), null, 1)}\n${result.trace.slice(-80).join('\n')}`;
}
