/**
 * A failover campaign: a pair under client load has its power pulled through
 * the rig again and again, at moments drawn from a seed, and every request
 * and reply of the run is checked afterwards.
 *
 * Each pull is one of three kinds:
 * - `load`: the pair is whole and checkpointing under load; after a random
 *   delay the primary (a takeover) or the backup is pulled;
 * - `rejoin`: the board the previous pull restored is pulled again while it
 *   rejoins, during the state transfer (a share of the typical re-form time
 *   after its power came back);
 * - `switch` (scenarios upgrade and mixed): a switch (or fallback) to the
 *   other slot's version starts, and the board that was primary or backup
 *   when it started is pulled as soon as a chosen step (a to i) is seen.
 * Power comes back after the surviving board took over (or a while later),
 * and the campaign waits for the pair to be whole again before the next pull.
 *
 * takeoverMs: from the pull of the board that was serving to the first ok
 * reply from the other board (as the demos measure it). reformMs: from the
 * power coming back to one primary and one backup on one version; a board
 * still on trial 5 s after that fails the pull (a reset would revert it).
 *
 * A cold start after a pull during a switch, of the board that alone held
 * the state (the other had given its copy up for the switch: stopped at
 * ARCHITECTURE step b, rebooting into the other version, joining, or handed
 * over at g, as its journal shows), is a double failure by design: counted
 * apart, with what it lost. Any other cold start is a violation (state
 * lost). The takeover scenario never pulls a board that holds the only copy.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BoardStatus } from '../boards/management.ts';
import { seededRandom } from '../firmware/runtime/random.ts';
import { readBoardStatuses, roleOf, waitForBoards } from '../host/lab/board-watch.ts';
import {
  markServingVersions,
  PairJournal,
  type PairJournalEntry,
} from '../host/lab/pair-journal.ts';
import {
  isSettled,
  runSwitch,
  type StepName,
  SwitchRefusedError,
  type SwitchReport,
} from '../host/lab/switch.ts';
import { readPairState } from '../host/load/final-state.ts';
import { loadLedger } from '../host/load/lab-load.ts';
import {
  type Answer,
  type LoadGenerator,
  type Wait,
  waitForAnswer,
} from '../host/load/load-generator.ts';
import type { Violation } from '../host/simulator/history.ts';
import type { CampaignLoad, CampaignTarget } from './campaign-target.ts';
import {
  findSplitBrains,
  LoggedHistory,
  type PowerEvent,
  type RoleBand,
  type RoleInterval,
  replayHistory,
  roleIntervals,
  roleMarks,
  type SplitBrain,
} from './history-check.ts';
import { type Percentiles, percentiles } from './percentiles.ts';

export type Scenario = 'takeover' | 'upgrade' | 'mixed';
export const SCENARIOS: readonly Scenario[] = ['takeover', 'upgrade', 'mixed'];
export type PullKind = 'load' | 'rejoin' | 'switch';

/** One pull as the seed schedules it; the processor is found at run time from the roles. */
export interface PlannedPull {
  readonly index: number;
  readonly kind: PullKind;
  /** load and switch: the board in this role (at the switch's start); rejoin: the board coming back. */
  readonly victim: 'primary' | 'backup' | 'joiner';
  /** load: time under load with the pair whole before the pull. */
  readonly delayMs: number;
  /** rejoin: when to pull, as a share of the typical re-form time after the restore. */
  readonly rejoinShare: number;
  /** switch: pull once this step is seen. */
  readonly step: StepName;
  /** How long the board stays off after the takeover (or after the pull, for a backup). */
  readonly offMs: number;
}

const SWITCH_STEPS: readonly StepName[] = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'];
/** Drawn per pull, whatever its kind, so a seed gives the same schedule for any pull count. */
const DRAWS_PER_PULL = 6;

