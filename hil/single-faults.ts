/**
 * The single-fault table: every fault class (fault-classes.ts) done to a
 * lab pair under client load, several times each, at moments and for
 * lengths drawn from one seed. Each run lets the pair settle and checks the
 * clients' history against the final state, the boards' roles for two
 * serving at once, the longest gap in service, and the takeovers the fault
 * does not explain. One lab serves every run; a run that leaves it unsettled
 * or in doubt gets a fresh one for the next.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { wallClockMs } from '../boards/wall-clock.ts';
import { pairConfig } from '../firmware/runtime/config.ts';
import { nextSeed, seededRandom } from '../firmware/runtime/random.ts';
import {
  findOverlaps,
  type RoleBand,
  roleIntervals,
  roleMarks,
} from '../host/history/history-check.ts';
import type { SafetyCounts } from '../host/history/result-counts.ts';
import { falseTakeovers } from '../host/history/takeover-excuses.ts';
import type { LabClient } from '../host/lab/lab-client.ts';
import { cable } from '../host/lab/lab-config.ts';
import { type LoadRunPair, runUnderLoad } from '../host/load/load-run.ts';
import { readBoardStatuses, roleOf, waitForBoards } from '../host/pair/board-watch.ts';
import type { PairJournalEntry } from '../host/pair/pair-journal.ts';
import { isSettled } from '../host/pair-whole.ts';
import {
  type DoneFault,
  describeFault,
  doFault,
  FAULT_CLASS_NAMES,
  FAULT_CLASSES,
  type FaultClass,
  type FaultLab,
  type PlannedFault,
  planFault,
} from './fault-classes.ts';
import { longestServiceGapMs } from './service-gap.ts';

/** A lab pair the runs can fault: its daemon, its boards' host ports, its directory. */
export interface FaultPair extends LoadRunPair {
  readonly lab: LabClient;
  close(): Promise<void>;
}

/** How long the pair may take to settle after a fault (a rejoin under load on a loaded machine). */
export const SETTLE_TIMEOUT_MS = 40_000;

export interface SingleFaultOptions {
  readonly classes: readonly FaultClass[];
  readonly runs: number;
  readonly seed: number;
  readonly clients: number;
  /** A fresh lab pair, formed and serving. */
  readonly openPair: () => Promise<FaultPair>;
  /** A line per run, for a person watching. */
  readonly log?: (line: string) => void;
  /** Stops after the run under way; the table says it was interrupted. */
  readonly signal?: AbortSignal;
}

/** One fault and what the checks found. */
export interface FaultRunResult extends SafetyCounts {
  readonly class: FaultClass;
  /** 1 to the runs per class. */
  readonly run: number;
  readonly fault: string;
  /** The board the fault was done to, for the classes that pick one by role. */
  readonly processor: 1 | 2 | null;
  /** Overlaps of two serving boards no longer than the clocks' skew: not shown to be split brain. */
  readonly overlapsWithinSkew: number;
  /** The longest time no request was acknowledged, around the fault and the recovery. */
  readonly longestGapMs: number;
  readonly takeovers: number;
  /** Takeovers the fault does not explain. */
  readonly falseTakeovers: number;
  readonly fences: number;
  /** Silences on every path with DSR high that ended without a takeover (the boards' journals). */
  readonly falseSuspicions: number;
  readonly coldStarted: boolean;
  /** What the checks found, as lines (the history's, the settling, a fault that could not be done). */
  readonly violations: readonly string[];
  /** A board dropped journal entries before they were read: the counts from them may be low. */
  readonly journalIncomplete: boolean;
  /** For a run with violations, the boards' journals' last entries: what to look at first. */
  readonly journalTail?: readonly PairJournalEntry[];
}

/** Journal entries kept with a run that found violations. */
const JOURNAL_TAIL_ENTRIES = 60;

/** One row of the table: a class over its runs. */
export interface FaultClassRow extends SafetyCounts {
  readonly class: FaultClass;
  readonly description: string;
  readonly runs: number;
  readonly longestGapMs: number;
  readonly falseTakeovers: number;
  readonly takeovers: number;
  /** Each run's violations, prefixed with the run. */
  readonly violations: readonly string[];
}

export interface SingleFaultTable {
  readonly seed: number;
  readonly runsPerClass: number;
  readonly clients: number;
  /** How long a backup waits on silence alone before it takes over: a stall this long explains one. */
  readonly takeoverAfterMs: number;
  /** Stopped by its signal before every run was done: not a pass. */
  readonly interrupted: boolean;
  readonly classes: readonly FaultClassRow[];
  readonly runs: readonly FaultRunResult[];
  readonly durationS: number;
}

