/**
 * The three kinds of pull in a HIL failover campaign, and what each records:
 * - `load`: the pair is whole and checkpointing under load; after a random
 *   delay the primary (a takeover) or the backup is pulled;
 * - `rejoin`: the board the previous pull restored is pulled again while it
 *   rejoins, during the state transfer (a share of the typical re-form time
 *   after its power came back);
 * - `switch` (scenarios upgrade and mixed): a switch (or fallback) to the
 *   other slot's version starts, and the board that was primary or backup
 *   when it started is pulled as soon as a chosen step (a to i) is seen.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BoardStatus } from '../boards/management.ts';
import type { LoadGenerator } from '../host/load/load-generator.ts';
import { readBoardStatuses, roleOf, waitForBoards } from '../host/pair/board-watch.ts';
import { runSwitch, SwitchRefusedError, type SwitchReport } from '../host/pair/switch.ts';
import { isWhole } from '../host/pair-whole.ts';
import type { SwitchStepName } from '../host/switch-procedure.ts';
import type { CampaignTarget } from './campaign-target.ts';
import type { PlannedPull, PullKind } from './pull-schedule.ts';
import { describeRoles, type Puller, REFORM_TIMEOUT_MS, TAKEOVER_WAIT_MS } from './puller.ts';

/** What happened to one pull. Times are ms since the campaign started. */
export interface PullRecord {
  readonly index: number;
  readonly kind: PullKind;
  readonly victim: PlannedPull['victim'];
  readonly processor: 1 | 2;
  /** The step the pull followed (switch pulls). */
  readonly step: SwitchStepName | null;
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
    readonly failedStep: SwitchStepName | null;
  } | null;
}

/** The switch runner's poll: often, so a pull lands close to the step it follows. */
const SWITCH_POLL_MS = 5;
/**
 * How long the switch runner watches. A switch cut short by a pull may end
 * with neither `done` nor a failed step, and the runner would wait out its
 * whole time; the campaign waits for the re-form itself, so this only has
 * to cover a switch reaching its last step (about a second on the lab).
 */
const SWITCH_WATCH_MS = 10_000;

/** The campaign could not go on (the pair never re-formed); the run is still checked. */
export class CampaignStuck extends Error {}

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

export interface PullContext {
  readonly pulling: Puller;
  readonly hosts: CampaignTarget['hosts'];
  readonly load: LoadGenerator;
  /** The board the previous pull restored, and when (performance.now()). */
  readonly restoredLast: { processor: 1 | 2; atMs: number } | null;
  /** The next pull is a rejoin: do not wait for the pair to re-form after this one. */
  readonly keepReforming: boolean;
  readonly log: (line: string) => void;
}

export async function runPull(planned: PlannedPull, context: PullContext): Promise<PullRecord> {
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
  step: SwitchStepName | null,
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
