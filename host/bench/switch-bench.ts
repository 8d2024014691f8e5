/**
 * Switch and fallback by the size of the state (issue 13): ledger 2.0.0 is
 * pushed into both boards' other slots; then, for each size in turn, the
 * ledger is filled up to that many accounts through the field bus (the
 * product's own request path), and under `clients` clients the pair
 * switches to 2.0.0 and falls back to 1.0.0 with the real switch command.
 *
 * Everything is measured from the outside, so that it holds whatever the
 * boards do inside a switch:
 * - the longest any client request waited while the switch ran (the hold
 *   as the clients see it, with their ordinary wait), beside the longest
 *   wait in as long a time just before it;
 * - the boards' own hold (handshake to the new primary serving) as their
 *   journals time it, when they record those steps;
 * - the time without a backup: how long, by the role changes in both
 *   boards' journals, no processor was a backup;
 * - the interconnect bytes the switch cost, as the hub's cables count them
 *   (both paths, both ways, from the command to the pair settled).
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StateChunk } from '../../boards/management.ts';
import { wallClockMs } from '../../boards/wall-clock.ts';
import type { CableStatus } from '../lab/hub/control.ts';
import { cable } from '../lab/lab-config.ts';
import { fillLedger } from '../load/fill-ledger.ts';
import { openLabLoad } from '../load/lab-load.ts';
import {
  type BoardClient,
  BoardNotAnsweringError,
  BoardRefusedError,
} from '../pair/board-client.ts';
import { readBoardStatuses, roleOf } from '../pair/board-watch.ts';
import type { PairJournalEntry } from '../pair/pair-journal.ts';
import { pushImage } from '../pair/push.ts';
import { runSwitch, SwitchRefusedError } from '../pair/switch.ts';
import type { BenchLab } from './bench-lab.ts';

export type SwitchDirection = 'newer' | 'older';

export interface SwitchSample {
  /** Accounts in the ledger when the switch began. */
  readonly accounts: number;
  /** The state's encoded size on the primary before the switch (its snapshot), bytes. */
  readonly stateBytes: number | null;
  readonly direction: SwitchDirection;
  readonly from: string;
  readonly to: string;
  readonly ok: boolean;
  /** The longest any client request waited while the switch ran. */
  readonly clientWaitMsMax: number;
  /** The longest wait in as long a time just before the switch: the clients' ordinary wait. */
  readonly baselineWaitMsMax: number;
  /** The boards' hold, handshake (step e) to the new primary serving (step g); null when not recorded. */
  readonly boardHoldMs: number | null;
  /** How long no processor was a backup, from both boards' journals. */
  readonly withoutBackupMs: number | null;
  /** Interconnect bytes sent while the switch ran, both paths, both ways. */
  readonly interconnectBytes: number;
  /** From the command to the pair settled on the new version. */
  readonly totalMs: number;
  readonly failure: string | null;
}

export interface SwitchBySizeOptions {
  /** Ledger sizes to switch at, in accounts, ascending. */
  readonly accounts: readonly number[];
  readonly clients: number;
  /** The clients' think time between requests, at most: a steady load, not a saturated bus. */
  readonly thinkMsMax: number;
  readonly seed: number;
  /** Load before each switch; its longest wait is the baseline. */
  readonly settleMs: number;
}

/** A big state's switch crosses the line twice at the line rate. */
const SWITCH_TIMEOUT_MS = 120_000;
/** The journals are read every 20 ms: let them catch up before reading them. */
const JOURNAL_CATCH_UP_MS = 300;

