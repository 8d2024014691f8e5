/**
 * A failover campaign: a pair under client load has its power pulled through
 * the rig again and again, at moments drawn from a seed, and every request
 * and reply of the run is checked afterwards. This file is the run loop and
 * the result; the schedule is in pull-schedule.ts, powering a board off and
 * on in puller.ts, and the three kinds of pull in pull-kinds.ts.
 *
 * A cold start after a pull during a switch, of the board that alone held
 * the state (the other had given its copy up for the switch: stopped at
 * ARCHITECTURE step b, rebooting into the other version, joining, or handed
 * over at g, as its journal shows), is a double failure by design: counted
 * apart, with what it lost. Any other cold start is a violation (state
 * lost). The takeover scenario never pulls a board that holds the only copy.
 */
import { performance } from 'node:perf_hooks';
import { wallClockMs } from '../boards/wall-clock.ts';
import type { Violation } from '../host/history/client-history.ts';
import {
  findOverlaps,
  LoggedHistory,
  type Overlap,
  type PowerEvent,
  type RoleBand,
  type RoleInterval,
  replayHistory,
  roleIntervals,
  roleMarks,
  type SkewBounds,
  type SplitBrain,
} from '../host/history/history-check.ts';
import type { SafetyCounts } from '../host/history/result-counts.ts';
import { readPairState } from '../host/load/final-state.ts';
import { loadLedger } from '../host/load/lab-load.ts';
import type { Wait } from '../host/load/load-generator.ts';
import { readBoardStatuses, roleOf, waitForBoards } from '../host/pair/board-watch.ts';
import {
  markServingVersions,
  PairJournal,
  type PairJournalEntry,
} from '../host/pair/pair-journal.ts';
import { isSettled, isWhole } from '../host/pair-whole.ts';
import type { BoardLog, CampaignLoad, CampaignTarget } from './campaign-target.ts';
import { InfrastructureError } from './infrastructure.ts';
import { type Percentiles, percentiles } from './percentiles.ts';
import { CampaignStuck, describePull, type PullRecord, runPull } from './pull-kinds.ts';
import { planPulls, type Scenario } from './pull-schedule.ts';
import { describeRoles, Puller, REFORM_TIMEOUT_MS } from './puller.ts';

export interface CampaignResult extends SafetyCounts {
  readonly seed: number;
  readonly rig: string;
  readonly scenario: Scenario;
  /** Pulls done. */
  readonly pulls: number;
  /** Pulls the campaign was asked for. */
  readonly pullsPlanned: number;
  /** Stopped by its signal (Ctrl-C) before every planned pull was done: not a pass. */
  readonly interrupted: boolean;
  /**
   * Overlaps of two serving boards no longer than the clock skew between
   * the clocks that timed them (`clockSkew`): not shown to be split brain.
   */
  readonly overlapsWithinSkew: number;
  readonly clockSkew: ClockSkewReport;
  readonly doubleFailures: number;
  /** Acknowledged requests whose state died with both copies in a double failure. */
  readonly lostToDoubleFailure: number;
  readonly violations: readonly string[];
  readonly takeoverMs: Percentiles;
  readonly reformMs: Percentiles;
  /** Some board dropped journal entries before they were read: the split-brain check saw less. */
  readonly journalIncomplete: boolean;
  readonly durationS: number;
}

/** How far each board's journal clock may be from the host's, and how that was measured. */
export interface ClockSkewReport {
  /** Per board (P1, P2), in ms; null where the board never told its clock (counted as 0). */
  readonly boundMs: SkewBounds;
  /** Journal reads that bracketed each board's clock. */
  readonly samples: Readonly<Record<1 | 2, number>>;
  readonly method: string;
}

const SKEW_METHOD =
  "each journal read brackets the board's clock between the host's send and receive times (the board's clock is in its answer); the brackets of one power-on are intersected; the bound is the largest |skew| any bracket allows. An overlap timed by two different clocks is within skew when it is no longer than their two bounds added, plus the time of the relay write where a pull ends it (the host knows the cut only to within its write)";

/** The campaign's verdict: a cancelled run is never a pass; a violation found is a failure even so. */
export type Verdict = 'pass' | 'fail' | 'incomplete';