/** The schedule of `count` pulls for `seed`: the same seed gives the same schedule. */
export function planPulls(seed: number, count: number, scenario: Scenario): PlannedPull[] {
  const plan: PlannedPull[] = [];
  const random = seededRandom(seed);
  for (let index = 0; index < count; index++) {
    const draws = Array.from({ length: DRAWS_PER_PULL }, () => random());
    const [kindDraw, victimDraw, delayDraw, shareDraw, stepDraw, offDraw] = draws as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const previous = plan[index - 1]?.kind;
    // A rejoin needs a board the previous pull restored, outside a switch.
    const canRejoin = previous === 'load' || previous === 'rejoin';
    let kind: PullKind;
    if (scenario === 'takeover') kind = canRejoin && kindDraw < 0.3 ? 'rejoin' : 'load';
    else if (scenario === 'upgrade') kind = kindDraw < 0.7 ? 'switch' : 'load';
    else if (canRejoin && kindDraw < 0.2) kind = 'rejoin';
    else kind = kindDraw < 0.6 ? 'switch' : 'load';
    const victim =
      kind === 'rejoin'
        ? 'joiner'
        : victimDraw < (kind === 'load' ? 0.7 : 0.5)
          ? 'primary'
          : 'backup';
    plan.push({
      index,
      kind,
      victim,
      delayMs: Math.round(200 + delayDraw * 1300),
      rejoinShare: Math.round(shareDraw * 100) / 100,
      step: SWITCH_STEPS[Math.floor(stepDraw * SWITCH_STEPS.length)] ?? 'a',
      offMs: Math.round(100 + offDraw * 700),
    });
  }
  return plan;
}

/** What happened to one pull. Times are ms since the campaign started. */
export interface PullRecord {
  readonly index: number;
  readonly kind: PullKind;
  readonly victim: PlannedPull['victim'];
  readonly processor: 1 | 2;
  /** The step the pull followed (switch pulls). */
  readonly step: StepName | null;
  /** The pulled board had served the last reply before the pull. */
  readonly wasServing: boolean;
  readonly pulledAtMs: number;
  readonly restoredAtMs: number;
  /** Pull to the other board's first ok reply; only where the pulled board was serving. */
  readonly takeoverMs: number | null;
  /** Restore to the pair whole; null when the next pull came first (rejoin) or it never re-formed. */
  readonly reformMs: number | null;
  /** ok; double-failure (by design, not a pass); failed (see detail). */
  readonly outcome: 'ok' | 'double-failure' | 'failed';
  readonly detail: string;
  readonly switch: {
    readonly from: string;
    readonly to: string;
    readonly ok: boolean;
    readonly failedStep: StepName | null;
  } | null;
}

export interface CampaignResult {
  readonly seed: number;
  readonly rig: string;
  readonly scenario: Scenario;
  readonly pulls: number;
  readonly acknowledged: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly splitBrain: number;
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
  /** Each answered request's wait, when its answer came. */
  readonly waits: readonly Wait[];
  /** The run's invariants, each held or not, with what broke it. */
  readonly invariants: readonly Invariant[];
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
  /** Stops after the pull under way; the run is still checked and reported. */
  readonly signal?: AbortSignal;
}

/** How long a pair may take to be whole again after a restore (a switch may still be finishing). */
export const REFORM_TIMEOUT_MS = 40_000;
/** How long the campaign waits for the other board's first reply after pulling the serving one. */
export const TAKEOVER_WAIT_MS = 4000;
/** Until this long after the restore, a re-form counts as "typical" before any was measured. */
const TYPICAL_REFORM_MS_DEFAULT = 1000;
const CLIENTS_DEFAULT = 8;
/** The switch runner's poll: often, so a pull lands close to the step it follows. */
const SWITCH_POLL_MS = 5;
/**
 * How long the switch runner watches. A switch cut short by a pull may end
 * with neither `done` nor a failed step, and the runner would wait out its
 * whole time; the campaign waits for the re-form itself, so this only has
 * to cover a switch reaching its last step (about a second on the lab).
 */
const SWITCH_WATCH_MS = 10_000;

/** How long a whole pair may keep a board on trial (the switch's last step confirms both). */
const CONFIRM_WAIT_MS = 5000;

/**
 * Re-formed: one primary and one backup on one version. (Neither on trial
 * as well is `isSettled`; a board left on trial is reported on its own.)
 */
export function isWhole(statuses: readonly (BoardStatus | null)[]): boolean {
  const pairs = statuses.map((s) => s?.pair ?? null);
  const roles = pairs.map((p) => p?.role).sort();
  return roles[0] === 'backup' && roles[1] === 'primary' && pairs[0]?.version === pairs[1]?.version;
}

