/**
 * `checkRig`: is the rig wired as its profile says? For each board in turn:
 * both relays on and both boards answering; this board's relay off, and it
 * must go silent while the other keeps answering; relay on again, and it must
 * answer again. What a board does with its relay on and off tells the
 * fault apart: a swapped contact (normally-open vs closed), a relay on the
 * wrong board, a relay that switches nothing.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Rig } from './rig.ts';

/** Anything that answers a board's status request, or fails when the board is silent. */
export interface StatusSource {
  request(request: { op: 'status' }, timeoutMs?: number): Promise<unknown>;
}

export type RigProblem =
  | {
      /** With its relay on the board never answered, with it off it did: the contact is backwards. */
      readonly code: 'contact-backwards';
      readonly processor: 1 | 2;
      readonly message: string;
    }
  | {
      /** The board kept answering with its relay off. */
      readonly code: 'stayed-powered';
      readonly processor: 1 | 2;
      readonly message: string;
    }
  | {
      /** The board answered neither with its relay on nor off. */
      readonly code: 'never-answers';
      readonly processor: 1 | 2;
      readonly message: string;
    }
  | {
      /** Switching this board's relay off silenced the other board. */
      readonly code: 'cut-other';
      readonly processor: 1 | 2;
      readonly message: string;
    }
  | {
      /** The board did not answer again after its relay was switched back on. */
      readonly code: 'not-restored';
      readonly processor: 1 | 2;
      readonly message: string;
    }
  | {
      /** The rig itself failed: no relay controller, a pin it does not have, a power command that failed. */
      readonly code: 'rig';
      readonly message: string;
    };

/**
 * What each problem says on its own: a finding about the wiring the profile
 * describes, or infrastructure that could not be driven or reached (a switch
 * that does nothing, a board that never answers, a rig that fails).
 */
export const PROBLEM_CLASS: Readonly<Record<RigProblem['code'], 'finding' | 'infrastructure'>> = {
  'contact-backwards': 'finding',
  'cut-other': 'finding',
  'stayed-powered': 'infrastructure',
  'never-answers': 'infrastructure',
  'not-restored': 'infrastructure',
  rig: 'infrastructure',
};

/**
 * The check's outcome. A rig that failed checked nothing. Otherwise any
 * finding means the switches did act, wrongly for the profile (a board that
 * stayed powered beside one that was cut is a pair of swapped pins), so the
 * profile is at fault; problems of the infrastructure alone mean a switch
 * that does nothing or a board that cannot be reached.
 */
export function checkOutcome(result: RigCheckResult): 'pass' | 'findings' | 'infrastructure' {
  if (result.problems.some((p) => p.code === 'rig')) return 'infrastructure';
  if (result.problems.some((p) => PROBLEM_CLASS[p.code] === 'finding')) return 'findings';
  return result.problems.length === 0 ? 'pass' : 'infrastructure';
}

export interface BoardFinding {
  readonly processor: 1 | 2;
  readonly answersWithRelayOn: boolean;
  readonly answersWithRelayOff: boolean;
  /** Whether the other board kept answering while this one's relay was off. */
  readonly otherKeptAnswering: boolean;
  readonly answersAfterRestore: boolean;
}

export interface RigCheckResult {
  readonly ok: boolean;
  readonly rig: string;
  readonly boards: readonly BoardFinding[];
  readonly problems: readonly RigProblem[];
}

export interface CheckOptions {
  /** How long a board may take to answer after its power comes on (boot). */
  readonly bootTimeoutMs?: number;
  /** How long a board may keep answering after its power goes off. */
  readonly silenceTimeoutMs?: number;
  /** Progress lines, e.g. to stderr. */
  readonly log?: (line: string) => void;
}

export const BOOT_TIMEOUT_MS_DEFAULT = 20_000;
export const SILENCE_TIMEOUT_MS_DEFAULT = 3000;
const STATUS_TIMEOUT_MS = 500;
const POLL_MS = 50;

type Answers = readonly [boolean, boolean];