export async function benchSwitchesBySize(
  lab: BenchLab,
  v2: Uint8Array,
  options: SwitchBySizeOptions,
  say: (line: string) => void = () => {},
): Promise<SwitchSample[]> {
  const { pair } = lab;
  await lab.whole();
  await pushNewVersion(lab, v2);
  const samples: SwitchSample[] = [];
  let opened = 0;
  for (const accounts of options.accounts) {
    if (accounts > opened) {
      const started = performance.now();
      await fillLedger(lab.pair.config, opened, accounts, options.seed + accounts);
      say(
        `${lab.baud} baud: ledger filled to ${accounts} accounts in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
      opened = accounts;
    }
    const stateBytes = await primaryStateBytes(lab);
    const { load, ports } = await openLabLoad(pair.config, options.clients, options.seed, {
      thinkMsMax: options.thinkMsMax,
    });
    try {
      load.start();
      for (const direction of ['newer', 'older'] as const) {
        await lab.whole();
        const settleFrom = performance.now();
        await sleep(options.settleMs);
        const sample = await oneSwitch(lab, direction, {
          accounts,
          stateBytes,
          waitedMsMax: (from, to) => load.waitedMsMaxBetween(from, to),
          settleFrom,
        });
        samples.push(sample);
        say(
          `${lab.baud} baud, ${accounts} accounts (${stateBytes ?? '?'} B of state): ${sample.from} -> ${sample.to} ${sample.ok ? 'ok' : `FAILED (${sample.failure})`}, longest client wait ${sample.clientWaitMsMax.toFixed(1)} ms (${sample.baselineWaitMsMax.toFixed(1)} before), boards' hold ${sample.boardHoldMs?.toFixed(1) ?? 'none'} ms, without a backup ${sample.withoutBackupMs?.toFixed(0) ?? '?'} ms, ${sample.interconnectBytes} B on the interconnect`,
        );
        if (!sample.ok) return samples;
      }
      await load.stop(5000);
    } finally {
      // After a failure the clients would retry for ever: abandon what is left.
      await load.stop(0);
      for (const port of ports) await port.close().catch(() => {});
    }
  }
  return samples;
}

async function oneSwitch(
  lab: BenchLab,
  direction: SwitchDirection,
  context: {
    readonly accounts: number;
    readonly stateBytes: number | null;
    readonly waitedMsMax: (fromMs: number, toMs: number) => number;
    /** When the load before the switch began (its baseline runs from here). */
    readonly settleFrom: number;
  },
): Promise<SwitchSample> {
  const { pair } = lab;
  // What each board was just before: the journals may say nothing of it (read from their end).
  const rolesBefore = (await readBoardStatuses(pair.hosts)).map((s) => roleOf(s)) as [
    string | null,
    string | null,
  ];
  const bytesBefore = await interconnectBytes(lab);
  const started = performance.now();
  const base = {
    accounts: context.accounts,
    stateBytes: context.stateBytes,
    direction,
  };
  // The clients' ordinary wait: as long a time just before the switch (within the settle time).
  const baseline = (endedMs: number) =>
    context.waitedMsMax(Math.max(context.settleFrom, started - (endedMs - started)), started);
  try {
    const report = await runSwitch(pair.hosts, { direction, timeoutMs: SWITCH_TIMEOUT_MS });
    const ended = performance.now();
    await sleep(JOURNAL_CATCH_UP_MS);
    return {
      ...base,
      from: report.from,
      to: report.to,
      ok: report.ok,
      clientWaitMsMax: context.waitedMsMax(started, ended),
      baselineWaitMsMax: baseline(ended),
      boardHoldMs: report.holdMs,
      withoutBackupMs: withoutBackupMs(
        lab.journal.entries,
        rolesBefore,
        wallClockMs(started),
        wallClockMs(ended),
      ),
      interconnectBytes: (await interconnectBytes(lab)) - bytesBefore,
      totalMs: ended - started,
      failure: report.failure,
    };
  } catch (error) {
    // A refusal (the pair changed under us, say) is a result to report, not a crash.
    if (!(error instanceof SwitchRefusedError || error instanceof BoardRefusedError)) throw error;
    const ended = performance.now();
    return {
      ...base,
      from: '?',
      to: direction === 'newer' ? 'newer' : 'older',
      ok: false,
      clientWaitMsMax: context.waitedMsMax(started, ended),
      baselineWaitMsMax: baseline(ended),
      boardHoldMs: null,
      withoutBackupMs: null,
      interconnectBytes: (await interconnectBytes(lab)) - bytesBefore,
      totalMs: ended - started,
      failure: `refused: ${error.message}`,
    };
  }
}

