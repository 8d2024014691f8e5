/**
 * What a person watching a pair sees, folded from a feed's readings: each
 * board, the readiness of the pair, the events (with their causes and
 * measured times) and the counters. Pure: the dashboard and the monitor
 * feed it readings and draw what it holds.
 */

import { whyText } from '../../firmware/reasons.ts';
import type { RoleName } from '../../firmware/runtime/messages.ts';
import type { RoleCause, SwitchStepName } from '../../firmware/runtime/outputs.ts';
import type { PairJournalEntry } from '../pair/pair-journal.ts';
import { SWITCH_STEP_TITLES, switchStepRank } from '../switch-procedure.ts';
import type { BoardReading, PairReading, PowerChange, Processor } from './pair-feed.ts';

/** The pair's readiness, in the words operators of redundant controllers use. */
export type Readiness =
  /** A primary with a synchronised backup: any single fault is survived. */
  | { readonly kind: 'redundant'; readonly primary: Processor }
  /** A primary alone: the next fault stops service. */
  | { readonly kind: 'solo'; readonly primary: Processor }
  /** A primary sending its state to a joining backup. */
  | { readonly kind: 'syncing'; readonly primary: Processor; readonly receivedBytes: number }
  /** An online replacement under way, at `step` (null before the first step is seen). */
  | { readonly kind: 'switching'; readonly step: SwitchStepName | null }
  /** No board serves. */
  | { readonly kind: 'down' };

interface EventBase {
  /** Wall clock, ms: the board's journal time, or when the host did or saw it. */
  readonly atMs: number;
}

export type LiveEvent = EventBase &
  (
    | { readonly kind: 'power'; readonly processor: Processor; readonly on: boolean }
    | {
        readonly kind: 'takeover';
        readonly processor: Processor;
        /** From the partner's power-pull to the takeover, when the pull was seen. */
        readonly takeoverMs: number | null;
        /** The pull's time is exact (this tool pulled), not seen by polling the rails. */
        readonly exact: boolean;
        readonly fenced: boolean;
        readonly why: string;
      }
    | {
        readonly kind: 'rejoin';
        readonly processor: Processor;
        /** From the board's power coming back to it holding the backup role, when seen. */
        readonly afterRestoreMs: number | null;
      }
    | {
        readonly kind: 'role';
        readonly processor: Processor;
        readonly role: RoleName;
        readonly cause: RoleCause;
      }
    | { readonly kind: 'fence'; readonly processor: Processor }
    | { readonly kind: 'false-suspicion'; readonly processor: Processor; readonly silentMs: number }
    | {
        readonly kind: 'switch-step';
        readonly processor: Processor;
        readonly step: SwitchStepName;
        readonly ok: boolean;
        readonly detail: string;
      }
    | {
        readonly kind: 'path';
        readonly processor: Processor;
        readonly path: number;
        readonly up: boolean;
      }
    | { readonly kind: 'alarm'; readonly processor: Processor; readonly detail: string }
    | { readonly kind: 'split-brain' }
  );

export interface Counters {
  readonly takeovers: number;
  readonly lastTakeoverMs: number | null;
  readonly maxTakeoverMs: number | null;
  /** Times the serving processor changed (takeovers and switches). */
  readonly roleChanges: number;
  readonly fences: number;
  readonly falseSuspicions: number;
  /** Readings in which both boards said they were primary, counted once per episode. */
  readonly splitBrain: number;
}

/** Events kept for the log; older ones are dropped. */
export const EVENTS_MAX = 500;
/** A pull explains a takeover by its partner only this soon after it. */
const PULL_EXPLAINS_TAKEOVER_MS = 30_000;
/** A switch with no step seen for this long is over (a pull ended it). */
const SWITCH_QUIET_MS = 30_000;

const SERVING: ReadonlySet<RoleName> = new Set(['primary', 'primary-alone']);

export function stepTitle(step: SwitchStepName): string {
  return SWITCH_STEP_TITLES[step];
}

/**
 * From a pull to a takeover at `atMs`. A pull seen by polling is timed to within the poll: when
 * the takeover falls inside the poll's interval, the pull is put halfway between its start and
 * the takeover, never after it.
 */
function sincePull(pulled: PowerChange, atMs: number): number {
  const pulledAtMs = pulled.atMs <= atMs ? pulled.atMs : (pulled.sinceMs + atMs) / 2;
  return Math.max(0, atMs - pulledAtMs);
}