/** The campaign could not go on (the pair never re-formed); the run is still checked. */
class CampaignStuck extends Error {}

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
  const startedAt = new Date().toISOString();

  if (options.scenario !== 'takeover') {
    log('putting the version to switch to into both boards’ other slots');
    await target.prepareSwitch();
  }
  const first = await waitForBoards(hosts, isSettled, REFORM_TIMEOUT_MS);
  if (first === null) throw new Error('the pair is not whole (one primary, one backup): no run');
  const t0 = performance.now();
  const rel = (ms: number) => ms - t0;
  const fromJournal = (atMs: number) => atMs - performance.timeOrigin - t0;
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
          log('stopped: no more pulls');
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
      return (before?.atMs ?? at) + t0;
    });
    const checked = replayHistory(history.log, epochStarts, loadLedger);
    const marks = roleMarks(journal.entries, power, fromJournal);
    const roles = roleIntervals(marks, initial, 0, endMs);
    const splitBrains = findSplitBrains(roles);
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
      acknowledged: checked.acknowledged,
      lost: checked.lost,
      duplicated: checked.duplicated,
      splitBrain: splitBrains.length,
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
      waits: load.waits.map((w) => ({ atMs: rel(w.atMs), waitedMs: w.waitedMs })),
      invariants: invariants(checked.violations, splitBrains, result, finalChecked),
    };
  } finally {
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

function formatViolation(v: Violation): string {
  return `${v.kind}: ${v.detail}`;
}

function invariants(
  violations: readonly Violation[],
  splitBrains: readonly SplitBrain[],
  result: CampaignResult,
  finalChecked: boolean,
): Invariant[] {
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
      detail:
        splitBrains
          .map(
            (s) =>
              `P1 ${s.intervals[0].band} and P2 ${s.intervals[1].band} from ${s.fromMs.toFixed(1)} to ${s.toMs.toFixed(1)} ms`,
          )
          .join('\n') ||
        `no overlap of serving roles${result.journalIncomplete ? ' (a journal dropped entries: the check saw less)' : ''}`,
    },
    {
      name: 'final-state',
      title: 'the final ledger equals the replay of the acknowledged requests',
      ok: final.length === 0,
      detail: final.join('\n') || 'replayed in transaction order across versions: equal',
    },
  ];
}

export function describePull(record: PullRecord, of: number): string {
  const what =
    record.kind === 'switch'
      ? `during ${record.switch ? `${record.switch.from}->${record.switch.to}` : 'a switch'} after step ${record.step}`
      : record.kind === 'rejoin'
        ? 'while rejoining'
        : 'under load';
  const figures = [
    record.takeoverMs !== null ? `takeover ${record.takeoverMs.toFixed(1)} ms` : null,
    record.reformMs !== null ? `re-formed ${record.reformMs.toFixed(0)} ms` : null,
  ].filter((x) => x !== null);
  return `pull ${record.index + 1}/${of} ${what}: P${record.processor} (${record.victim}${record.wasServing ? ', serving' : ''}) ${record.outcome}${figures.length ? `; ${figures.join(', ')}` : ''}${record.outcome === 'ok' ? '' : `: ${record.detail}`}`;
}

/** Pulling one board and bringing it back, with the figures. */
class Puller {
  /** Re-form times so far, for the "typical" rejoin window. */
  readonly reforms: number[] = [];

  constructor(
    readonly target: CampaignTarget,
    readonly load: LoadGenerator,
    readonly power: PowerEvent[],
    readonly t0: number,
    readonly log: (line: string) => void,
  ) {}

  get typicalReformMs(): number {
    if (this.reforms.length === 0) return TYPICAL_REFORM_MS_DEFAULT;
    const sorted = [...this.reforms].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? TYPICAL_REFORM_MS_DEFAULT;
  }

  async setPower(processor: 1 | 2, on: boolean): Promise<number> {
    await this.target.rig.setPower(processor, on);
    const at = performance.now();
    this.power.push({ processor, atMs: at - this.t0, on });
    return at;
  }

