/** The report of one replayed seed (`tandem simulate --seed S`), printed after its trace. */
import { topologyName } from '../simulator/fault-model.ts';
import type { SeedResult } from '../simulator/world.ts';
import { MULTI_FAULT_LINE } from './campaign-summary.ts';
import type { Stylist } from './terminal-style.ts';
import { count, formatTable, seconds } from './text-table.ts';

export function seedSummary(result: SeedResult, style: Stylist): string[] {
  const lines = [
    style('bold', `seed ${result.seed}`),
    `${result.faultModel} faults, ${topologyName(result.topology)}`,
    ...formatTable([
      ['violations', count(result.violations.length)],
      ['acknowledged requests', count(result.acknowledged)],
      ['refused: the store full (nothing done, not lost)', count(result.refusedStoreFull)],
      ['lost', count(result.lost)],
      ['executed twice', count(result.duplicated)],
      ['split brain', count(result.splitBrain)],
      ['takeovers', count(result.takeovers)],
      ['false takeovers (no failure behind them)', count(result.falseTakeovers)],
      ['switches', count(result.switches)],
      ['fallbacks', count(result.fallbacks)],
      ['failed switch steps', count(result.switchFailures)],
      ['switches refused: image not pushed', count(result.switchesRefusedUnpushed)],
      ['image pushes completed', count(result.pushesCompleted)],
      ['image pushes interrupted', count(result.pushesInterrupted)],
      ['power pulls', count(result.powerPulls)],
      ['faults injected', count(result.faultsInjected)],
      ['longest client wait', `${count(result.holdMsMax)} ms`],
      ['virtual time', seconds(result.virtualMs)],
    ]),
    '',
    // A table of its own: one long line in the table above would widen every row.
    style('bold', 'faults by class'),
    ...formatTable(
      Object.entries(result.faultCounts)
        .filter(([, n]) => n > 0)
        .map(([kind, n]) => [kind, count(n)]),
    ),
    '',
    `double failures (both boards down; state not persisted by the app; not counted as passes of nothing-lost): ${count(result.doubleFailures)}`,
    `pulls in a switch's window (the one copy a switch left; until the state is durable, issue 10): ${count(result.switchWindowLosses)}`,
    `acknowledged requests lost with them: ${count(result.lostToDoubleFailure)}`,
    `${MULTI_FAULT_LINE}: ${count(result.multiFault.length)}`,
    ...result.multiFault.map((v) => `  at ${v.at.toFixed(3)} ms: ${v.kind}: ${v.detail}`),
    '',
  ];
  if (result.violations.length === 0) {
    lines.push(style('green', `PASS: seed ${result.seed} has no violations`));
    return lines;
  }
  for (const v of result.violations)
    lines.push(`  at ${v.at.toFixed(3)} ms: ${v.kind}: ${v.detail}`);
  lines.push(style('red', `FAIL: seed ${result.seed} has ${result.violations.length} violations`));
  return lines;
}