/** Pushes at most this many times when a board does not answer in time. */
const PUSH_ATTEMPTS = 3;

/**
 * Pushes `image` into both boards' other slots. On a loaded machine a
 * board can answer push-end (which reads the image back and verifies it)
 * after the host stopped waiting: pushing again finds the image there, or
 * resumes it, and sends what is missing.
 */
export async function pushNewVersion(lab: BenchLab, image: Uint8Array): Promise<void> {
  const { pair } = lab;
  const targets = pair.hosts.map((client, index) => ({
    processor: (index === 0 ? 1 : 2) as 1 | 2,
    client,
  }));
  for (let attempt = 1; ; attempt++) {
    try {
      await pushImage(targets, image, { publicKeys: pair.publicKeys, board: pair.config.board });
      return;
    } catch (error) {
      if (!(error instanceof BoardNotAnsweringError) || attempt >= PUSH_ATTEMPTS) throw error;
    }
  }
}

/** The encoded size of the primary's state: the first chunk of a state read says it. */
async function primaryStateBytes(lab: BenchLab): Promise<number | null> {
  const primary = await lab.whole();
  const host = lab.pair.hosts[primary - 1] as BoardClient;
  try {
    const chunk = (await host.request({ op: 'state' })) as StateChunk;
    return chunk.total;
  } catch {
    return null;
  }
}

/** Bytes that left either end of every interconnect cable so far, as the hub counts them. */
async function interconnectBytes(lab: BenchLab): Promise<number> {
  const names = new Set(
    Array.from({ length: lab.pair.config.paths }, (_, path) => cable.path(path)),
  );
  const cables: CableStatus[] = (await lab.hub.cables()).filter((c) => names.has(c.name));
  let sent = 0;
  for (const c of cables) {
    for (const d of Object.values(c.directions)) sent += d.bytesWritten - d.backlog;
  }
  return sent;
}

/**
 * How long, between two wall-clock times, no processor was a backup, by the
 * role changes in both boards' journals (a board's role holds until its
 * next role entry; a board that restarts says `booting` first), starting
 * from each board's role in `rolesBefore` (P1, P2; null if unknown) unless
 * an entry at or before `fromWallMs` says otherwise. Null when neither
 * board's role at the start is known.
 */
export function withoutBackupMs(
  entries: readonly PairJournalEntry[],
  rolesBefore: readonly [string | null, string | null],
  fromWallMs: number,
  toWallMs: number,
): number | null {
  const roles = entries
    .filter((e): e is Extract<PairJournalEntry, { kind: 'role' }> => e.kind === 'role')
    .sort((a, b) => a.atMs - b.atMs);
  const current: Record<1 | 2, string | null> = { 1: rolesBefore[0], 2: rolesBefore[1] };
  let index = 0;
  for (; index < roles.length && (roles[index] as PairJournalEntry).atMs <= fromWallMs; index++) {
    const entry = roles[index] as Extract<PairJournalEntry, { kind: 'role' }>;
    current[entry.processor] = entry.role;
  }
  if (current[1] === null && current[2] === null) return null;
  const hasBackup = () => current[1] === 'backup' || current[2] === 'backup';
  let total = 0;
  let since: number | null = hasBackup() ? null : fromWallMs;
  for (; index < roles.length; index++) {
    const entry = roles[index] as Extract<PairJournalEntry, { kind: 'role' }>;
    if (entry.atMs > toWallMs) break;
    current[entry.processor] = entry.role;
    if (since === null && !hasBackup()) since = entry.atMs;
    else if (since !== null && hasBackup()) {
      total += entry.atMs - since;
      since = null;
    }
  }
  if (since !== null) total += toWallMs - since;
  return total;
}