export function verdict(result: CampaignResult): Verdict {
  const clean =
    result.lost === 0 &&
    result.duplicated === 0 &&
    result.splitBrain === 0 &&
    result.violations.length === 0;
  if (!clean) return 'fail';
  return result.interrupted ? 'incomplete' : 'pass';
}

/** The verdict as the summary and the reports print it: PASS, FAIL or INCOMPLETE after N of M pulls. */
export function verdictLine(result: CampaignResult): string {
  const stopped = `interrupted after ${result.pulls} of ${result.pullsPlanned} pulls`;
  switch (verdict(result)) {
    case 'pass':
      return 'PASS';
    case 'fail':
      return result.interrupted ? `FAIL (${stopped})` : 'FAIL';
    case 'incomplete':
      return `INCOMPLETE: ${stopped}`;
  }
}

/** Everything the reports draw. Times are ms since the campaign started. */
export interface CampaignRun {
  readonly result: CampaignResult;
  /** ISO 8601 wall-clock time of the start. */
  readonly startedAt: string;
  readonly endMs: number;
  readonly pulls: readonly PullRecord[];
  readonly power: readonly PowerEvent[];
  readonly roles: readonly RoleInterval[];
  readonly splitBrains: readonly SplitBrain[];
  /** Overlaps of serving roles within the clocks' skew (not split brain). */
  readonly overlapsWithinSkew: readonly Overlap[];
  /** Each answered request's wait, when its answer came. */
  readonly waits: readonly Wait[];
  /** The run's invariants, each held or not, with what broke it. */
  readonly invariants: readonly Invariant[];
  /** What the history check found, each at its time (ms since the start, as everything here). */
  readonly historyViolations: readonly Violation[];
  /** The boards' log files where the rig keeps them. */
  readonly boardLogs: readonly BoardLog[];
}

