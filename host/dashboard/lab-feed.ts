/**
 * The lab as a PairFeed: both boards' host ports held open for the feed's
 * life (opening them for every reading is what made the old monitor slow),
 * statuses and journals read at once, the lab's power rails and cables as
 * actions, and client load on the lab's field bus.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadPublicKey } from '../../boards/image/public-key.ts';
import type { BoardStatus } from '../../boards/management.ts';
import { wallClockMs } from '../../boards/wall-clock.ts';
import { buildImage, DEFAULT_IMAGE_DIR } from '../image/build.ts';
import { DEFAULT_KEY_DIR } from '../image/keys.ts';
import {
  type BoardClient,
  BoardNotAnsweringError,
  BoardRefusedError,
} from '../lab/board-client.ts';
import { JournalReader } from '../lab/journal-reader.ts';
import { openLabHosts } from '../lab/lab-boards.ts';
import { type LabBoardState, LabClient } from '../lab/lab-client.ts';
import { type LabConfig, readLabConfig } from '../lab/lab-config.ts';
import type { PairJournalEntry } from '../lab/pair-journal.ts';
import { pushImage } from '../lab/push.ts';
import { runSwitch, SwitchRefusedError } from '../lab/switch.ts';
import { type LabLoad, openLabLoad } from '../load/lab-load.ts';
import type { LoadGenerator } from '../load/load-generator.ts';
import type {
  ActionOutcome,
  BoardReading,
  FeedAction,
  LoadSource,
  PairFeed,
  PairReading,
  PowerChange,
  Processor,
} from './pair-feed.ts';

export interface LabFeedOptions {
  /** Where `push` finds the signing key for the images it builds. */
  readonly keyDir?: string;
  /** Clients the load action starts. */
  readonly clients?: number;
  /** A load someone else runs (the demo): shown, and the load action is then not offered. */
  readonly load?: LoadGenerator;
}

const PUSH_VERSIONS = ['1.0.0', '2.0.0'] as const;
/**
 * The power rails are polled apart from the readings, this often, so a pull
 * made by another tool (`tandem power pull`) is timed to within about this.
 */
const RAILS_POLL_MS = 20;

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

export class LabFeed implements PairFeed {
  readonly name: string;
  readonly capabilities;
  readonly #lab: LabClient;
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
  /** Journal entries from before the feed opened are history, not news (a skip can stop early). */
  #startedAtMs = 0;
  #railsRunning = false;
  #railsLoop: Promise<void> = Promise.resolve();
  #rails: readonly LabBoardState[] | null = null;
  /** When the last poll of the rails answered (wall clock). */
  #railsSeenMs: number | null = null;

  private constructor(
    readonly config: LabConfig,
    readonly hosts: readonly [BoardClient, BoardClient],
    options: LabFeedOptions,
    /** Close the host ports with the feed (false when they were lent, as by the demo). */
    readonly ownsHosts: boolean,
  ) {
    this.name = `lab in ${config.dir}`;
    this.#lab = new LabClient(config.dir);
    this.#readers = [new JournalReader(hosts[0]), new JournalReader(hosts[1])];
    this.#keyDir = options.keyDir ?? DEFAULT_KEY_DIR;
    this.#clients = options.clients ?? 4;
    this.#load =
      options.load === undefined
        ? null
        : loadSourceOf(options.load, options.load.options.clients, () => true);
    this.capabilities = {
      power: true,
      cables: config.paths,
      pushVersions: PUSH_VERSIONS,
      load: options.load === undefined,
    };
  }

  /** Opens the lab in `dir` (LabNotRunningError when none runs there); journals are read from now on. */
  static async open(dir: string, options: LabFeedOptions = {}): Promise<LabFeed> {
    await new LabClient(resolve(dir)).boards();
    const config = readLabConfig(resolve(dir));
    const hosts = await openLabHosts(config).catch((error: Error) => {
      throw new BoardNotAnsweringError(
        `cannot open the boards' management ports (${error.message}); a port has one owner: stop the other tandem command that holds it (monitor, dashboard, demo, switch) first`,
      );
    });
    return new LabFeed(config, hosts, options, true).#start();
  }

  /** A feed on host ports someone else holds open (the demo's); closing it leaves them open. */
  static attach(
    config: LabConfig,
    hosts: readonly [BoardClient, BoardClient],
    options: LabFeedOptions = {},
  ): Promise<LabFeed> {
    return new LabFeed(config, hosts, options, false).#start();
  }