export class PairView {
  boards: readonly [BoardReading, BoardReading] | null = null;
  readiness: Readiness = { kind: 'down' };
  readonly events: LiveEvent[] = [];
  /** Requests the pair executed per second, from the primary's transaction count. */
  requestsPerSecond: number | null = null;
  #counters = {
    takeovers: 0,
    lastTakeoverMs: null as number | null,
    maxTakeoverMs: null as number | null,
    roleChanges: 0,
    fences: 0,
    falseSuspicions: 0,
    splitBrain: 0,
  };
  #pulledAt: Record<Processor, PowerChange | null> = { 1: null, 2: null };
  #restoredAt: Record<Processor, number | null> = { 1: null, 2: null };
  #servingProcessor: Processor | null = null;
  #inSplitBrain = false;
  #switch: { step: SwitchStepName; atMs: number } | null = null;
  #lastTxn: { txn: number; atMs: number } | null = null;
  #listeners: ((event: LiveEvent) => void)[] = [];

  get counters(): Counters {
    return { ...this.#counters };
  }

  /** Called with each new event as it is folded in. */
  onEvent(listener: (event: LiveEvent) => void): void {
    this.#listeners.push(listener);
  }

  ingest(reading: PairReading): void {
    const changes = [...reading.powerChanges];
    // Power changes and journal entries in the order they happened; a polled change goes before
    // an entry that may have followed it (a takeover read in the same reading as its pull).
    for (const entry of inProcedureOrder(reading.entries)) {
      while (changes[0] !== undefined && changes[0].sinceMs <= entry.atMs)
        this.#power(changes.shift());
      this.#entry(entry);
    }
    for (const change of changes) this.#power(change);
    this.boards = reading.boards;
    // Who served before the first role change seen, so that change counts.
    if (this.#servingProcessor === null) {
      const index = reading.boards.findIndex((b) => SERVING.has(b.status?.pair?.role ?? 'stopped'));
      if (index >= 0) this.#servingProcessor = index === 0 ? 1 : 2;
    }
    this.#watchSplitBrain(reading);
    this.#rate(reading);
    this.readiness = this.#readiness(reading);
  }

  #power(change: PowerChange | undefined): void {
    if (change === undefined) return;
    if (change.on) this.#restoredAt[change.processor] = change.atMs;
    else this.#pulledAt[change.processor] = change;
    this.#add({ kind: 'power', processor: change.processor, on: change.on, atMs: change.atMs });
  }

  #entry(entry: PairJournalEntry): void {
    const processor = entry.processor;
    const atMs = entry.atMs;
    switch (entry.kind) {
      case 'role': {
        this.#add({ kind: 'role', processor, role: entry.role, cause: entry.cause, atMs });
        if (SERVING.has(entry.role)) {
          if (this.#servingProcessor !== null && this.#servingProcessor !== processor) {
            this.#counters.roleChanges += 1;
          }
          this.#servingProcessor = processor;
        }
        const restored = this.#restoredAt[processor];
        if (entry.role === 'backup' && restored !== null) {
          this.#restoredAt[processor] = null;
          this.#add({ kind: 'rejoin', processor, afterRestoreMs: atMs - restored, atMs });
        }
        return;
      }
      case 'takeover': {
        const partner: Processor = processor === 1 ? 2 : 1;
        const pulled = this.#pulledAt[partner];
        const explained = pulled !== null && atMs - pulled.atMs < PULL_EXPLAINS_TAKEOVER_MS;
        const takeoverMs = explained ? sincePull(pulled, atMs) : null;
        this.#pulledAt[partner] = null;
        const c = this.#counters;
        c.takeovers += 1;
        if (takeoverMs !== null) {
          c.lastTakeoverMs = takeoverMs;
          c.maxTakeoverMs = Math.max(c.maxTakeoverMs ?? 0, takeoverMs);
        }
        this.#switch = null;
        this.#add({
          kind: 'takeover',
          processor,
          takeoverMs,
          exact: explained && pulled.byFeed,
          fenced: entry.fenced,
          why: whyText(entry),
          atMs,
        });
        return;
      }
      case 'fence':
        this.#counters.fences += 1;
        this.#add({ kind: 'fence', processor, atMs });
        return;
      case 'false-suspicion':
        this.#counters.falseSuspicions += 1;
        this.#add({ kind: 'false-suspicion', processor, silentMs: entry.silentMs, atMs });
        return;
      case 'switch':
        this.#switch = entry.step === 'done' || !entry.ok ? null : { step: entry.step, atMs };
        this.#add({
          kind: 'switch-step',
          processor,
          step: entry.step,
          ok: entry.ok,
          detail: whyText(entry),
          atMs,
        });
        return;
      case 'path':
        this.#add({ kind: 'path', processor, path: entry.path, up: entry.up, atMs });
        return;
      case 'alarm':
        this.#add({ kind: 'alarm', processor, detail: whyText(entry), atMs });
        return;
      default:
        return;
    }
  }

  #watchSplitBrain(reading: PairReading): void {
    const serving = reading.boards.filter((b) => {
      const role = b.status?.pair?.role;
      return role !== undefined && SERVING.has(role);
    });
    const both = serving.length === 2;
    if (both && !this.#inSplitBrain) {
      this.#counters.splitBrain += 1;
      this.#add({ kind: 'split-brain', atMs: reading.atMs });
    }
    this.#inSplitBrain = both;
  }

  #rate(reading: PairReading): void {
    const txn = Math.max(...reading.boards.map((b) => b.status?.pair?.txn ?? -1));
    if (txn < 0) {
      this.requestsPerSecond = null;
      return;
    }
    const last = this.#lastTxn;
    // Over at least half a second, so one slow reading does not make the figure jump.
    if (last === null || txn < last.txn) {
      this.#lastTxn = { txn, atMs: reading.atMs };
    } else if (reading.atMs - last.atMs >= 500) {
      this.requestsPerSecond = ((txn - last.txn) * 1000) / (reading.atMs - last.atMs);
      this.#lastTxn = { txn, atMs: reading.atMs };
    }
  }

  #readiness(reading: PairReading): Readiness {
    const pairs = reading.boards.map((b) => b.status?.pair ?? null);
    const switching = this.#switch;
    if (switching !== null && reading.atMs - switching.atMs > SWITCH_QUIET_MS) this.#switch = null;
    if (pairs.some((p) => p?.role === 'switching') || this.#switch !== null) {
      return { kind: 'switching', step: this.#switch?.step ?? null };
    }
    const index = pairs.findIndex((p) => p !== null && SERVING.has(p.role));
    if (index < 0) return { kind: 'down' };
    const primary: Processor = index === 0 ? 1 : 2;
    const other = pairs[1 - index];
    // Redundant is a serving board with a backup, versions aside: what a client
    // sees. `isWhole` (host/pair-whole.ts) is stricter: one version.
    if (other?.role === 'backup') return { kind: 'redundant', primary };
    if (other?.role === 'joining') {
      return { kind: 'syncing', primary, receivedBytes: other.snapshotReceivedBytes };
    }
    return { kind: 'solo', primary };
  }

  #add(event: LiveEvent): void {
    this.events.push(event);
    if (this.events.length > EVENTS_MAX) this.events.shift();
    for (const listener of this.#listeners) listener(event);
  }
}

