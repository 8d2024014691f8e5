/** The readable report of a campaign that `tandem simulate` prints on stdout. */
import type { CampaignResult } from '../simulator/campaign.ts';
import type { Stylist } from './terminal-style.ts';
import { count, formatTable, seconds } from './text-table.ts';

/** How findings that needed overlapping faults are introduced (campaign and seed reports). */
export const MULTI_FAULT_LINE =
  "found while two or more faults' windows overlapped (the promise is about one fault; not counted as violations nor as passes)";

export function campaignSummary(result: CampaignResult, style: Stylist): string[] {
  const lastSeed = result.startSeed + result.seeds - 1;
  const [current, next] = result.versions;
  const failing = result.failingSeeds.length;
  const lines = [
    style(
      'bold',
      `${result.app} ${current} -> ${next}, ${result.mode} checkpoints, ${result.durability} state${coresIn(result.engines)}: seeds ${result.startSeed}..${lastSeed}, ${seconds(result.runMs, 0)} of ${result.faultModel} faults each`,
    ),
    ...formatTable([
      ['seeds', count(result.seeds)],
      ['violations', count(result.violations)],
      ['failing seeds', count(failing)],
      ['acknowledged requests', count(result.acknowledged)],
      ['refused: the store full (nothing done, not lost)', count(result.refusedStoreFull)],
      ['lost', count(result.lost)],
      ['executed twice', count(result.duplicated)],
      ['split brain', count(result.splitBrain)],
      ['takeovers', count(result.takeovers)],
      ['false takeovers (no failure behind them)', count(result.falseTakeovers)],
      [`switches to ${next}`, count(result.switches)],
      [`fallbacks to ${current}`, count(result.fallbacks)],
      ['failed switch steps', count(result.switchFailures)],
      ['switches refused: image not pushed', count(result.switchesRefusedUnpushed)],
      ['image pushes completed', count(result.pushesCompleted)],
      ['image pushes interrupted', count(result.pushesInterrupted)],
      ['power pulls', count(result.powerPulls)],
      ['faults injected', count(result.faultsInjected)],
      ['longest client wait', `${count(result.holdMsMax)} ms`],
      ['virtual time', seconds(result.virtualMs)],
      ['wall time', seconds(result.wallMs)],
      ['seeds per minute', count(result.seedsPerMinute)],
    ]),
    '',
    style('bold', 'faults by class'),
    ...formatTable(
      Object.entries(result.faultCounts)
        .filter(([, n]) => n > 0)
        .map(([kind, n]) => [kind, count(n)]),
    ),
    `topologies: ${Object.entries(result.topologies)
      .map(([name, n]) => `${name}: ${count(n)}`)
      .join('; ')}`,
    `largest final state: ${count(result.finalStateBytesMax)} bytes (JSON)`,
    '',
    // Kept apart from the table: these are neither passes nor violations of nothing-lost.
    `double failures (both boards down; state not persisted by the app; not counted as passes of nothing-lost): ${count(result.doubleFailures)}`,
    `pulls in a switch's window (the one copy a switch left; until the state is durable, issue 10): ${count(result.switchWindowLosses)}`,
    `acknowledged requests lost with them: ${count(result.lostToDoubleFailure)}`,
    `${MULTI_FAULT_LINE}: ${count(result.multiFault)} in ${count(result.multiFaultSeeds)} seeds`,
    ...Object.entries(result.multiFaultKinds).map(
      ([kind, n]) =>
        `  ${kind}: ${count(n)} (seeds ${(result.firstMultiFaultSeedsByKind[kind] ?? []).join(', ')})`,
    ),
    '',
  ];
  if (result.violations === 0) {
    lines.push(style('green', `PASS: no violations in ${count(result.seeds)} seeds`));
    return lines;
  }
  lines.push(style('bold', 'violations by kind (first seeds):'));
  for (const [kind, n] of Object.entries(result.violationKinds)) {
    lines.push(
      `  ${kind}: ${count(n)} (seeds ${(result.firstSeedsByKind[kind] ?? []).join(', ')})`,
    );
  }
  lines.push(style('bold', 'first violations:'));
  for (const v of result.firstViolations) {
    lines.push(`  seed ${v.seed} at ${v.atMs.toFixed(1)} ms: ${v.kind}: ${v.detail}`);
  }
  const shownSeeds = result.failingSeeds.slice(0, 20).join(', ');
  const more = failing > 20 ? `, ... (${failing - 20} more)` : '';
  lines.push(`failing seeds: ${shownSeeds}${more}`);
  lines.push(
    style(
      'red',
      `FAIL: ${count(result.violations)} violations in ${count(failing)} of ${count(result.seeds)} seeds`,
    ),
  );
  return lines;
}

/** Where the cores ran, when not both in this process. */
function coresIn([first, second]: CampaignResult['engines']): string {
  if (first === 'node' && second === 'node') return '';
  return first === second ? `, cores in ${first}` : `, P1's core in ${first}, P2's in ${second}`;
}
