/**
 * Any pair target as a PairFeed: a lab, real ports or a pair file. Both
 * boards' management ports are held open for the feed's life (opening them
 * for every reading is what made the old monitor slow), statuses and
 * journals are read at once, and the actions use what the target has:
 * power and cables only where it has those backends (a lab), load only
 * where it names the field-bus ports.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BoardStatus } from '../../boards/management.ts';
import { wallClockMs } from '../../boards/wall-clock.ts';
import { buildImage, DEFAULT_BOARDS, DEFAULT_IMAGE_DIR } from '../image/build.ts';
import { DEFAULT_KEY_DIR } from '../image/keys.ts';
import { LabNotRunningError } from '../lab/lab-client.ts';
import { type LabLoad, openBusLoad } from '../load/lab-load.ts';
import type { LoadGenerator } from '../load/load-generator.ts';
import {
  type BoardClient,
  BoardNotAnsweringError,
  BoardRefusedError,
} from '../pair/board-client.ts';
import { JournalReader } from '../pair/journal-reader.ts';
import type { PairJournalEntry } from '../pair/pair-journal.ts';
import { pushImage } from '../pair/push.ts';
import { runSwitch, SwitchRefusedError } from '../pair/switch.ts';
import { cableOf, type PairTarget, type PowerState, powerOf } from '../target/pair-target.ts';
import { targetArguments } from '../target/target-arguments.ts';
import { PairTargetError } from '../target/target-error.ts';
import type {
  ActionOutcome,
  BoardReading,
  FeedAction,
  FeedCapabilities,
  LoadSource,
  PairFeed,
  PairReading,
  PowerChange,
  Processor,
} from './pair-feed.ts';

export interface TargetFeedOptions {
  /** Where `push` finds the signing key for the images it builds. */
  readonly keyDir?: string;
  /** Clients the load action starts. */
  readonly clients?: number;
  /** A load someone else runs (the demo): shown, and the load action is then not offered. */
  readonly load?: LoadGenerator;
}

const PUSH_VERSIONS = ['1.0.0', '2.0.0'] as const;
/**
 * The power is polled apart from the readings, this often, so a pull made
 * by another tool (`tandem power pull`) is timed to within about this.
 */
const POWER_POLL_MS = 20;

/** A LoadGenerator's figures and latencies on the wall clock. */
export function loadSourceOf(load: LoadGenerator, clients: number, running: () => boolean) {
  return {
    figures: () => ({
      running: running(),
      clients,
      acknowledged: load.history.acknowledged,
      lost: load.history.lost,
      duplicated: load.history.duplicated,
    }),
    latencies: (from: number) =>
      load.waits.slice(from).map((w) => ({ atMs: wallClockMs(w.atMs), waitedMs: w.waitedMs })),
  } satisfies LoadSource;
}

export class TargetFeed implements PairFeed {
  readonly name: string;
  readonly #readers: readonly [JournalReader, JournalReader];
  readonly #keyDir: string;
  readonly #clients: number;
  #powered: Record<Processor, boolean | null> = { 1: null, 2: null };
  #changes: PowerChange[] = [];
  /** When this feed last switched each board's power (wall clock). */
  #switchedAtMs: Record<Processor, number> = { 1: 0, 2: 0 };
  #ownLoad: LabLoad | null = null;
  #ownLoadRunning = false;
  #load: LoadSource | null;
  /** The load is someone else's (the demo's): shown, never started or stopped here. */
  readonly #loadLent: boolean;
  /** Journal entries from before the feed opened are history, not news (a skip can stop early). */
  #startedAtMs = 0;
  #powerPolling = false;
  #powerLoop: Promise<void> = Promise.resolve();
  #power: readonly PowerState[] | null = null;
  /** When the last poll of the power answered (wall clock). */
  #powerSeenMs: number | null = null;

