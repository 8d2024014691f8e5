/**
 * Rules of the switch procedure (online replacement, and the fallback that
 * is the same from the newer version) that do not change roles themselves:
 * when a switch may start, when requests are held, how long the hold may
 * last, and how held requests travel with the roles.
 */
import type { ReasonOf } from '../reasons.ts';
import { encodeCbor } from '../wire/cbor.ts';
import { CHECKPOINT_BATCH_BYTES_MAX } from './checkpoint-stream.ts';
import { lineBytesPerMs, type PairConfig } from './config.ts';
import { ENVELOPE_LIMITS, type HeldRequest, type Hello } from './messages.ts';
import type { RoundsSent } from './pre-copy.ts';
import type { Role } from './roles.ts';

/**
 * Why a switch cannot start: one in progress, no primary with a backup, no
 * image in our other slot, the running version there, or the backup's
 * other slot lacking the image ours holds.
 */
export type SwitchRefusal = ReasonOf<
  'in-progress' | 'not-whole' | 'no-image' | 'same-version' | 'partner-lacks-image'
>;

export type Switching = Extract<Role, { name: 'switching' }>;

/** Why a primary cannot switch now, or null when it can. */
export function switchRefusal(
  processor: 1 | 2,
  role: Role,
  ours: Hello,
  partner: Hello | null,
): SwitchRefusal | null {
  if (role.name === 'switching') return { code: 'in-progress' };
  if (role.name !== 'primary') return { code: 'not-whole', processor, role: role.name };
  const target = ours.otherVersion;
  if (target === '') return { code: 'no-image' };
  if (target === ours.version) return { code: 'same-version', version: target };
  if (partner?.otherVersion !== target) {
    return { code: 'partner-lacks-image', has: partner?.otherVersion ?? '', wants: target };
  }
  return null;
}

/**
 * A switch lets the new version take this many times the partner's last
 * boot (its hello's `joinAfterMs`: from its reset to asking to join) to do
 * the same: the same board, the same engine and about the same image and
 * store, with room for the old backup's stop and for a machine busier than
 * at that boot.
 */
export const SWITCH_BOOT_SCALE = 3;

/**
 * The longest a switch waits for the new version, however slow the partner
 * says its boots are: a partner that is dead, or that reports nonsense,
 * fails the switch at d within this (we serve alone meanwhile).
 */
export const SWITCH_BOOT_LIMIT_MAX_MS = 30_000;

/**
 * How long, from step a, a switch waits for the new version to ask to join:
 * `switchBootTimeoutMs`, or SWITCH_BOOT_SCALE times the partner's last boot
 * where that is longer (a microcontroller-class engine loading the image and
 * reading its store back is slower than Node), at most SWITCH_BOOT_LIMIT_MAX_MS.
 */
export function switchBootLimitMs(config: PairConfig, partner: Hello | null): number {
  const scaled = Math.min(
    SWITCH_BOOT_LIMIT_MAX_MS,
    SWITCH_BOOT_SCALE * (partner?.joinAfterMs ?? 0),
  );
  return Math.max(config.switchBootTimeoutMs, scaled);
}

/** New requests wait: for the last round of a switch's big checkpoint, or for the old backup to take its stop. */
export function holdsRequests(role: Role): boolean {
  return role.name === 'switching' && (role.step === 'big-checkpoint' || oldBackupMayServe(role));
}

/** Until the old backup has taken its stop, it could still take over: new requests wait. */
export function oldBackupMayServe(role: Switching): boolean {
  return role.step === 'awaiting-boot' && role.stopSeq !== 0;
}

/** The sending side of a switch's pre-copy: its rounds, and the change requests may still make. */
export interface PreCopy extends RoundsSent {
  /**
   * A round carried more than PRE_COPY_LINE_SHARE of the one before: the
   * requests' changes are capped from then on (live migration's
   * auto-converge). Until then nothing waits.
   */
  readonly throttled: boolean;
  /** Bytes of change requests may still make (see changeAllowance), as of `allowanceAtMs`. */
  readonly allowance: number;
  readonly allowanceAtMs: number;
  /**
   * A round encoded across calls (requests ran between its slices) would
   * have been the last: the next one is, encoded with requests held from
   * its start.
   */
  readonly lastDue: boolean;
}

/**
 * Once throttled, requests during a pre-copy may change the state at most
 * at this share of the line rate (counted in their checkpoint entries'
 * bytes): each round then carries at most this share of the one before, and
 * the rounds converge whatever the load. Requests beyond it wait, briefly,
 * in the held queue. Rounds that shrink by more than this on their own are
 * never throttled: an entry's bytes overstate a round's (a round carries an
 * account or a session changed ten times once), and a cap the rounds did
 * not need held clients for hundreds of milliseconds through a lab fallback.
 */