async function answers(boards: readonly [StatusSource, StatusSource]): Promise<Answers> {
  const one = (board: StatusSource) =>
    board
      .request({ op: 'status' }, STATUS_TIMEOUT_MS)
      .then(() => true)
      .catch(() => false);
  const [a, b] = await Promise.all([one(boards[0]), one(boards[1])]);
  return [a, b];
}

/** Polls until `done` holds or `timeoutMs` passes; the last answers either way. */
async function settle(
  boards: readonly [StatusSource, StatusSource],
  done: (a: Answers) => boolean,
  timeoutMs: number,
): Promise<Answers> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const now = await answers(boards);
    if (done(now) || performance.now() > deadline) return now;
    await sleep(POLL_MS);
  }
}

const other = (processor: 1 | 2): 1 | 2 => (processor === 1 ? 2 : 1);
const at = (a: Answers, processor: 1 | 2): boolean => a[processor - 1] ?? false;

/**
 * Pulls each board in turn through `rig` and watches `boards` (their host
 * ports, P1 then P2). Leaves both relays on. Throws only what the rig throws
 * while switching (a controller that went away).
 */
export async function checkRig(
  rig: Rig,
  boards: readonly [StatusSource, StatusSource],
  options: CheckOptions = {},
): Promise<RigCheckResult> {
  const bootMs = options.bootTimeoutMs ?? BOOT_TIMEOUT_MS_DEFAULT;
  const silenceMs = options.silenceTimeoutMs ?? SILENCE_TIMEOUT_MS_DEFAULT;
  const log = options.log ?? (() => {});
  const findings: BoardFinding[] = [];
  const allOn = async () => {
    await rig.setPower(1, true);
    await rig.setPower(2, true);
    return settle(boards, (a) => a[0] && a[1], bootMs);
  };

  for (const p of [1, 2] as const) {
    const q = other(p);
    log(`P${p}: both relays on`);
    const on = await allOn();
    log(`P${p}: relay off`);
    await rig.setPower(p, false);
    // A board that answered with its relay on should fall silent at once; one that did
    // not may be wired the other way round and boot now, so give it the boot time.
    const off = await settle(
      boards,
      (a) => (at(on, p) ? !at(a, p) : at(a, p)) && at(a, q) === at(on, q),
      at(on, p) ? silenceMs : bootMs,
    );
    log(`P${p}: relay on again`);
    const restored = await allOn();
    findings.push({
      processor: p,
      answersWithRelayOn: at(on, p),
      answersWithRelayOff: at(off, p),
      otherKeptAnswering: !at(on, q) || at(off, q),
      answersAfterRestore: at(restored, p),
    });
  }
  const problems = findings.flatMap(diagnose);
  return { ok: problems.length === 0, rig: rig.profile.name, boards: findings, problems };
}

function diagnose(finding: BoardFinding): RigProblem[] {
  const p = finding.processor;
  const problems: RigProblem[] = [];
  const { answersWithRelayOn: on, answersWithRelayOff: off } = finding;
  if (!on && off) {
    problems.push({
      code: 'contact-backwards',
      processor: p,
      message: `P${p} is powered with its relay off and silent with it on: the profile's contact for P${p} is backwards (normally-open vs normally-closed)`,
    });
  } else if (on && off) {
    problems.push({
      code: 'stayed-powered',
      processor: p,
      message: `P${p} stayed powered with its relay off: check the power relay's pin for P${p} and its normally-open/closed setting`,
    });
  } else if (!on && !off) {
    problems.push({
      code: 'never-answers',
      processor: p,
      message: `P${p} answered neither with its relay on nor off: check that its supply runs through the relay on the profile's pin, and its host port`,
    });
  }
  if (!finding.otherKeptAnswering) {
    problems.push({
      code: 'cut-other',
      processor: p,
      message: `the relay for P${p} cut P${other(p)}: the profile's power pins may be swapped`,
    });
  }
  if (on && !off && !finding.answersAfterRestore) {
    problems.push({
      code: 'not-restored',
      processor: p,
      message: `P${p} did not answer again after its relay was switched back on`,
    });
  }
  return problems;
}