/**
 * Entries by time, except switch steps, which keep the procedure's order
 * among themselves: the boards' clocks agree only to a millisecond or so.
 */
export function inProcedureOrder(entries: readonly PairJournalEntry[]): PairJournalEntry[] {
  const byTime = [...entries].sort((a, b) => a.atMs - b.atMs);
  const steps = byTime
    .filter((e) => e.kind === 'switch')
    .sort((a, b) => rank(a) - rank(b) || a.atMs - b.atMs);
  let next = 0;
  return byTime.map((e) => (e.kind === 'switch' ? (steps[next++] ?? e) : e));
}

function rank(entry: PairJournalEntry): number {
  return entry.kind === 'switch' ? switchStepRank(entry.step) : -1;
}

/** One line for an event, for logs and the monitor's feed (no time, no colour). */
export function describeEvent(event: LiveEvent): string {
  switch (event.kind) {
    case 'power':
      return `P${event.processor} power ${event.on ? 'restored' : 'pulled'}`;
    case 'takeover':
      return `P${event.processor} TAKEOVER${event.takeoverMs === null ? '' : ` in ${event.exact ? '' : '~'}${event.takeoverMs.toFixed(0)} ms`}${event.fenced ? ', partner fenced' : ''} (${event.why})`;
    case 'rejoin':
      return `P${event.processor} rejoined as backup${event.afterRestoreMs === null ? '' : ` ${event.afterRestoreMs.toFixed(0)} ms after power came back`}`;
    case 'role':
      return `P${event.processor} ${event.role} (${event.cause})`;
    case 'fence':
      return `P${event.processor} fenced its partner (reset line)`;
    case 'false-suspicion':
      return `P${event.processor} false suspicion: partner silent ${event.silentMs.toFixed(0)} ms, then heard`;
    case 'switch-step':
      return `P${event.processor} switch ${event.step} ${event.ok ? 'ok' : 'FAILED'}: ${stepTitle(event.step)}`;
    case 'path':
      return `P${event.processor} path ${event.path} ${event.up ? 'up' : 'down'}`;
    case 'alarm':
      return `P${event.processor} alarm: ${event.detail}`;
    case 'split-brain':
      return 'SPLIT BRAIN: both boards primary';
  }
}

/** The badge's text: REDUNDANT, SOLO, SYNCING or SWITCHING with its detail. */
export function readinessLabel(readiness: Readiness): string {
  switch (readiness.kind) {
    case 'redundant':
      return `REDUNDANT (P${readiness.primary} primary)`;
    case 'solo':
      return `SOLO (P${readiness.primary} alone)`;
    case 'syncing':
      return `SYNCING (${Math.round(readiness.receivedBytes / 1024)} KiB to the backup)`;
    case 'switching':
      return `SWITCHING${readiness.step === null ? '' : ` step ${readiness.step}`}`;
    case 'down':
      return 'DOWN';
  }
}
