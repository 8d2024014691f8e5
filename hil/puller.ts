/**
 * The puller of a HIL failover campaign: powers one board off and on again
 * through the rig, and measures the takeover and the re-form. Power comes
 * back after the surviving board took over (or a while later), and the
 * puller waits for the pair to be whole again.
 *
 * takeoverMs: from the pull of the board that was serving to the first ok
 * reply from the other board (as the demos measure it). reformMs: from the
 * power coming back to one primary and one backup on one version; a board
 * still on trial 5 s after that fails the pull (a reset would revert it).
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BoardStatus } from '../boards/management.ts';
import type { PowerEvent } from '../host/history/history-check.ts';
import { type Answer, type LoadGenerator, waitForAnswer } from '../host/load/load-generator.ts';
import { readBoardStatuses, roleOf, waitForBoards } from '../host/pair/board-watch.ts';
import { isSettled, isWhole } from '../host/pair-whole.ts';
import type { CampaignTarget } from './campaign-target.ts';
import { InfrastructureError } from './infrastructure.ts';

/** How long a pair may take to be whole again after a restore (a switch may still be finishing). */
export const REFORM_TIMEOUT_MS = 40_000;
/** How long the campaign waits for the other board's first reply after pulling the serving one. */
export const TAKEOVER_WAIT_MS = 4000;
/** Until this long after the restore, a re-form counts as "typical" before any was measured. */
const TYPICAL_REFORM_MS_DEFAULT = 1000;

/** How long a board may keep answering once its power was switched off. */
export const SILENCE_AFTER_PULL_MS = 3000;
/** Probes in a row a board must miss to count as off. */
const SILENT_AFTER_MISSED_PROBES = 3;
/**
 * A status request shorter than any a live board needs on the lab: a board
 * that misses it only counts as silent sooner (the check can miss a switch
 * that does nothing, never blame one that works).
 */
const SILENCE_PROBE_MS = 150;
const SILENCE_POLL_MS = 50;

/** How long a whole pair may keep a board on trial (the switch's last step confirms both). */
const CONFIRM_WAIT_MS = 5000;

/** Pulling one board and bringing it back, with the figures. */
export class Puller {
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

  /** Switches the relay; the relay switched between the start and the end of the write. */
  async setPower(processor: 1 | 2, on: boolean): Promise<number> {
    const requested = performance.now();
    await this.target.rig.setPower(processor, on);
    const at = performance.now();
    this.power.push({ processor, atMs: at - this.t0, on, requestedAtMs: requested - this.t0 });
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
    // A switch that does nothing is the rig's failure, not the pair's: find it before the restore.
    const silent = goesSilent(this.target.hosts[processor === 1 ? 0 : 1], SILENCE_AFTER_PULL_MS);
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
    if (!(await silent)) {
      throw new InfrastructureError(
        'power-ineffective',
        `P${processor} kept answering for ${SILENCE_AFTER_PULL_MS} ms after its power was switched off: the power switch does nothing`,
        "check the rig profile (the board's relay pin or power command, its name) and the switch's wiring to the board's supply",
      );
    }
    const restoredAt = await this.setPower(processor, true);
    let reformMs: number | null = null;
    if (!keepReforming) {
      const whole = await waitForBoards(this.target.hosts, isWhole, REFORM_TIMEOUT_MS, 10);
      if (whole === null) {
        const now = await readBoardStatuses(this.target.hosts);
        if (now[processor - 1] === null) {
          throw new InfrastructureError(
            'board-silent',
            `P${processor} never answered in the ${REFORM_TIMEOUT_MS} ms after its power was switched on again: the power-on did nothing, or the board does not start`,
            "check the power-on of the rig (relay or command) and the board's management port",
          );
        }
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

/** Polls `host` until a status request goes unanswered; false if it still answers after `timeoutMs`. */
async function goesSilent(
  host: CampaignTarget['hosts'][number],
  timeoutMs: number,
): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  // One probe unanswered may be a busy machine; a board without power misses them all.
  let missed = 0;
  while (performance.now() < deadline) {
    const answered = await host.request({ op: 'status' }, SILENCE_PROBE_MS).then(
      () => true,
      () => false,
    );
    missed = answered ? 0 : missed + 1;
    if (missed >= SILENT_AFTER_MISSED_PROBES) return true;
    await sleep(SILENCE_POLL_MS);
  }
  return false;
}

function lastOk(answers: readonly Answer[]): Answer | undefined {
  for (let i = answers.length - 1; i >= 0; i--) {
    const answer = answers[i];
    if (answer?.ok) return answer;
  }
  return undefined;
}

export function describeRoles(statuses: readonly (BoardStatus | null)[]): string {
  return statuses
    .map(
      (s, i) =>
        `P${i + 1} ${s === null ? 'silent' : `${roleOf(s) ?? 'no image'} ${s.pair?.version ?? ''}`.trim()}`,
    )
    .join(', ');
}
