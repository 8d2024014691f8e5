/**
 * What a campaign checks beyond the clients' history (host/simulator/
 * history.ts: exactly once, retries, the replay of the final state): each
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
 * It also replays the clients' answers for the history checks, split into
 * epochs at double failures (`LoggedHistory`, `replayHistory`).
 */
import type { AnyApp } from '../firmware/app.ts';
import type { ClientRequest } from '../firmware/runtime/messages.ts';
import type { PairJournalEntry } from '../host/lab/pair-journal.ts';
import { History } from '../host/simulator/history.ts';

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

/** A change of one board's role; times in one clock (the campaign uses ms since its start). */
export interface RoleMark {
  readonly processor: 1 | 2;
  readonly atMs: number;
  readonly band: RoleBand;
  readonly why: string;
  /**
   * A journal's role entry, a power event of the campaign, or inferred from
   * the partner's journal (applies only to a board then `switching`).
   */
  readonly source: 'journal' | 'power' | 'inferred';
}

/** The campaign switched a board's power. */
export interface PowerEvent {
  readonly processor: 1 | 2;
  readonly atMs: number;
  readonly on: boolean;
}

export interface RoleInterval {
  readonly processor: 1 | 2;
  readonly fromMs: number;
  readonly toMs: number;
  readonly band: RoleBand;
  readonly why: string;
}

/** Two boards serving over overlapping times. */
export interface SplitBrain {
  readonly fromMs: number;
  readonly toMs: number;
  readonly intervals: readonly [RoleInterval, RoleInterval];
}

/** The journal's why on the role entry of a primary that handed its roles to the new version. */
const HANDED_OVER_WHY = 'roles handed';
/** The journal's why on the role entry of the new version taking the roles (step g). */
const ROLES_TAKEN_WHY = 'roles switched';

const KNOWN_ROLES: ReadonlySet<string> = new Set([
  'primary',
  'primary-alone',
  'switching',
  'backup',
  'joining',
  'booting',
  'stopped',
]);

/**
 * The role marks of both boards: their journals' role entries (converted to
 * the campaign's clock by `toMs`) and the power events. A power-on starts a
 * board at `booting`.
 */
export function roleMarks(
  entries: readonly PairJournalEntry[],
  power: readonly PowerEvent[],
  toMs: (journalAtMs: number) => number,
): RoleMark[] {
  const marks: RoleMark[] = [];
  for (const entry of entries) {
    if (entry.kind !== 'role') continue;
    let band: RoleBand = KNOWN_ROLES.has(entry.role) ? (entry.role as RoleBand) : 'unknown';
    if (entry.role === 'switching' && entry.why.startsWith(HANDED_OVER_WHY)) band = 'handed-over';
    marks.push({
      processor: entry.processor,
      atMs: toMs(entry.atMs),
      band,
      why: entry.why,
      source: 'journal',
    });
    // The new version takes the roles only from a role-switch message, which the old
    // primary sends as it hands over: its own entry may have died with a pull.
    if (entry.role === 'primary-alone' && entry.why.startsWith(ROLES_TAKEN_WHY)) {
      marks.push({
        processor: entry.processor === 1 ? 2 : 1,
        atMs: toMs(entry.atMs),
        band: 'handed-over',
        why: `inferred: P${entry.processor} took the roles`,
        source: 'inferred',
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
    });
  }
  return marks;
}

/**
 * Each board's role from `startMs` to `endMs`, as consecutive intervals.
 * `initial` is each board's role at `startMs`. While a board is off, its
 * journal marks are ignored until its power comes back (a board can record
 * an entry in the moment between the relay switching and its supply dying;
 * it served no one after the pull).
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
    let off = band === 'off';
    for (const mark of own) {
      if (off && !(mark.source === 'power' && mark.band === 'booting')) continue;
      if (mark.source === 'inferred' && band !== 'switching') continue;
      if (mark.atMs < startMs) {
        band = mark.band;
        why = mark.why;
        off = band === 'off';
        continue;
      }
      const at = Math.min(mark.atMs, endMs);
      if (at > fromMs) intervals.push({ processor, fromMs, toMs: at, band, why });
      band = mark.band;
      why = mark.why;
      fromMs = at;
      off = band === 'off';
    }
    if (endMs > fromMs) intervals.push({ processor, fromMs, toMs: endMs, band, why });
  }
  return intervals;
}

/** Every overlap of a serving interval of P1 with one of P2. */
export function findSplitBrains(intervals: readonly RoleInterval[]): SplitBrain[] {
  const serving = (processor: 1 | 2) =>
    intervals.filter((i) => i.processor === processor && SERVING_BANDS.has(i.band));
  const found: SplitBrain[] = [];
  for (const a of serving(1)) {
    for (const b of serving(2)) {
      const fromMs = Math.max(a.fromMs, b.fromMs);
      const toMs = Math.min(a.toMs, b.toMs);
      if (fromMs < toMs) found.push({ fromMs, toMs, intervals: [a, b] });
    }
  }
  return found.sort((x, y) => x.fromMs - y.fromMs);
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
      readonly reply: { error: string; message: string };
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

  override refuse(at: number, request: ClientRequest, reply: { error: string; message: string }) {
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