  /**
   * Pulls `processor`, waits for the other board's takeover (if the pulled
   * one was serving) or `offMs`, restores power and, unless `keepReforming`,
   * waits for the pair to be whole.
   */
  async pullAndRestore(
    processor: 1 | 2,
    offMs: number,
    keepReforming: boolean,
  ): Promise<{
    pulledAt: number;
    restoredAt: number;
    wasServing: boolean;
    takeoverMs: number | null;
    reformMs: number | null;
    problem: string | null;
  }> {
    const survivor: 0 | 1 = processor === 1 ? 1 : 0;
    const lastServer = lastOk(this.load.answers);
    const wasServing = lastServer?.board === processor - 1;
    const answersBefore = this.load.answers.length;
    const pulledAt = await this.setPower(processor, false);
    let takeoverMs: number | null = null;
    let problem: string | null = null;
    if (wasServing) {
      const answer = await waitForAnswer(
        this.load.answers,
        answersBefore,
        (a) => a.ok && a.board === survivor && a.atMs > pulledAt,
        TAKEOVER_WAIT_MS,
      );
      if (answer !== undefined) takeoverMs = answer.atMs - pulledAt;
      await sleep(offMs);
    } else {
      await sleep(offMs);
    }
    const restoredAt = await this.setPower(processor, true);
    let reformMs: number | null = null;
    if (!keepReforming) {
      const whole = await waitForBoards(this.target.hosts, isWhole, REFORM_TIMEOUT_MS, 10);
      if (whole === null) {
        const now = await readBoardStatuses(this.target.hosts);
        problem = `the pair did not re-form within ${REFORM_TIMEOUT_MS} ms (${describeRoles(now)})`;
      } else {
        reformMs = performance.now() - restoredAt;
        this.reforms.push(reformMs);
        // Whole on an image still on trial is the last moment of a switch; it must not last.
        const confirmed = await waitForBoards(this.target.hosts, isSettled, CONFIRM_WAIT_MS, 10);
        if (confirmed === null) {
          const now = await readBoardStatuses(this.target.hosts);
          const trial = now.flatMap((st, i) => (st?.pair?.testMode ? [`P${i + 1}`] : []));
          problem = `the pair is whole (${describeRoles(now)}) but ${trial.join(' and ') || 'a board'} still runs its image on trial, unconfirmed, ${CONFIRM_WAIT_MS} ms on: a reset would take it back to the other slot`;
        }
      }
    }
    return { pulledAt, restoredAt, wasServing, takeoverMs, reformMs, problem };
  }
}

function lastOk(answers: readonly Answer[]): Answer | undefined {
  for (let i = answers.length - 1; i >= 0; i--) {
    const answer = answers[i];
    if (answer?.ok) return answer;
  }
  return undefined;
}

function describeRoles(statuses: readonly (BoardStatus | null)[]): string {
  return statuses
    .map(
      (s, i) =>
        `P${i + 1} ${s === null ? 'silent' : `${roleOf(s) ?? 'no image'} ${s.pair?.version ?? ''}`.trim()}`,
    )
    .join(', ');
}

interface PullContext {
  readonly pulling: Puller;
  readonly hosts: CampaignTarget['hosts'];
  readonly load: LoadGenerator;
  /** The board the previous pull restored, and when (performance.now()). */
  readonly restoredLast: { processor: 1 | 2; atMs: number } | null;
  /** The next pull is a rejoin: do not wait for the pair to re-form after this one. */
  readonly keepReforming: boolean;
  readonly log: (line: string) => void;
}

async function runPull(planned: PlannedPull, context: PullContext): Promise<PullRecord> {
  if (planned.kind === 'rejoin' && context.restoredLast !== null) {
    return rejoinPull(planned, context, context.restoredLast);
  }
  if (planned.kind === 'switch') {
    const during = await switchPull(planned, context);
    if (during !== null) return during;
  }
  return loadPull(planned, context);
}

/** The processor in `role` once the pair is whole. */
async function wholePair(context: PullContext): Promise<(BoardStatus | null)[]> {
  const whole = await waitForBoards(context.hosts, isWhole, REFORM_TIMEOUT_MS, 10);
  if (whole === null) {
    const now = await readBoardStatuses(context.hosts);
    throw new CampaignStuck(`the pair is not whole (${describeRoles(now)})`);
  }
  return whole;
}

function processorIn(statuses: readonly (BoardStatus | null)[], role: string): 1 | 2 {
  return roleOf(statuses[0]) === role ? 1 : 2;
}

