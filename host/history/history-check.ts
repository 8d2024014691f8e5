/**
 * What a campaign checks beyond the clients' history (client-history.ts:
 * exactly once, retries, the replay of the final state): each
 * board's role over time, from the boards' own journals and the power events
 * the campaign caused, and from that whether two boards ever served at once.
 *
 * A board serves in `primary`, `primary-alone` and `switching` until it has
 * handed its roles over (the journal's role entry "roles handed to the new
 * version"). A serving interval ends at the board's next role entry or at
 * its power-off, whichever comes first: a board that lost power stops at
 * once, and anything its journal held that the host had not read is gone.
 * So the old primary's handover is also read from the new primary's journal
 * (its "roles switched" entry: the roles come only in the message the old
 * primary sends as it hands over), in case a pull took the old one's entry.
 *
 * A fence is a power-off too: a board that took over with a fence (its
 * journal's takeover entry says `fenced`) pulsed its partner's reset line,
 * and the partner stopped there. Only the boards know of fences (a real
 * rig's relay controller does not), so the fence is read from the fencing
 * board's journal, and it counts once the fenced board's journal shows it
 * restarted (a new power-on) with no power event of the campaign between:
 * a fence line that did nothing ends nothing. A new power-on in a journal
 * also revives a board the checker had as off.
 *
 * Times come from three clocks: the host's (power events) and each board's
 * (its journal). Two boards serving over overlapping times on different
 * clocks may be an artefact of the skew between them; and the host knows
 * when a relay switched only to within its write (the board died somewhere
 * between the host asking and the write completing). An overlap no longer
 * than the skew bounds of the clocks that time its two ends plus that write
 * time allow is reported apart (`withinSkew`), never as split brain.
 *
 * It also replays the clients' answers for the history checks, split into
 * epochs at double failures (`LoggedHistory`, `replayHistory`).
 */

import type { AnyApp } from '../../firmware/app.ts';
import { causeText } from '../../firmware/reasons.ts';
import type { ClientRequest } from '../../firmware/runtime/messages.ts';
import type { PairJournalEntry } from '../pair/pair-journal.ts';
import { type ErrorAnswer, History } from './client-history.ts';

/** What a board was doing, as the timeline and the split-brain check see it. */
export type RoleBand =
  | 'primary'
  | 'primary-alone'
  | 'switching'
  /** Still in `switching`, but the roles went to the new version: no longer serving. */
  | 'handed-over'
  | 'backup'
  | 'joining'
  | 'booting'
  | 'stopped'
  | 'off'
  /** Powered, nothing known yet (before its first journal entry). */
  | 'unknown';

export const SERVING_BANDS: ReadonlySet<RoleBand> = new Set([
  'primary',
  'primary-alone',
  'switching',
]);

/** Whose clock timed a mark: the host's (the campaign's power events) or a board's journal. */
export type MarkClock = 'host' | 1 | 2;

/** A change of one board's role; times in one clock (the campaign uses ms since its start). */
export interface RoleMark {
  readonly processor: 1 | 2;
  readonly atMs: number;
  readonly band: RoleBand;
  readonly why: string;
  /**
   * A journal's role entry; a power event of the campaign; inferred from
   * the partner's journal (applies only to a board then `switching`); a
   * fence the partner's journal recorded (a reset: off); the first entry of
   * a new power-on in the board's journal (a restart: powered again).
   */
  readonly source: 'journal' | 'power' | 'inferred' | 'fence' | 'restart';
  /** The clock `atMs` was read on. */
  readonly clock: MarkClock;
  /** The change may have come up to this much before `atMs` (a relay switched during its write). */
  readonly earlyMs?: number;
}

/** The campaign switched a board's power. */
export interface PowerEvent {
  readonly processor: 1 | 2;
  /** When the relay write completed. */
  readonly atMs: number;
  readonly on: boolean;
  /** When the host began the relay write: the relay switched no earlier than this. */
  readonly requestedAtMs?: number;
}