  async #start(): Promise<this> {
    this.#startedAtMs = wallClockMs();
    await Promise.all(this.#readers.map((reader) => reader.skipToEnd()));
    this.#railsRunning = true;
    this.#railsLoop = this.#pollRails();
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
    // The rails once more, after the journals: a pull that caused a takeover just read is known.
    await this.#pollRailsOnce();
    const atMs = wallClockMs();
    const rails = this.#rails;
    const entries: PairJournalEntry[] = [
      ...entries1.map((entry) => ({ ...entry, processor: 1 as const })),
      ...entries2.map((entry) => ({ ...entry, processor: 2 as const })),
    ].filter((entry) => entry.atMs >= this.#startedAtMs);
    const powerChanges = this.#changes;
    this.#changes = [];
    return {
      atMs,
      boards: [this.#board(1, status1, rails, atMs), this.#board(2, status2, rails, atMs)],
      entries,
      powerChanges,
    };
  }

  async act(action: FeedAction): Promise<ActionOutcome> {
    try {
      return await this.#act(action);
    } catch (error) {
      const code =
        error instanceof SwitchRefusedError
          ? 'refused'
          : error instanceof BoardRefusedError
            ? error.code
            : 'failed';
      return { ok: false, message: (error as Error).message, code };
    }
  }

  commandFor(action: FeedAction): string {
    const dir = `--dir ${this.config.dir}`;
    switch (action.kind) {
      case 'power':
        return `npx tandem power ${action.on ? 'restore' : 'pull'} ${action.processor} ${dir}`;
      case 'cable':
        return `npx tandem cable ${action.cut ? 'cut' : 'restore'} ${action.path} ${dir}`;
      case 'push':
        return `npx tandem build ledger --version ${action.version} --key ${this.#keyDir} && npx tandem push ${join(DEFAULT_IMAGE_DIR, `ledger-${action.version}.img`)} ${dir}`;
      case 'switch':
        return `npx tandem ${action.direction} ${dir}`;
      case 'load':
        return action.run
          ? `npx tandem load --clients ${this.#clients} --seconds <s> ${dir}`
          : '(Ctrl-C ends `tandem load`)';
    }
  }

  async close(): Promise<void> {
    this.#railsRunning = false;
    await this.#railsLoop;
    await this.#stopLoad();
    if (!this.ownsHosts) return;
    for (const host of this.hosts) await host.close().catch(() => {});
  }

  async #act(action: FeedAction): Promise<ActionOutcome> {
    switch (action.kind) {
      case 'power': {
        // Noted before it is done: a reading must not see the takeover before the pull.
        this.#switchedAtMs[action.processor] = wallClockMs();
        this.#notePower(action.processor, action.on, this.#switchedAtMs[action.processor], true);
        await this.#lab.power(action.processor, action.on);
        // Polls asked while the request was under way may still tell the old state.
        this.#switchedAtMs[action.processor] = wallClockMs();
        return done(`processor ${action.processor}: power ${action.on ? 'restored' : 'pulled'}`);
      }
      case 'cable': {
        if (action.path < 0 || action.path >= this.config.paths) {
          return { ok: false, message: `the lab has no path ${action.path}`, code: 'bad-path' };
        }
        await this.#lab.request({
          op: 'cable',
          cable: `path${action.path}`,
          direction: 'both',
          faults: action.cut ? { cut: true } : {},
          restore: !action.cut,
        });
        return done(`path ${action.path}: ${action.cut ? 'cut' : 'restored'}`);
      }
      case 'push': {
        const built = await buildImage({
          app: 'ledger',
          version: action.version,
          boards: [this.config.board],
          keyDir: this.#keyDir,
        });
        const result = await pushImage(
          this.hosts.map((client, index) => ({ processor: index === 0 ? 1 : 2, client })),
          built.image,
          { publicKeys: [loadPublicKey(this.config.publicKeyFile)], board: this.config.board },
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
          return { ok: false, message: 'the load is run by the demo', code: 'unsupported' };
        }
        if (action.run) return this.#startLoad();
        await this.#stopLoad();
        return done('load stopped');
    }
  }

  async #startLoad(): Promise<ActionOutcome> {
    if (this.#ownLoadRunning) return done('load already running');
    await this.#stopLoad();
    const opened = await openLabLoad(this.config, this.#clients, 1);
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

  async #pollRails(): Promise<void> {
    while (this.#railsRunning) {
      await this.#pollRailsOnce();
      await sleep(RAILS_POLL_MS);
    }
  }

  async #pollRailsOnce(): Promise<void> {
    const sentMs = wallClockMs();
    const rails = await this.#lab.boards().catch(() => null);
    if (rails === null) return;
    // The change happened between the last answer that showed the old state and this ask.
    const atMs = this.#railsSeenMs === null ? sentMs : (this.#railsSeenMs + sentMs) / 2;
    for (const rail of rails) {
      // A poll asked before this feed switched the rail tells the old state: not a change.
      if (sentMs < this.#switchedAtMs[rail.processor]) continue;
      this.#notePower(rail.processor, rail.powered, atMs, false);
    }
    this.#rails = rails;
    this.#railsSeenMs = wallClockMs();
  }

  #notePower(processor: Processor, on: boolean, atMs: number, byFeed: boolean): void {
    const was = this.#powered[processor];
    this.#powered[processor] = on;
    if (was !== null && was !== on) this.#changes.push({ processor, on, atMs, byFeed });
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
    rails: readonly LabBoardState[] | null,
    atMs: number,
  ): BoardReading {
    const rail = rails?.find((r) => r.processor === processor);
    const reader = this.#readers[processor - 1];
    // A lab board's power-on id is its process's start time on the wall clock.
    const powerOn = reader?.powerOn ?? 0;
    return {
      processor,
      status,
      powered: rail?.powered ?? null,
      uptimeMs: status !== null && powerOn > 0 ? Math.max(0, atMs - powerOn) : null,
      memoryBytes: rail?.powered && rail.pid !== null ? residentBytes(rail.pid) : null,
    };
  }
}

function done(message: string): ActionOutcome {
  return { ok: true, message, code: null };
}

/** A lab board process's resident memory, from /proc where there is one. */
function residentBytes(pid: number): number | null {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] === undefined ? null : Number(match[1]) * 1024;
  } catch {
    return null;
  }
}