async function loadPull(planned: PlannedPull, context: PullContext): Promise<PullRecord> {
  await wholePair(context);
  await sleep(planned.delayMs);
  // Still whole (nothing else pulls), and the roles are read again right before the pull.
  const whole = await wholePair(context);
  const role = planned.victim === 'backup' ? 'backup' : 'primary';
  const processor = processorIn(whole, role);
  const done = await context.pulling.pullAndRestore(
    processor,
    planned.offMs,
    context.keepReforming,
  );
  return record(planned, 'load', role, processor, null, done, null, context);
}

async function rejoinPull(
  planned: PlannedPull,
  context: PullContext,
  restored: { processor: 1 | 2; atMs: number },
): Promise<PullRecord> {
  const at = restored.atMs + planned.rejoinShare * context.pulling.typicalReformMs;
  await sleep(Math.max(0, at - performance.now()));
  const done = await context.pulling.pullAndRestore(
    restored.processor,
    planned.offMs,
    context.keepReforming,
  );
  const sinceRestore = done.pulledAt - restored.atMs;
  return record(planned, 'rejoin', 'joiner', restored.processor, null, done, null, context, [
    `${sinceRestore.toFixed(0)} ms after its power came back`,
  ]);
}

/** A pull during a switch; null when the switch could not start or the step never came (a load pull follows). */
async function switchPull(planned: PlannedPull, context: PullContext): Promise<PullRecord | null> {
  const whole = await wholePair(context);
  const role = planned.victim === 'backup' ? 'backup' : 'primary';
  const processor = processorIn(whole, role);
  const pulled: { promise: ReturnType<Puller['pullAndRestore']> | null } = { promise: null };
  let report: SwitchReport;
  try {
    report = await runSwitch(context.hosts, {
      direction: 'either',
      pollMs: SWITCH_POLL_MS,
      timeoutMs: SWITCH_WATCH_MS,
      onStep: (step) => {
        if (step.step === planned.step && step.ok && pulled.promise === null) {
          pulled.promise = context.pulling.pullAndRestore(
            processor,
            planned.offMs,
            context.keepReforming,
          );
        }
      },
    });
  } catch (error) {
    if (!(error instanceof SwitchRefusedError)) throw error;
    context.log(
      `pull ${planned.index + 1}: the switch was refused (${error.message}); pulling under load instead`,
    );
    return null;
  }
  const done = await pulled.promise;
  const summary = {
    from: report.from,
    to: report.to,
    ok: report.ok,
    failedStep: report.failedStep,
  };
  if (done === null) {
    context.log(
      `pull ${planned.index + 1}: step ${planned.step} of ${report.from}->${report.to} never came (${report.ok ? 'switch ok' : `failed at ${report.failedStep}`}); pulling under load instead`,
    );
    return null;
  }
  return record(planned, 'switch', role, processor, planned.step, done, summary, context, [
    `switch ${report.from}->${report.to} ${report.ok ? 'finished' : `stopped at ${report.failedStep}: ${report.failure}`}`,
  ]);
}

function record(
  planned: PlannedPull,
  kind: PullKind,
  victim: PlannedPull['victim'],
  processor: 1 | 2,
  step: StepName | null,
  done: Awaited<ReturnType<Puller['pullAndRestore']>>,
  switched: PullRecord['switch'],
  context: PullContext,
  notes: readonly string[] = [],
): PullRecord {
  const t0 = context.pulling.t0;
  const problems: string[] = [];
  if (done.problem !== null) problems.push(done.problem);
  // A serving board pulled outside a switch always leaves a backup holding the state.
  if (done.wasServing && done.takeoverMs === null && kind !== 'switch') {
    problems.push(
      `no reply from P${processor === 1 ? 2 : 1} within ${TAKEOVER_WAIT_MS} ms of the pull: no takeover`,
    );
  }
  return {
    index: planned.index,
    kind,
    victim,
    processor,
    step,
    wasServing: done.wasServing,
    pulledAtMs: done.pulledAt - t0,
    restoredAtMs: done.restoredAt - t0,
    takeoverMs: done.takeoverMs,
    reformMs: done.reformMs,
    outcome: problems.length > 0 ? 'failed' : 'ok',
    detail: [...notes, ...problems].join('; ') || 'ok',
    switch: switched,
  };
}