export interface RoleInterval {
  readonly processor: 1 | 2;
  readonly fromMs: number;
  readonly toMs: number;
  readonly band: RoleBand;
  readonly why: string;
  /** The clocks that timed the interval's start and its end. */
  readonly fromClock: MarkClock;
  readonly toClock: MarkClock;
  /** The interval may have ended up to this much before `toMs` (see RoleMark.earlyMs). */
  readonly toEarlyMs?: number;
}

/** Two boards serving over overlapping times. */
export interface Overlap {
  readonly fromMs: number;
  readonly toMs: number;
  readonly intervals: readonly [RoleInterval, RoleInterval];
  /**
   * How long the overlap may be and still be an artefact of timing: the
   * skew bounds of the two clocks that time its ends added (0 when one
   * clock times both; the host's own clock counts 0), plus how much earlier
   * its end may have come (a power-off known only to within its relay write).
   */
  readonly allowanceMs: number;
  /** No longer than `allowanceMs`: not shown to be two boards serving at once. */
  readonly withinSkew: boolean;
}

/** An overlap beyond the skew allowance: two boards served at once. */
export type SplitBrain = Overlap;

/** Each board's clock skew bound against the host's, in ms; null: not measured (counts 0). */
export type SkewBounds = Readonly<Record<1 | 2, number | null>>;

export const NO_SKEW: SkewBounds = { 1: 0, 2: 0 };

type RoleEntry = Extract<PairJournalEntry, { kind: 'role' }>;

/** A `switching` board's entry: it offered its roles to the new version (step g) and serves no more. */
const handedItsRolesOver = (entry: RoleEntry): boolean => entry.cause === 'roles-offered';
/** A `primary-alone` board's entry: it took the roles in a switch (step g). */
const tookTheRolesInASwitch = (entry: RoleEntry): boolean => entry.cause === 'roles-taken';

const KNOWN_ROLES: ReadonlySet<string> = new Set([
  'primary',
  'primary-alone',
  'switching',
  'backup',
  'joining',
  'booting',
  'stopped',
]);

const partnerOf = (processor: 1 | 2): 1 | 2 => (processor === 1 ? 2 : 1);

/**
 * The role marks of both boards: their journals' role entries (converted to
 * the campaign's clock by `toMs`), the power events, the fences the boards
 * recorded and their restarts. A power-on starts a board at `booting`.
 * `startPowerOn`: each board's power-on when the journals were first read;
 * an entry of any other power-on is a restart (without it, a board's first
 * entry sets its power-on).
 */