  private constructor(
    readonly target: PairTarget,
    readonly hosts: readonly [BoardClient, BoardClient],
    readonly capabilities: FeedCapabilities,
    /** The board name the push action builds for; null: the build's default boards. */
    readonly imageBoard: string | null,
    options: TargetFeedOptions,
    /** Close the host ports with the feed (false when they were lent, as by the demo). */
    readonly ownsHosts: boolean,
  ) {
    this.name = target.label;
    this.#readers = [new JournalReader(hosts[0]), new JournalReader(hosts[1])];
    this.#keyDir = options.keyDir ?? DEFAULT_KEY_DIR;
    this.#clients = options.clients ?? 4;
    this.#loadLent = options.load !== undefined;
    this.#load =
      options.load === undefined
        ? null
        : loadSourceOf(options.load, options.load.options.clients, () => true);
  }

  /**
   * Opens both boards' management ports of `target` (its typed errors when
   * it cannot: LabNotRunningError, PairTargetError); journals are read from now on.
   */
  static async open(target: PairTarget, options: TargetFeedOptions = {}): Promise<TargetFeed> {
    const hosts = await target.openBoards().catch((error: Error) => {
      if (error instanceof PairTargetError || error instanceof LabNotRunningError) throw error;
      throw new BoardNotAnsweringError(
        `cannot open the boards' management ports of ${target.label} (${error.message}); a port has one owner: stop the other tandem command that holds it (monitor, dashboard, demo, switch) first`,
      );
    });
    try {
      return await TargetFeed.#make(target, hosts, options, true);
    } catch (error) {
      for (const host of hosts) await host.close().catch(() => {});
      throw error;
    }
  }

  /** A feed on host ports someone else holds open (the demo's); closing it leaves them open. */
  static attach(
    target: PairTarget,
    hosts: readonly [BoardClient, BoardClient],
    options: TargetFeedOptions = {},
  ): Promise<TargetFeed> {
    return TargetFeed.#make(target, hosts, options, false);
  }