export interface Invariant {
  readonly name: 'exactly-once' | 'retries' | 'split-brain' | 'final-state';
  readonly title: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface CampaignOptions {
  readonly pulls: number;
  readonly scenario: Scenario;
  readonly seed: number;
  readonly clients?: number;
  /** A line per pull and per phase, for a person watching. */
  readonly log?: (line: string) => void;
  /** Stops after the pull under way; the run is still checked and reported, as interrupted. */
  readonly signal?: AbortSignal;
}

const CLIENTS_DEFAULT = 8;

export async function runCampaign(
  target: CampaignTarget,
  options: CampaignOptions,
): Promise<CampaignRun> {
  const log = options.log ?? (() => {});
  const plan = planPulls(options.seed, options.pulls, options.scenario);
  const { hosts } = target;
  const history = new LoggedHistory(loadLedger);
  const journal = new PairJournal(hosts);
  const power: PowerEvent[] = [];
  const records: PullRecord[] = [];
  const extraViolations: string[] = [];
  let interrupted = false;
  const startedAt = new Date().toISOString();

  if (options.scenario !== 'takeover') {
    log('putting the version to switch to into both boards’ other slots');
    await target.prepareSwitch();
  }
  const first = await waitForBoards(hosts, isSettled, REFORM_TIMEOUT_MS);
  if (first === null) {
    const now = await readBoardStatuses(hosts);
    const silent = now.flatMap((status, index) => (status === null ? [`P${index + 1}`] : []));
    throw silent.length > 0
      ? new InfrastructureError(
          'board-silent',
          `${silent.join(' and ')} never answered on the management port: no run`,
          'check that the boards are powered and their management ports are the ones given',
        )
      : new InfrastructureError(
          'pair-not-ready',
          `the pair is not whole (${describeRoles(now)}): no run`,
          'bring the pair up first (both boards running ledger 1.0.0, one primary and one backup)',
        );
  }
  const t0 = performance.now();
  const rel = (ms: number) => ms - t0;
  const fromJournal = (atMs: number) => atMs - wallClockMs(t0);
  const initial: Record<1 | 2, RoleBand> = {
    1: (roleOf(first[0]) ?? 'unknown') as RoleBand,
    2: (roleOf(first[1]) ?? 'unknown') as RoleBand,
  };
  const startServer = first.find((s) => roleOf(s) === 'primary');

  let opened: CampaignLoad | null = null;
  let endMs = 0;
  try {
    await journal.start();
    opened = await target.openLoad({
      clients: options.clients ?? CLIENTS_DEFAULT,
      seed: options.seed,
      history,
    });
    const load = opened.load;
    load.start();
    log(
      `load running: ${options.clients ?? CLIENTS_DEFAULT} clients; ${options.pulls} pulls, seed ${options.seed}`,
    );
    const pulling = new Puller(target, load, power, t0, log);
    let restoredLast: { processor: 1 | 2; atMs: number } | null = null;
    try {
      for (const planned of plan) {
        if (options.signal?.aborted) {
          log(`interrupted after ${records.length} of ${options.pulls} pulls: no more pulls`);
          interrupted = true;
          break;
        }
        const nextRejoins = plan[planned.index + 1]?.kind === 'rejoin';
        const record = await runPull(planned, {
          pulling,
          hosts,
          load,
          restoredLast,
          keepReforming: nextRejoins,
          log,
        });
        records.push(record);
        restoredLast = { processor: record.processor, atMs: record.restoredAtMs + t0 };
        log(describePull(record, options.pulls));
        if (record.outcome === 'failed' && record.reformMs === null && !nextRejoins) {
          throw new CampaignStuck(`pull ${record.index + 1}: ${record.detail}`);
        }
      }
    } catch (error) {
      if (!(error instanceof CampaignStuck)) throw error;
      extraViolations.push(`the campaign stopped early: ${error.message}`);
    }

    const settled = await waitForBoards(hosts, isWhole, REFORM_TIMEOUT_MS);
    const answered = await load.stop(10_000);
    endMs = rel(performance.now());
    await journal.stop();
    if (!answered) extraViolations.push('not every client got an answer after the load stopped');

    // Epochs: each cold start the journals show begins one. The split is the last power
    // event before it: from there to the cold start no board served.
    const coldStarts = journal.entries
      .filter((e) => e.kind === 'cold-start')
      .map((e) => fromJournal(e.atMs))
      .sort((a, b) => a - b);
    const epochStarts = coldStarts.map((at) => {
      const before = power.filter((p) => p.atMs <= at).at(-1);
      return before?.atMs ?? at;
    });
    // Replayed on the campaign's clock, so every violation is timed like the pulls and the roles.
    const checked = replayHistory(
      history.log.map((answer) => ({ ...answer, atMs: rel(answer.atMs) })),
      epochStarts,
      loadLedger,
    );
    const marks = roleMarks(journal.entries, power, fromJournal, journal.startPowerOn);
    const roles = roleIntervals(marks, initial, 0, endMs);
    const skew = journal.skew;
    const clockSkew: ClockSkewReport = {
      boundMs: { 1: skew[1]?.boundMs ?? null, 2: skew[2]?.boundMs ?? null },
      samples: { 1: skew[1]?.samples ?? 0, 2: skew[2]?.samples ?? 0 },
      method: SKEW_METHOD,
    };
    const overlaps = findOverlaps(roles, clockSkew.boundMs);
    const splitBrains = overlaps.filter((o) => !o.withinSkew);
    const withinSkew = overlaps.filter((o) => o.withinSkew);
    let doubleFailures = 0;
    const doubleFailurePulls = new Set<number>();
    for (const at of coldStarts) {
      const pull = [...records].reverse().find((r) => r.pulledAtMs <= at);
      if (pull !== undefined && soleHolderInSwitch(pull, roles)) {
        doubleFailures += 1;
        doubleFailurePulls.add(pull.index);
      } else {
        checked.violation(
          at,
          'state-lost',
          `cold start at ${at.toFixed(0)} ms${pull ? ` after pull ${pull.index + 1} (${pull.kind}, ${pull.victim})` : ''}: a board held the state, yet the pair started from nothing`,
        );
      }
    }
    const lastColdStartWallMs = journal.entries
      .filter((e) => e.kind === 'cold-start')
      .reduce((latest, e) => Math.max(latest, e.atMs), -Infinity);
    if (coldStarts.length === 0 && startServer?.pair) {
      checked.servingFrom(startServer.pair.txn, startServer.pair.version);
    }
    markServingVersions(
      journal.entries.filter((e) => e.atMs >= lastColdStartWallMs),
      checked,
    );
    let finalChecked = false;
    if (settled !== null) {
      const server = settled.findIndex((s) => roleOf(s) === 'primary');
      const final = await readPairState(hosts[server === 1 ? 1 : 0]);
      checked.checkSequential(rel(performance.now()), final.state, final.version, final.txn);
      finalChecked = true;
    } else {
      extraViolations.push('the pair was not whole at the end: the final state was not checked');
    }

    const pullsChecked = records.map((r): PullRecord => {
      let detail = r.detail;
      if (r.kind === 'switch') {
        // The step the boards had reached when the power went (the host sees steps a little late).
        const reached = stepBefore(journal.entries, r.pulledAtMs, fromJournal);
        detail = `${detail}; the boards had recorded step ${reached ?? 'none'} at the pull`;
      }
      if (doubleFailurePulls.has(r.index) && r.outcome !== 'failed') {
        return {
          ...r,
          outcome: 'double-failure',
          detail: `${detail}; double failure: the other board had given up its copy for the switch`,
        };
      }
      return { ...r, detail };
    });
    const violations = [
      ...checked.violations.map(formatViolation),
      ...splitBrains.map(
        (s) =>
          `split-brain: P1 ${s.intervals[0].band} and P2 ${s.intervals[1].band} both served from ${s.fromMs.toFixed(1)} to ${s.toMs.toFixed(1)} ms`,
      ),
      ...pullsChecked
        .filter((r) => r.outcome === 'failed')
        .map((r) => `pull ${r.index + 1}: ${r.detail}`),
      ...extraViolations,
    ];
    const result: CampaignResult = {
      seed: options.seed,
      rig: target.rigName,
      scenario: options.scenario,
      pulls: records.length,
      pullsPlanned: options.pulls,
      interrupted,
      acknowledged: checked.acknowledged,
      lost: checked.lost,
      duplicated: checked.duplicated,
      splitBrain: splitBrains.length,
      overlapsWithinSkew: withinSkew.length,
      clockSkew,
      doubleFailures,
      lostToDoubleFailure: checked.lostToDoubleFailure,
      violations,
      takeoverMs: percentiles(
        pullsChecked.flatMap((r) => (r.takeoverMs === null ? [] : [r.takeoverMs])),
      ),
      reformMs: percentiles(pullsChecked.flatMap((r) => (r.reformMs === null ? [] : [r.reformMs]))),
      journalIncomplete: journal.incomplete,
      durationS: Math.round(endMs / 100) / 10,
    };
    return {
      result,
      startedAt,
      endMs,
      pulls: pullsChecked,
      power,
      roles,
      splitBrains,
      overlapsWithinSkew: withinSkew,
      waits: load.waits.map((w) => ({ atMs: rel(w.atMs), waitedMs: w.waitedMs })),
      invariants: invariants(checked.violations, overlaps, result, finalChecked),
      historyViolations: checked.violations,
      boardLogs: target.boardLogs ?? [],
    };
  } finally {
    // A run stopped by a failure (the rig's, say) leaves clients running: stop them without waiting.
    await opened?.load.stop(0);
    await opened?.close();
    await journal.stop().catch(() => {});
    // Never leave a board off, whatever stopped the run.
    for (const processor of [1, 2] as const) {
      if (power.filter((p) => p.processor === processor).at(-1)?.on === false) {
        await target.rig.setPower(processor, true).catch(() => {});
      }
    }
  }
}

/**
 * The pulled board dies a little after the relay was written (the relay
 * controller and the lab's supply act on it): the other board may hand its
 * roles over to it in those milliseconds (step g, on an acknowledgement the
 * pulled board sent before it died). A board that holds the state never gives
 * it up in reaction to its partner's silence, so looking this much later
 * cannot excuse a cold start that was not a double failure.
 */
const POWER_CUT_SLACK_MS = 50;

/** Bands in which a board holds no copy of the state it could serve from. */
const NO_COPY_BANDS: ReadonlySet<RoleBand> = new Set([
  'handed-over',
  'stopped',
  'booting',
  'joining',
  'off',
]);

function bandAt(
  roles: readonly RoleInterval[],
  processor: 1 | 2,
  atMs: number,
): RoleBand | undefined {
  return roles.find((r) => r.processor === processor && r.fromMs < atMs && r.toMs >= atMs)?.band;
}

/**
 * The pull during a switch took the only copy of the state: the other
 * board had given its copy up for the switch (stopped, rebooting into the
 * other version, joining, or handed over). The other board's role is read
 * from its journal, which the pull did not cut short.
 */
function soleHolderInSwitch(pull: PullRecord, roles: readonly RoleInterval[]): boolean {
  if (pull.kind !== 'switch') return false;
  const other = bandAt(roles, pull.processor === 1 ? 2 : 1, pull.pulledAtMs + POWER_CUT_SLACK_MS);
  return other !== undefined && NO_COPY_BANDS.has(other);
}

/** The last switch step either board recorded before `atMs` (journal times converted). */
function stepBefore(
  entries: readonly PairJournalEntry[],
  atMs: number,
  fromJournal: (ms: number) => number,
): string | null {
  let last: { step: string; at: number } | null = null;
  for (const entry of entries) {
    if (entry.kind !== 'switch' || !entry.ok) continue;
    const at = fromJournal(entry.atMs);
    if (at <= atMs && (last === null || at >= last.at)) last = { step: entry.step, at };
  }
  return last?.step ?? null;
}

/** The skew bounds in a line, e.g. "skew bound P1 0.8 ms, P2 1.1 ms (412 and 405 reads)". */
export function describeSkew(skew: ClockSkewReport): string {
  const one = (p: 1 | 2) => {
    const bound = skew.boundMs[p];
    return bound === null
      ? `P${p} not measured (its journal gives no clock)`
      : `P${p} ${bound.toFixed(1)} ms`;
  };
  return `skew bound ${one(1)}, ${one(2)} (${skew.samples[1]} and ${skew.samples[2]} journal reads)`;
}

function formatViolation(v: Violation): string {
  return `${v.kind}: ${v.detail}`;
}

function invariants(
  violations: readonly Violation[],
  overlaps: readonly Overlap[],
  result: CampaignResult,
  finalChecked: boolean,
): Invariant[] {
  const splitBrains = overlaps.filter((o) => !o.withinSkew);
  const describe = (o: Overlap) =>
    `P1 ${o.intervals[0].band} and P2 ${o.intervals[1].band} from ${o.fromMs.toFixed(1)} to ${o.toMs.toFixed(1)} ms (${(o.toMs - o.fromMs).toFixed(1)} ms; timing allowance ${o.allowanceMs.toFixed(1)} ms)`;
  const of = (...kinds: Violation['kind'][]) =>
    violations.filter((v) => kinds.includes(v.kind)).map(formatViolation);
  const exactly = of('executed-twice', 'acknowledged-lost', 'state-lost');
  const retries = of('retry-reply-differs', 'too-old');
  const final = of('inconsistent-reply', 'final-state-differs');
  if (!finalChecked) final.push('the pair was not whole at the end: no final state to compare');
  return [
    {
      name: 'exactly-once',
      title: 'every acknowledged request applied exactly once',
      ok: exactly.length === 0 && result.lost === 0 && result.duplicated === 0,
      detail:
        exactly.join('\n') ||
        `${result.acknowledged} acknowledged, ${result.lost} lost, ${result.duplicated} executed twice`,
    },
    {
      name: 'retries',
      title: 'retries answered with the original reply',
      ok: retries.length === 0,
      detail: retries.join('\n') || 'every retry got the reply the first attempt was given',
    },
    {
      name: 'split-brain',
      title: 'never two boards serving at once (from the boards’ role logs)',
      ok: splitBrains.length === 0,
      detail: [
        ...splitBrains.map(describe),
        ...(splitBrains.length === 0
          ? [
              `no overlap of serving roles beyond the clocks' skew${result.journalIncomplete ? ' (a journal dropped entries: the check saw less)' : ''}`,
            ]
          : []),
        `${result.overlapsWithinSkew} overlap(s) within the clocks' skew and the relay writes' time, not counted${overlaps.some((o) => o.withinSkew) ? ':' : ''}`,
        ...overlaps.filter((o) => o.withinSkew).map((o) => `  ${describe(o)}`),
        describeSkew(result.clockSkew),
      ].join('\n'),
    },
    {
      name: 'final-state',
      title: 'the final ledger equals the replay of the acknowledged requests',
      ok: final.length === 0,
      detail: final.join('\n') || 'replayed in transaction order across versions: equal',
    },
  ];
}