export function roleMarks(
  entries: readonly PairJournalEntry[],
  power: readonly PowerEvent[],
  toMs: (journalAtMs: number) => number,
  startPowerOn?: Readonly<Record<1 | 2, number>>,
): RoleMark[] {
  const marks: RoleMark[] = [];
  const powerOn: Partial<Record<1 | 2, number>> = { ...startPowerOn };
  const restarts: RoleMark[] = [];
  const fences: { fencer: 1 | 2; atMs: number }[] = [];
  for (const entry of entries) {
    const p = entry.processor;
    if (powerOn[p] === undefined) powerOn[p] = entry.powerOn;
    if (entry.powerOn !== powerOn[p]) {
      powerOn[p] = entry.powerOn;
      const restart: RoleMark = {
        processor: p,
        atMs: toMs(entry.atMs),
        band: 'booting',
        why: 'restarted (a new power-on in its journal)',
        source: 'restart',
        clock: p,
      };
      marks.push(restart);
      restarts.push(restart);
    }
    if (entry.kind === 'takeover' && entry.fenced)
      fences.push({ fencer: p, atMs: toMs(entry.atMs) });
    if (entry.kind !== 'role') continue;
    let band: RoleBand = KNOWN_ROLES.has(entry.role) ? (entry.role as RoleBand) : 'unknown';
    if (entry.role === 'switching' && handedItsRolesOver(entry)) band = 'handed-over';
    marks.push({
      processor: p,
      atMs: toMs(entry.atMs),
      band,
      why: causeText(entry.cause, entry.why),
      source: 'journal',
      clock: p,
    });
    // The new version takes the roles only from a role-switch message, which the old
    // primary sends as it hands over: its own entry may have died with a pull.
    if (entry.role === 'primary-alone' && tookTheRolesInASwitch(entry)) {
      marks.push({
        processor: partnerOf(p),
        atMs: toMs(entry.atMs),
        band: 'handed-over',
        why: `inferred: P${p} took the roles`,
        source: 'inferred',
        clock: p,
      });
    }
  }
  for (const event of power) {
    marks.push({
      processor: event.processor,
      atMs: event.atMs,
      band: event.on ? 'booting' : 'off',
      why: event.on ? 'power restored' : 'power pulled',
      source: 'power',
      clock: 'host',
      earlyMs: Math.max(0, event.atMs - (event.requestedAtMs ?? event.atMs)),
    });
  }
  for (const fence of fences) {
    const target = partnerOf(fence.fencer);
    const restart = restarts.find((r) => r.processor === target && r.atMs > fence.atMs);
    if (restart === undefined) continue;
    const cycled = power.some(
      (e) => e.processor === target && e.atMs >= fence.atMs && e.atMs <= restart.atMs,
    );
    if (cycled) continue;
    marks.push({
      processor: target,
      atMs: fence.atMs,
      band: 'off',
      why: `reset by P${fence.fencer}'s fence`,
      source: 'fence',
      clock: fence.fencer,
    });
  }
  return marks;
}

/** A mark that shows the board powered: its power coming back, or a new power-on in its journal. */
const powersOn = (mark: RoleMark): boolean =>
  (mark.source === 'power' || mark.source === 'restart') && mark.band === 'booting';

/**
 * Each board's role from `startMs` to `endMs`, as consecutive intervals.
 * `initial` is each board's role at `startMs`. While a board is off (pulled
 * or fenced), its journal marks are ignored until it is powered again (a
 * board can record an entry in the moment between the relay switching, or
 * the reset pulse, and its stopping; it served no one after).
 */
export function roleIntervals(
  marks: readonly RoleMark[],
  initial: Readonly<Record<1 | 2, RoleBand>>,
  startMs: number,
  endMs: number,
): RoleInterval[] {
  const intervals: RoleInterval[] = [];
  for (const processor of [1, 2] as const) {
    const own = marks
      .filter((mark) => mark.processor === processor)
      .map((mark, order) => ({ mark, order }))
      // Stable by time: a power event and a journal entry at one instant keep their order.
      .sort((a, b) => a.mark.atMs - b.mark.atMs || a.order - b.order)
      .map(({ mark }) => mark);
    let band = initial[processor];
    let why = 'at the start';
    let fromMs = startMs;
    let fromClock: MarkClock = 'host';
    let off = band === 'off';
    for (const mark of own) {
      if (off && !powersOn(mark)) continue;
      if (mark.source === 'inferred' && band !== 'switching') continue;
      if (mark.atMs < startMs) {
        band = mark.band;
        why = mark.why;
        off = band === 'off';
        continue;
      }
      const at = Math.min(mark.atMs, endMs);
      const atClock: MarkClock = mark.atMs > endMs ? 'host' : mark.clock;
      if (at > fromMs) {
        const toEarlyMs = mark.atMs > endMs ? 0 : (mark.earlyMs ?? 0);
        intervals.push({
          processor,
          fromMs,
          toMs: at,
          band,
          why,
          fromClock,
          toClock: atClock,
          toEarlyMs,
        });
      }
      band = mark.band;
      why = mark.why;
      fromMs = at;
      fromClock = atClock;
      off = band === 'off';
    }
    if (endMs > fromMs) {
      intervals.push({ processor, fromMs, toMs: endMs, band, why, fromClock, toClock: 'host' });
    }
  }
  return intervals;
}