  static async #make(
    target: PairTarget,
    hosts: readonly [BoardClient, BoardClient],
    options: TargetFeedOptions,
    ownsHosts: boolean,
  ): Promise<TargetFeed> {
    const capabilities: FeedCapabilities = {
      power: target.power !== null,
      cables: target.cable === null ? 0 : await target.cable.paths(),
      pushVersions: PUSH_VERSIONS,
      load: options.load === undefined && (await hasBus(target)),
    };
    // Where the key cannot be read, the push action says so when it is tried.
    const trusted = await target.imageTrust().catch(() => null);
    const imageBoard =
      trusted === null || DEFAULT_BOARDS.includes(trusted.board) ? null : trusted.board;
    return new TargetFeed(target, hosts, capabilities, imageBoard, options, ownsHosts).#start();
  }

  async #start(): Promise<this> {
    this.#startedAtMs = wallClockMs();
    await Promise.all(this.#readers.map((reader) => reader.skipToEnd()));
    if (this.target.power !== null) {
      this.#powerPolling = true;
      this.#powerLoop = this.#pollPower();
    }
    return this;
  }

  get load(): LoadSource | null {
    return this.#load;
  }

  async read(timeoutMs: number): Promise<PairReading> {
    const [status1, status2, entries1, entries2] = await Promise.all([
      this.#status(0, timeoutMs),
      this.#status(1, timeoutMs),
      this.#readers[0].read(timeoutMs),
      this.#readers[1].read(timeoutMs),
    ]);
    // The power once more, after the journals: a pull that caused a takeover just read is known.
    if (this.target.power !== null) await this.#pollPowerOnce();
    const atMs = wallClockMs();
    const power = this.#power;
    const entries: PairJournalEntry[] = [
      ...entries1.map((entry) => ({ ...entry, processor: 1 as const })),
      ...entries2.map((entry) => ({ ...entry, processor: 2 as const })),
    ].filter((entry) => entry.atMs >= this.#startedAtMs);
    const powerChanges = this.#changes;
    this.#changes = [];
    return {
      atMs,
      boards: [this.#board(1, status1, power, atMs), this.#board(2, status2, power, atMs)],
      entries,
      powerChanges,
    };
  }

  async act(action: FeedAction): Promise<ActionOutcome> {
    try {
      return await this.#act(action);
    } catch (error) {
      if (error instanceof PairTargetError) {
        return { ok: false, message: `${error.message} (${error.hint})`, code: error.code };
      }
      const code =
        error instanceof SwitchRefusedError
          ? 'refused'
          : error instanceof BoardRefusedError
            ? error.code
            : error instanceof BoardNotAnsweringError
              ? 'no-answer'
              : 'failed';
      return { ok: false, message: (error as Error).message, code };
    }
  }

  commandFor(action: FeedAction): string {
    const named = (needs: { bus?: boolean } = {}) => {
      const words = targetArguments(this.target.spec, needs);
      return words.length === 0 ? '' : ` ${words.join(' ')}`;
    };
    switch (action.kind) {
      case 'power':
        return `npx tandem power ${action.on ? 'restore' : 'pull'} ${action.processor}${named()}`;
      case 'cable':
        return `npx tandem cable ${action.cut ? 'cut' : 'restore'} ${action.path}${named()}`;
      case 'push':
        return `npx tandem build ledger --version ${action.version}${this.imageBoard === null ? '' : ` --board ${this.imageBoard}`} --key ${this.#keyDir} && npx tandem push ${join(DEFAULT_IMAGE_DIR, `ledger-${action.version}.img`)}${named()}`;
      case 'switch':
        return `npx tandem ${action.direction}${named()}`;
      case 'load':
        return action.run
          ? `npx tandem load --clients ${this.#clients} --seconds <s>${named({ bus: true })}`
          : '(Ctrl-C ends `tandem load`)';
    }
  }

  async close(): Promise<void> {
    this.#powerPolling = false;
    await this.#powerLoop;
    await this.#stopLoad();
    if (!this.ownsHosts) return;
    for (const host of this.hosts) await host.close().catch(() => {});
  }

  async #act(action: FeedAction): Promise<ActionOutcome> {
    switch (action.kind) {
      case 'power': {
        // Throws PairTargetError 'no-power-backend' where the target has none.
        const power = powerOf(this.target);
        // Noted before it is done: a reading must not see the takeover before the pull.
        this.#switchedAtMs[action.processor] = wallClockMs();
        const atMs = this.#switchedAtMs[action.processor];
        this.#notePower(action.processor, action.on, { atMs, sinceMs: atMs, byFeed: true });
        await power.set(action.processor, action.on);
        // Polls asked while the request was under way may still tell the old state.
        this.#switchedAtMs[action.processor] = wallClockMs();
        return done(`processor ${action.processor}: power ${action.on ? 'restored' : 'pulled'}`);
      }
      case 'cable': {
        const cable = cableOf(this.target);
        const path = action.path === 0 ? 0 : action.path === 1 ? 1 : null;
        if (path === null || path >= this.capabilities.cables) {
          return { ok: false, message: `there is no path ${action.path}`, code: 'bad-path' };
        }
        await cable.change({
          path,
          direction: 'both',
          faults: action.cut ? { cut: true } : {},
          restore: !action.cut,
        });
        return done(`path ${action.path}: ${action.cut ? 'cut' : 'restored'}`);
      }
      case 'push': {
        const trust = await this.target.imageTrust();
        const built = await buildImage({
          app: 'ledger',
          version: action.version,
          boards: [trust.board],
          keyDir: this.#keyDir,
        });
        const result = await pushImage(
          this.hosts.map((client, index) => ({ processor: index === 0 ? 1 : 2, client })),
          built.image,
          trust,
        );
        const slots = result.boards.map((b) => `P${b.processor} slot ${b.slot}`).join(', ');
        return done(`ledger ${result.manifest.version} pushed: ${slots}`);
      }
      case 'switch': {
        const report = await runSwitch(this.hosts, {
          direction: action.direction === 'fallback' ? 'older' : 'either',
        });
        const held = report.holdMs === null ? 'n/a' : `${report.holdMs.toFixed(1)} ms`;
        return report.ok
          ? done(
              `${action.direction} ${report.from} -> ${report.to}: success, requests held ${held}`,
            )
          : {
              ok: false,
              message: `${action.direction} ${report.from} -> ${report.to}: failed at step ${report.failedStep ?? '?'}: ${report.failure ?? ''}`,
              code: 'switch-failed',
            };
      }
      case 'load':
        if (!this.capabilities.load) {
          return {
            ok: false,
            message: this.#loadLent
              ? 'the load is run by someone else (the demo)'
              : `${this.target.label} names no field-bus ports to run clients on (--bus B1,B2, or "bus" in the pair file)`,
            code: 'unsupported',
          };
        }
        if (action.run) return this.#startLoad();
        await this.#stopLoad();
        return done('load stopped');
    }
  }

  async #startLoad(): Promise<ActionOutcome> {
    if (this.#ownLoadRunning) return done('load already running');
    await this.#stopLoad();
    const opened = await openBusLoad({
      ...(await this.target.bus()),
      clients: this.#clients,
      seed: 1,
      clientPrefix: 'load',
    });
    this.#ownLoad = opened;
    this.#ownLoadRunning = true;
    this.#load = loadSourceOf(opened.load, this.#clients, () => this.#ownLoadRunning);
    opened.load.start();
    return done(`load running: ${this.#clients} clients`);
  }

  async #stopLoad(): Promise<void> {
    const own = this.#ownLoad;
    if (own === null || !this.#ownLoadRunning) return;
    this.#ownLoadRunning = false;
    await own.load.stop(5000);
    for (const port of own.ports) await port.close().catch(() => {});
  }

  async #pollPower(): Promise<void> {
    while (this.#powerPolling) {
      await this.#pollPowerOnce();
      await sleep(POWER_POLL_MS);
    }
  }

  async #pollPowerOnce(): Promise<void> {
    const power = this.target.power;
    if (power === null) return;
    const sentMs = wallClockMs();
    const states = await power.read().catch(() => null);
    if (states === null) return;
    // The change happened between the last answer that showed the old state and this ask.
    const sinceMs = this.#powerSeenMs ?? sentMs;
    const atMs = (sinceMs + sentMs) / 2;
    for (const state of states) {
      // A poll asked before this feed switched the power tells the old state: not a change.
      if (sentMs < this.#switchedAtMs[state.processor]) continue;
      this.#notePower(state.processor, state.on, { atMs, sinceMs, byFeed: false });
    }
    this.#power = states;
    this.#powerSeenMs = wallClockMs();
  }

  #notePower(
    processor: Processor,
    on: boolean,
    when: Pick<PowerChange, 'atMs' | 'sinceMs' | 'byFeed'>,
  ): void {
    const was = this.#powered[processor];
    this.#powered[processor] = on;
    if (was !== null && was !== on) this.#changes.push({ processor, on, ...when });
  }

  async #status(index: 0 | 1, timeoutMs: number): Promise<BoardStatus | null> {
    try {
      return (await this.hosts[index].request({ op: 'status' }, timeoutMs)) as BoardStatus;
    } catch {
      return null;
    }
  }

  #board(
    processor: Processor,
    status: BoardStatus | null,
    power: readonly PowerState[] | null,
    atMs: number,
  ): BoardReading {
    const state = power?.find((p) => p.processor === processor);
    const reader = this.#readers[processor - 1];
    // A Node board's power-on id is its process's start time on its wall clock.
    const powerOn = reader?.powerOn ?? 0;
    return {
      processor,
      status,
      powered: state?.on ?? null,
      uptimeMs: status !== null && powerOn > 0 ? Math.max(0, atMs - powerOn) : null,
      memoryBytes: state?.on && state.pid !== null ? residentBytes(state.pid) : null,
    };
  }
}

/** Whether the target names the field-bus ports the load's clients need. */
async function hasBus(target: PairTarget): Promise<boolean> {
  try {
    await target.bus();
    return true;
  } catch (error) {
    if (error instanceof PairTargetError && error.code === 'no-bus-ports') return false;
    throw error;
  }
}

function done(message: string): ActionOutcome {
  return { ok: true, message, code: null };
}

/** A board process's resident memory, from /proc where there is one. */
function residentBytes(pid: number): number | null {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] === undefined ? null : Number(match[1]) * 1024;
  } catch {
    return null;
  }
}
