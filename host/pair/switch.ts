/**
 * The host's side of an online replacement (ARCHITECTURE.md, "The online
 * replacement"): it asks the primary to switch to the image in the other
 * slot, follows the steps the two boards record in their journals, and
 * reports success with the figures, or the step that failed and the state
 * the pair was left in. The boards run the procedure; the host only watches,
 * so a host that disconnects mid-switch changes nothing.
 */

import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { compareVersions } from '../../boards/image/version-order.ts';
import type { JournalEntry } from '../../boards/journal.ts';
import type { BoardStatus } from '../../boards/management.ts';
import { wallClockMs } from '../../boards/wall-clock.ts';
import { whyText } from '../../firmware/reasons.ts';
import { SWITCH_BOOT_LIMIT_MAX_MS } from '../../firmware/runtime/switch-procedure.ts';
import { isSettled } from '../pair-whole.ts';
import { SWITCH_STEPS, type SwitchStepName, switchStepRank } from '../switch-procedure.ts';
import { type BoardClient, BoardNotAnsweringError, BoardRefusedError } from './board-client.ts';
import { readBoardStatuses, readBoardStatusesPatiently } from './board-watch.ts';
import { JournalReader } from './journal-reader.ts';

export interface SwitchStep {
  readonly step: SwitchStepName;
  readonly processor: 1 | 2;
  readonly ok: boolean;
  readonly detail: string;
  /** Since the switch command was sent. */
  readonly atMs: number;
}

export interface BoardSummary {
  readonly processor: 1 | 2;
  /** Null when the board did not answer. */
  readonly role: string | null;
  readonly version: string | null;
  readonly testMode: boolean;
  readonly slots: BoardStatus['slots'];
}

export interface SwitchReport {
  readonly ok: boolean;
  readonly from: string;
  readonly to: string;
  /** The step that failed, when one did. */
  readonly failedStep: SwitchStepName | null;
  readonly failure: string | null;
  readonly steps: readonly SwitchStep[];
  /** How long new requests were held: from the handshake (e) to the new primary serving (g). */
  readonly holdMs: number | null;
  /** How long one board served alone: from the backup stopping (b) to the pair being whole again. */
  readonly withoutBackupMs: number | null;
  readonly totalMs: number;
  /** Each board at the end: the pair settled on one version (or the time ran out). */
  readonly boards: readonly BoardSummary[];
  /** Both boards run one version, one primary and one backup, nothing on trial. */
  readonly settled: boolean;
}

export class SwitchRefusedError extends Error {
  readonly switchRefused = true;
  override name = 'SwitchRefusedError';
}

export interface SwitchOptions {
  /** Switch only if the other slot holds this version (or a version starting with it, as `1` for 1.0.0). */
  readonly to?: string;
  /** A fallback goes only to an older version, an upgrade only to a newer one. */
  readonly direction?: 'newer' | 'older' | 'either';
  /** Called as each step is seen, for live output. */
  readonly onStep?: (step: SwitchStep) => void;
  /** How long a board that does not answer status is asked again before the switch is refused for it (STATUS_PATIENCE_MS). */
  readonly statusPatienceMs?: number;
  /** Give up waiting for the pair to settle after this long. */
  readonly timeoutMs?: number;
  readonly pollMs?: number;
}

/**
 * How long the host watches a switch for the pair to settle: longer than the
 * boards may wait for the new version to boot (SWITCH_BOOT_LIMIT_MAX_MS), with
 * room for the big checkpoint and the old processor's own boot after it.
 */
export const SWITCH_TIMEOUT_MS = SWITCH_BOOT_LIMIT_MAX_MS + 30_000;
const POLL_MS = 20;

/**
 * Runs a switch on the pair whose host ports are `boards` (processor 1 then 2).
 * Throws SwitchRefusedError when it cannot start (nothing changed); otherwise
 * resolves with the report, whether the switch succeeded or failed.
 */
export async function runSwitch(
  boards: readonly [BoardClient, BoardClient],
  options: SwitchOptions = {},
): Promise<SwitchReport> {
  // A board that misses a read is asked again before the switch is refused for it.
  const statuses = await readBoardStatusesPatiently(boards, options.statusPatienceMs);
  const plan = planSwitch(statuses, options.to, options.direction ?? 'either');
  const readers = boards.map((board) => new JournalReader(board));
  await Promise.all(readers.map((reader) => reader.skipToEnd()));

  const started = performance.now();
  const startedWallMs = wallClockMs(started);
  try {
    await boards[plan.primary - 1]?.request({ op: 'switch' });
  } catch (error) {
    if (error instanceof BoardRefusedError) throw new SwitchRefusedError(error.message);
    // No answer: the primary may have started and then lost power. The journals tell.
    if (!(error instanceof BoardNotAnsweringError)) throw error;
  }

  const steps: SwitchStep[] = [];
  const seen = (entry: JournalEntry, processor: 1 | 2) => {
    if (entry.kind !== 'switch') return;
    const step: SwitchStep = {
      step: entry.step,
      processor,
      ok: entry.ok,
      detail: whyText(entry),
      atMs: entry.atMs - startedWallMs,
    };
    steps.push(step);
    options.onStep?.(step);
  };
  const deadline = started + (options.timeoutMs ?? SWITCH_TIMEOUT_MS);
  let last: (BoardStatus | null)[] = statuses;
  let settled = false;
  // Both boards' new entries, in the procedure's order: the two boards'
  // clocks agree only to a millisecond or so, and steps can be that close.
  const collect = async (read: (reader: JournalReader) => Promise<JournalEntry[]>) => {
    const fresh: [JournalEntry, 1 | 2][] = [];
    for (const [index, reader] of readers.entries()) {
      for (const entry of await read(reader)) fresh.push([entry, index === 0 ? 1 : 2]);
    }
    fresh.sort(([a], [b]) => stepRank(a) - stepRank(b) || a.atMs - b.atMs);
    for (const [entry, processor] of fresh) seen(entry, processor);
  };
  while (performance.now() < deadline) {
    await collect((reader) => reader.read());
    last = await readBoardStatuses(boards);
    // Over when a board said so, or when the pair is whole again after a board restarted
    // (a pull can take the board that would have said what happened).
    const finished =
      steps.some((s) => (s.step === 'done' && s.ok) || !s.ok) || restarted(statuses, last);
    settled = isSettled(last);
    if (finished && settled) break;
    await sleep(options.pollMs ?? POLL_MS);
  }
  // What the boards recorded between the last read and the status that ended the watch,
  // all of it: a busy board missing this read would leave steps out of the report.
  await collect((reader) => reader.readToEnd());
  steps.sort((a, b) => switchStepRank(a.step) - switchStepRank(b.step) || a.atMs - b.atMs);
  return report(plan, steps, last, settled, performance.now() - started);
}