export const PRE_COPY_LINE_SHARE = 0.5;

/** Change a pre-copy allows at once, after a quiet spell. */
export const PRE_COPY_BURST_BYTES = 1024;

/** Bytes of change requests may make now; at or below 0 they wait. */
export function changeAllowance(config: PairConfig, preCopy: PreCopy, nowMs: number): number {
  const earned = (nowMs - preCopy.allowanceAtMs) * lineBytesPerMs(config) * PRE_COPY_LINE_SHARE;
  return Math.min(PRE_COPY_BURST_BYTES, preCopy.allowance + earned);
}

/** When the allowance is positive again. */
export function changeAllowedAtMs(config: PairConfig, preCopy: PreCopy): number {
  const rate = lineBytesPerMs(config) * PRE_COPY_LINE_SHARE;
  return preCopy.allowanceAtMs + Math.max(0, -preCopy.allowance) / rate + 1;
}

/** The pre-copy once a round of `bytes` went: throttled from now on if it shrank too little. */
export function throttledAfter(preCopy: PreCopy, bytes: number, nowMs: number): PreCopy {
  if (preCopy.throttled || bytes <= PRE_COPY_LINE_SHARE * preCopy.lastBytes) return preCopy;
  return { ...preCopy, throttled: true, allowance: PRE_COPY_BURST_BYTES, allowanceAtMs: nowMs };
}

/** The allowance after a request whose checkpoint entry is `entryBytes`. */
export function chargeChange(
  config: PairConfig,
  preCopy: PreCopy,
  nowMs: number,
  entryBytes: number,
): PreCopy {
  return {
    ...preCopy,
    allowance: changeAllowance(config, preCopy, nowMs) - entryBytes,
    allowanceAtMs: nowMs,
  };
}

/** Requests during a pre-copy wait while the change they may make is spent (and behind any waiting). */
export function preCopyThrottles(config: PairConfig, role: Switching, nowMs: number): boolean {
  return (
    role.preCopy?.throttled === true &&
    (role.held.length > 0 || changeAllowance(config, role.preCopy, nowMs) <= 0)
  );
}

/**
 * A switch's final round goes, with requests held, once a round doubled:
 * the change allowance should keep the rounds shrinking, so a doubling says
 * the state changed faster than rounds carry it.
 */
export const SWITCH_ROUND_GROWTH_MAX = 2;

/**
 * How long the big checkpoint may go without progress before the switch
 * gives up. While the last round crosses, requests are held:
 * `switchHoldTimeoutMs`. During the pre-copy they are served, and a new
 * version slow to take a round (a microcontroller-class engine inside one
 * long call on a busy machine) costs only time: it has as long as it had
 * to boot (`bootLimitMs`). Time limits follow measured progress, not the
 * line rate: a checkpoint stream carries well under the line rate.
 */
export function transferPatienceMs(config: PairConfig, role: Switching): number {
  return role.step === 'pre-copy'
    ? Math.max(role.bootLimitMs, config.switchHoldTimeoutMs)
    : config.switchHoldTimeoutMs;
}

/** When the big checkpoint gives up (its pre-copy, or the hold for its last round). */
export function transferExpiresAtMs(config: PairConfig, role: Switching): number {
  return role.progressMs + transferPatienceMs(config, role);
}

/**
 * `request` joins the end of `held`, unless it is a retry of one held
 * already: that keeps its place, the order requests first came, and its
 * copy, so one the new version was sent is not sent again.
 */
export function holdOnce(held: HeldRequest[], request: HeldRequest): void {
  if (!held.some((h) => h.clientId === request.clientId && h.syncId === request.syncId))
    held.push(request);
}

/**
 * Held requests from the front of `held` in batches of at most
 * `batchBytes` (a request alone may be more), as many as come to
 * `callBytes` (at least one): measuring a request is encoding it, and so is
 * sending it, so one call does a bounded share of it.
 */
export function heldBatches(
  held: readonly HeldRequest[],
  batchBytes = CHECKPOINT_BATCH_BYTES_MAX,
  callBytes = Number.POSITIVE_INFINITY,
): HeldRequest[][] {
  const batches: HeldRequest[][] = [];
  let batch: HeldRequest[] = [];
  let bytes = 0;
  let total = 0;
  for (const request of held) {
    if (total >= callBytes) break;
    const size = encodeCbor(request, ENVELOPE_LIMITS).length;
    if (batch.length > 0 && bytes + size > batchBytes) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(request);
    bytes += size;
    total += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}
