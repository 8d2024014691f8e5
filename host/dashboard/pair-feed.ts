/**
 * What the dashboard and the monitor need from a pair, whatever the target:
 * readings (each board's status and new journal entries), the power changes
 * seen, the client load's figures, and actions. target-feed.ts implements
 * it for any pair target, leaving out what a target lacks (no power backend:
 * `capabilities.power` false).
 */
import type { BoardStatus } from '../../boards/management.ts';
import type { HistoryCounts } from '../history/result-counts.ts';
import type { PairJournalEntry } from '../pair/pair-journal.ts';

export type Processor = 1 | 2;

export interface FeedCapabilities {
  /** The target can pull and restore each board's power. */
  readonly power: boolean;
  /** Interconnect paths the target can cut and restore (0 for none). */
  readonly cables: number;
  /** The target can build and push an image of these versions. */
  readonly pushVersions: readonly string[];
  /** The target can run client load of its own. */
  readonly load: boolean;
}

export interface BoardReading {
  readonly processor: Processor;
  /** Null when the board did not answer in time (powered off, booting, a cut host line). */
  readonly status: BoardStatus | null;
  /** Null where the target cannot tell (no power backend). */
  readonly powered: boolean | null;
  readonly uptimeMs: number | null;
  /** The board's memory in use, where the target can tell. */
  readonly memoryBytes: number | null;
}

/** A board's power going off or on, when it happened (wall clock, ms). */
export interface PowerChange {
  readonly processor: Processor;
  readonly on: boolean;
  readonly atMs: number;
  /** The earliest it can have happened: `atMs` when exact, the last poll that saw the old state when polled. */
  readonly sinceMs: number;
  /** True when this feed did it (the time is exact); false when it was seen by polling. */
  readonly byFeed: boolean;
}

export interface PairReading {
  /** Wall-clock ms (boards/wall-clock.ts), the journals' scale. */
  readonly atMs: number;
  readonly boards: readonly [BoardReading, BoardReading];
  /** Journal entries recorded since the last reading. */
  readonly entries: readonly PairJournalEntry[];
  readonly powerChanges: readonly PowerChange[];
}

/** One answered request of the client load: when (wall clock, ms) and how long it waited. */
export interface LatencySample {
  readonly atMs: number;
  readonly waitedMs: number;
}

export interface LoadFigures extends HistoryCounts {
  readonly running: boolean;
  readonly clients: number;
}

export type FeedAction =
  | { readonly kind: 'power'; readonly processor: Processor; readonly on: boolean }
  | { readonly kind: 'cable'; readonly path: number; readonly cut: boolean }
  | { readonly kind: 'push'; readonly version: string }
  | { readonly kind: 'switch'; readonly direction: 'switch' | 'fallback' }
  | { readonly kind: 'load'; readonly run: boolean };

export interface ActionOutcome {
  readonly ok: boolean;
  /** What happened, for a person. */
  readonly message: string;
  /** A machine-readable reason when it failed ('refused', 'no-answer', 'unsupported', ...). */
  readonly code: string | null;
}

/** Where the client load comes from: the feed's own, or one a demo runs and lends. */
export interface LoadSource {
  figures(): LoadFigures;
  /** Samples from index `from` on (the list only grows). */
  latencies(from: number): readonly LatencySample[];
}

export interface PairFeed {
  /** Names the target for people: "lab in .tandem/lab". */
  readonly name: string;
  readonly capabilities: FeedCapabilities;
  /** Reads both boards at once; a board that does not answer within `timeoutMs` reads null. */
  read(timeoutMs: number): Promise<PairReading>;
  act(action: FeedAction): Promise<ActionOutcome>;
  /** The CLI command that does the same as `action` on this target. */
  commandFor(action: FeedAction): string;
  /** The client load, when one runs or ran. */
  readonly load: LoadSource | null;
  close(): Promise<void>;
}