/** Nothing lost, nothing done twice, never two boards serving, and every run checked clean. */
export function isClean(table: SingleFaultTable): boolean {
  return table.classes.every(
    (row) =>
      row.lost === 0 && row.duplicated === 0 && row.splitBrain === 0 && row.violations.length === 0,
  );
}

/** The draws of one class's run: the same seed gives the same fault, whatever else runs. */
function runRandom(seed: number, kind: FaultClass, run: number): () => number {
  const classIndex = FAULT_CLASS_NAMES.indexOf(kind);
  return seededRandom(
    (seed ^ Math.imul(classIndex + 1, 0x9e3779b1) ^ Math.imul(run, 0x85ebca6b)) >>> 0,
  );
}

export async function runSingleFaults(options: SingleFaultOptions): Promise<SingleFaultTable> {
  const log = options.log ?? (() => {});
  const started = performance.now();
  const results: FaultRunResult[] = [];
  let interrupted = false;
  let pair: FaultPair | null = await options.openPair();
  const takeoverAfterMs = pairConfig(1, {
    heartbeatIntervalMs: pair.config.heartbeatIntervalMs,
  }).silenceTakeoverAfterMs;
  try {
    plan: for (const kind of options.classes) {
      for (let run = 1; run <= options.runs; run++) {
        if (options.signal?.aborted) {
          interrupted = true;
          break plan;
        }
        const random = runRandom(options.seed, kind, run);
        const planned = planFault(kind, random);
        const loadSeed = nextSeed(random);
        if (
          pair === null ||
          (await waitForBoards(pair.hosts, isSettled, SETTLE_TIMEOUT_MS)) === null
        ) {
          log('the pair is not settled: starting a fresh lab');
          await pair?.close();
          pair = null;
          pair = await options.openPair();
        }
        const result = await runFault(pair, planned, run, {
          clients: options.clients,
          loadSeed,
          takeoverAfterMs,
        });
        results.push(result);
        log(describeRun(result, options.runs));
        // A run in doubt may have left the lab so: the next one starts afresh.
        if (result.violations.length > 0 || result.coldStarted) {
          await pair.close();
          pair = null;
        }
      }
    }
  } finally {
    await pair?.close();
  }
  return {
    seed: options.seed,
    runsPerClass: options.runs,
    clients: options.clients,
    takeoverAfterMs,
    interrupted,
    classes: options.classes.map((kind) => classRow(kind, results)),
    runs: results,
    durationS: Math.round((performance.now() - started) / 100) / 10,
  };
}

function classRow(kind: FaultClass, results: readonly FaultRunResult[]): FaultClassRow {
  const runs = results.filter((r) => r.class === kind);
  const sum = (of: (r: FaultRunResult) => number) => runs.reduce((n, r) => n + of(r), 0);
  return {
    class: kind,
    description: FAULT_CLASSES[kind],
    runs: runs.length,
    acknowledged: sum((r) => r.acknowledged),
    lost: sum((r) => r.lost),
    duplicated: sum((r) => r.duplicated),
    splitBrain: sum((r) => r.splitBrain),
    longestGapMs: Math.max(0, ...runs.map((r) => r.longestGapMs)),
    falseTakeovers: sum((r) => r.falseTakeovers),
    takeovers: sum((r) => r.takeovers),
    violations: runs.flatMap((r) => r.violations.map((v) => `run ${r.run} (${r.fault}): ${v}`)),
  };
}

/** The lab's side of a fault: its daemon's ops, its processes, its cables. */
function labFaults(pair: FaultPair): FaultLab {
  return {
    async processorIn(role) {
      const statuses = await readBoardStatuses(pair.hosts);
      const index = statuses.findIndex((s) => roleOf(s) === role);
      if (index < 0) throw new Error(`no board is ${role}: the pair was not whole at the fault`);
      return index === 0 ? 1 : 2;
    },
    async power(processor, on) {
      await pair.lab.power(processor, on);
    },
    async boardPid(processor) {
      const board = (await pair.lab.boards()).find((b) => b.processor === processor);
      if (board?.pid == null) throw new Error(`processor ${processor} has no process to stop`);
      return board.pid;
    },
    wiresPid: () => Number(readFileSync(join(pair.config.dir, 'daemon.pid'), 'utf8')),
    async cable(path, direction, faults) {
      await pair.lab.request({ op: 'cable', cable: cable.path(path), direction, faults });
    },
    async restoreCable(path) {
      await pair.lab.request({ op: 'cable', cable: cable.path(path), restore: true });
    },
    async storeFault(processor, operation) {
      await pair.lab.request({ op: 'store-fault-at', board: processor, operation });
    },
    signal(pid, signal) {
      try {
        process.kill(pid, signal);
      } catch (error) {
        // A stopped board that a fence reset meanwhile is gone: nothing to continue.
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH' || signal === 'SIGSTOP') throw error;
      }
    },
    sleep: (ms) => sleep(ms),
  };
}