function stepRank(entry: JournalEntry): number {
  return entry.kind === 'switch' ? switchStepRank(entry.step) : -1;
}

interface SwitchPlan {
  readonly primary: 1 | 2;
  readonly from: string;
  readonly to: string;
}

function planSwitch(
  statuses: readonly (BoardStatus | null)[],
  to: string | undefined,
  direction: 'newer' | 'older' | 'either',
): SwitchPlan {
  statuses.forEach((status, index) => {
    if (status === null) {
      throw new SwitchRefusedError(`processor ${index + 1} does not answer: a switch needs both`);
    }
  });
  const index = statuses.findIndex((s) => s?.pair?.role === 'primary');
  const primary = statuses[index];
  if (primary?.pair == null) {
    const roles = statuses.map((s, i) => `P${i + 1} ${s?.pair?.role ?? 'no image'}`).join(', ');
    throw new SwitchRefusedError(
      `no primary with a backup (${roles}): a switch needs a whole pair`,
    );
  }
  const other = primary.slots.find((slot) => !slot.active);
  const target = other?.status === 'valid' ? other.version : null;
  if (target === null) {
    throw new SwitchRefusedError(
      `processor ${index + 1}'s other slot holds no valid image: \`tandem push\` one first`,
    );
  }
  if (to !== undefined && target !== to && !target.startsWith(`${to}.`)) {
    throw new SwitchRefusedError(
      `the other slot holds ${target}, not ${to}: push ${to} first or leave --to out`,
    );
  }
  const from = primary.pair.version;
  const order = compareVersions(target, from);
  if (direction === 'older' && order >= 0) {
    throw new SwitchRefusedError(
      `the other slot holds ${target}, not an older version than the running ${from}: nothing to fall back to`,
    );
  }
  if (direction === 'newer' && order <= 0) {
    throw new SwitchRefusedError(
      `the other slot holds ${target}, not a newer version than the running ${from}: use \`tandem fallback\``,
    );
  }
  return { primary: index === 0 ? 1 : 2, from, to: target };
}

function restarted(
  before: readonly (BoardStatus | null)[],
  now: readonly (BoardStatus | null)[],
): boolean {
  return now.some((status, index) => {
    const was = before[index]?.bootCount;
    return status !== null && was !== undefined && status.bootCount !== was;
  });
}

function report(
  plan: SwitchPlan,
  steps: readonly SwitchStep[],
  statuses: readonly (BoardStatus | null)[],
  settled: boolean,
  totalMs: number,
): SwitchReport {
  const at = (name: SwitchStepName) => steps.find((s) => s.step === name && s.ok)?.atMs;
  const failed = steps.find((s) => !s.ok);
  const done = at('done');
  let failedStep: SwitchStepName | null = failed?.step ?? null;
  let failure = failed?.detail ?? null;
  if (failed === undefined && done === undefined) {
    // No board said what went wrong (one lost power, say): name the first step not reached.
    failedStep = nextStep(steps);
    failure = settled
      ? `the pair settled without finishing step ${failedStep}`
      : `the pair did not settle within ${Math.round(totalMs)} ms`;
  }
  const e = at('e');
  const g = at('g');
  const b = at('b');
  const whole = done ?? (settled && b !== undefined ? totalMs : undefined);
  return {
    ok: failedStep === null && settled,
    from: plan.from,
    to: plan.to,
    failedStep,
    failure: failedStep === null && !settled ? 'the pair did not settle' : failure,
    steps,
    holdMs: e !== undefined && g !== undefined ? g - e : null,
    withoutBackupMs: b !== undefined && whole !== undefined ? whole - b : null,
    totalMs,
    boards: statuses.map((status, index) => summarise(status, index === 0 ? 1 : 2)),
    settled,
  };
}

function nextStep(steps: readonly SwitchStep[]): SwitchStepName {
  const reached = new Set(steps.filter((s) => s.ok).map((s) => s.step));
  return SWITCH_STEPS.find((name) => !reached.has(name)) ?? 'done';
}

function summarise(status: BoardStatus | null, processor: 1 | 2): BoardSummary {
  return {
    processor,
    role: status?.pair?.role ?? null,
    version: status?.pair?.version ?? null,
    testMode: status?.pair?.testMode ?? false,
    slots: status?.slots ?? [],
  };
}