/**
 * Every overlap of a serving interval of P1 with one of P2, each with the
 * skew allowance of the clocks that time its ends (`skew`: each board's
 * bound against the host's clock).
 */
export function findOverlaps(
  intervals: readonly RoleInterval[],
  skew: SkewBounds = NO_SKEW,
): Overlap[] {
  const serving = (processor: 1 | 2) =>
    intervals.filter((i) => i.processor === processor && SERVING_BANDS.has(i.band));
  const bound = (clock: MarkClock) => (clock === 'host' ? 0 : (skew[clock] ?? 0));
  const found: Overlap[] = [];
  for (const a of serving(1)) {
    for (const b of serving(2)) {
      const fromMs = Math.max(a.fromMs, b.fromMs);
      const toMs = Math.min(a.toMs, b.toMs);
      if (fromMs >= toMs) continue;
      const fromClock = a.fromMs >= b.fromMs ? a.fromClock : b.fromClock;
      const ending = a.toMs <= b.toMs ? a : b;
      const toClock = ending.toClock;
      const skewMs = fromClock === toClock ? 0 : bound(fromClock) + bound(toClock);
      const allowanceMs = skewMs + (ending.toEarlyMs ?? 0);
      found.push({
        fromMs,
        toMs,
        intervals: [a, b],
        allowanceMs,
        withinSkew: toMs - fromMs <= allowanceMs,
      });
    }
  }
  return found.sort((x, y) => x.fromMs - y.fromMs);
}

/** The overlaps beyond the skew allowance: two boards served at once. */
export function findSplitBrains(
  intervals: readonly RoleInterval[],
  skew: SkewBounds = NO_SKEW,
): SplitBrain[] {
  return findOverlaps(intervals, skew).filter((o) => !o.withinSkew);
}

/** One answer a client got, in the order they came, kept for the replay after the run. */
export type LoggedAnswer =
  | {
      readonly kind: 'ack';
      readonly atMs: number;
      readonly request: ClientRequest;
      readonly reply: { reply: unknown; txn: number; syncId: number };
    }
  | {
      readonly kind: 'refusal';
      readonly atMs: number;
      readonly request: ClientRequest;
      readonly reply: ErrorAnswer;
    };

/**
 * A History that also keeps every answer with its time (performance.now()).
 * A double failure's new epoch begins at a cold start the journals report
 * only afterwards, so the campaign checks a replay of this log
 * (`replayHistory`), split where the epochs change.
 */
export class LoggedHistory extends History {
  readonly log: LoggedAnswer[] = [];

  override acknowledge(
    at: number,
    request: ClientRequest,
    reply: { reply: unknown; txn: number; syncId: number },
  ): void {
    this.log.push({ kind: 'ack', atMs: at, request, reply });
    super.acknowledge(at, request, reply);
  }

  override refuse(at: number, request: ClientRequest, reply: ErrorAnswer) {
    this.log.push({ kind: 'refusal', atMs: at, request, reply });
    super.refuse(at, request, reply);
  }
}

/**
 * Replays `log` into a fresh History, starting a new epoch at each time in
 * `epochStartsMs` (ascending): what was acknowledged before it counts as
 * lost to a double failure, and the checks go on from nothing.
 */
export function replayHistory(
  log: readonly LoggedAnswer[],
  epochStartsMs: readonly number[],
  loadApp: (version: string) => AnyApp,
): History {
  const history = new History(loadApp);
  let next = 0;
  for (const answer of log) {
    while (next < epochStartsMs.length && (epochStartsMs[next] ?? Infinity) <= answer.atMs) {
      history.newEpoch();
      next += 1;
    }
    if (answer.kind === 'ack') history.acknowledge(answer.atMs, answer.request, answer.reply);
    else history.refuse(answer.atMs, answer.request, answer.reply);
  }
  for (; next < epochStartsMs.length; next++) history.newEpoch();
  return history;
}