async function runFault(
  pair: FaultPair,
  planned: PlannedFault,
  run: number,
  options: { clients: number; loadSeed: number; takeoverAfterMs: number },
): Promise<FaultRunResult> {
  const t0 = performance.now();
  const outcome: { done: DoneFault | null; error: string | null } = { done: null, error: null };
  const loadRun = await runUnderLoad(
    pair,
    async () => {
      await sleep(planned.leadMs);
      try {
        outcome.done = await doFault(planned, labFaults(pair), options.takeoverAfterMs);
      } catch (error) {
        outcome.error = `the fault could not be done: ${error instanceof Error ? error.message : String(error)}`;
      }
    },
    { clients: options.clients, seed: options.loadSeed, settleTimeoutMs: SETTLE_TIMEOUT_MS },
  );
  const fault = outcome.done;
  const { journal, load, before } = loadRun;
  const entries = journal.entries;

  // Two boards serving at once, from their journals and the power the fault switched.
  const endMs = loadRun.settledAtMs - t0;
  const power = (fault?.power ?? []).map((p) => ({
    ...p,
    atMs: p.atMs - t0,
    requestedAtMs: (p.requestedAtMs ?? p.atMs) - t0,
  }));
  const marks = roleMarks(entries, power, (atMs) => atMs - wallClockMs(t0), journal.startPowerOn);
  const initial: Record<1 | 2, RoleBand> = {
    1: (roleOf(before[0]) ?? 'unknown') as RoleBand,
    2: (roleOf(before[1]) ?? 'unknown') as RoleBand,
  };
  const overlaps = findOverlaps(roleIntervals(marks, initial, 0, endMs), {
    1: journal.skew[1]?.boundMs ?? null,
    2: journal.skew[2]?.boundMs ?? null,
  });

  const acks = load.answers.filter((a) => a.ok).map((a) => a.atMs);
  const from = fault?.startedAtMs ?? t0 + planned.leadMs;
  const takeovers = entries.filter((e) => e.kind === 'takeover');
  const history = load.history;
  const violations = [
    ...(outcome.error === null ? [] : [outcome.error]),
    ...(loadRun.coldStarted ? ['the pair cold-started: a board held the state'] : []),
    ...loadRun.violations,
  ];
  return {
    class: planned.kind,
    run,
    fault: describeFault(planned),
    processor: fault?.processor ?? null,
    acknowledged: history.acknowledged,
    lost: history.lost,
    duplicated: history.duplicated,
    splitBrain: overlaps.filter((o) => !o.withinSkew).length,
    overlapsWithinSkew: overlaps.filter((o) => o.withinSkew).length,
    longestGapMs: Math.round(longestServiceGapMs(acks, from, loadRun.settledAtMs)),
    takeovers: takeovers.length,
    falseTakeovers: falseTakeovers(entries, fault?.excuses ?? []).length,
    fences: entries.filter((e) => e.kind === 'fence').length,
    falseSuspicions: entries.filter((e) => e.kind === 'false-suspicion').length,
    coldStarted: loadRun.coldStarted,
    violations,
    journalIncomplete: journal.incomplete,
    ...(violations.length === 0
      ? {}
      : { journalTail: [...entries].sort((a, b) => a.atMs - b.atMs).slice(-JOURNAL_TAIL_ENTRIES) }),
  };
}

function describeRun(r: FaultRunResult, runs: number): string {
  const problems = r.violations.length === 0 ? '' : `; ${r.violations.join('; ')}`;
  return `${r.class} ${r.run}/${runs}: ${r.fault}${r.processor === null ? '' : ` (P${r.processor})`}: ${r.acknowledged} acknowledged, ${r.lost} lost, ${r.duplicated} twice, split brain ${r.splitBrain}, gap ${r.longestGapMs} ms, ${r.takeovers} takeover(s) (${r.falseTakeovers} false), ${r.fences} fence(s)${problems}`;
}
