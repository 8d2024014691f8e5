/**
 * One simulated world: two boards running the real pair core, cables
 * between them, clients on a bus that reaches both, a host that pushes
 * images into the boards' inactive slots, and a fault schedule, all in
 * virtual time and all driven by one seed. `runSeed` plays it out and
 * checks safety after every step, then liveness once the faults stop.
 */
import type { AnyApp } from '../../firmware/app.ts';
import { type PairConfig, pairConfig } from '../../firmware/runtime/config.ts';
import type { PairCore } from '../../firmware/runtime/core.ts';
import type { ClientRequest } from '../../firmware/runtime/messages.ts';
import type { Output, PairEvent } from '../../firmware/runtime/outputs.ts';
import { seededRandom } from '../../firmware/runtime/random.ts';
import { Line } from './cable.ts';
import { EventQueue } from './event-queue.ts';
import { History, type Violation } from './history.ts';
import { IMAGE_BYTES, SimBoard } from './sim-board.ts';
import { SimClient } from './sim-client.ts';

export interface WorldOptions {
  readonly seed: number;
  /** Loads an app image by version, in the chosen checkpoint model. */
  readonly loadApp: (version: string) => AnyApp;
  /** The version every board starts on, and the one staged in the other slot. */
  readonly versions: readonly [string, string];
  /** Generates client requests from a random source. */
  readonly workload: (random: () => number) => () => unknown;
  readonly runMs: number;
  readonly baud: number;
  readonly clients: number;
  readonly pathCount: 1 | 2;
  readonly config?: Partial<PairConfig>;
  /** Random faults from the seed. */
  readonly faults: boolean;
  /**
   * The host pushes images from the seed: some seeds start with the other
   * slot of one or both boards empty, the host keeps every board's inactive
   * slot holding the version a switch (or fallback) would boot, resuming
   * pushes a power loss cut short, and now and then pushes again over a
   * whole image (while a switch is under way, among other times).
   */
  readonly pushes?: boolean;
  /** Processors whose other slot starts empty (instead of the seed's choice). */
  readonly emptyOtherSlot?: readonly (1 | 2)[];
  /** Faults and commands at fixed times, for scenarios that read like a script. */
  readonly script?: readonly ScriptStep[];
  /** Collect a readable trace of every event. */
  readonly trace: boolean;
}

export type ScriptAction =
  | 'pull-primary'
  | 'pull-primary-mid-checkpoint'
  | 'pull-backup'
  | 'restore-power'
  | 'switch'
  | 'push-p1'
  | 'push-p2'
  | 'cut-path-0'
  | 'restore-cables';

export interface ScriptStep {
  readonly atMs: number;
  readonly action: ScriptAction;
}

export interface SeedResult {
  readonly seed: number;
  readonly violations: readonly Violation[];
  readonly acknowledged: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly splitBrain: number;
  readonly takeovers: number;
  readonly switches: number;
  readonly fallbacks: number;
  readonly switchFailures: number;
  /** Switches the primary refused because an other slot lacked the image (also in switchFailures). */
  readonly switchesRefusedUnpushed: number;
  /** Image pushes into an inactive slot that completed. */
  readonly pushesCompleted: number;
  /** Pushes cut short by a power loss (the slot is left partial; a later push resumes it). */
  readonly pushesInterrupted: number;
  readonly doubleFailures: number;
  readonly lostToDoubleFailure: number;
  readonly powerPulls: number;
  readonly faultsInjected: number;
  readonly holdMsMax: number;
  readonly virtualMs: number;
  readonly trace: readonly string[];
  /** Versions of processor 1 and 2 at the end. */
  readonly finalVersions: readonly string[];
}

const BOOT_MS = 25;
const SERVING_ROLES: ReadonlySet<string> = new Set(['primary', 'primary-alone', 'switching']);
const BUS_LATENCY_MS = 0.5;
const REFORM_BOUND_MS = 10_000;
/** A core that keeps asking for a wake-up at the same instant is stuck: fail loudly. */
const WAKES_AT_ONE_INSTANT_MAX = 10_000;
/**
 * A push goes over the board's host line, the management UART at the
 * common 115200 baud, 10 bits a byte (8N1): an image of IMAGE_BYTES takes
 * about 6.1 s. The real figure, not a scaled one: a push costs the
 * simulator two events whatever it lasts, and its length is the window in
 * which faults and switches meet it.
 */
const HOST_BAUD = 115_200;
const PUSH_MS_PER_BYTE = 10_000 / HOST_BAUD;
/** The board acknowledges a push in chunks; an interrupted push resumes after the last whole one. */
const PUSH_CHUNK_BYTES = 512;
/** The host looks at each board's slots every 300 to 1000 ms. */
const HOST_POLL_MS = 300;
const HOST_POLL_SPREAD_MS = 700;
/** Share of seeds that start with the other slot of one or both boards empty. */
const EMPTY_START_SHARE = 0.3;
/** Share of started switches during which the host pushes again into some board's inactive slot. */
const PUSH_DURING_SWITCH_SHARE = 0.25;
/**
 * Between two pushes over a whole image, at random: 15 to 45 s. Each one
 * leaves a board without a staged image for 6 s or more, so more often
 * would crowd out the switches and fallbacks the schedule exists to test.
 */
const REPUSH_EVERY_MS = 15_000;

export function runSeed(options: WorldOptions): SeedResult {
  return new World(options).run();
}

class World {
  readonly queue = new EventQueue();
  readonly random: () => number;
  readonly boards: SimBoard[];
  /** lines[path][from board] carries bytes from that board to the other. */
  readonly lines: Line[][];
  /** A two-way cut unplugs the cable: data and DSR both ways. */
  readonly unplugged: boolean[];
  readonly clients: SimClient[] = [];
  readonly history: History;
  readonly trace: string[] = [];
  /** Per board: gave up its copy of the state since the pair was last whole. */
  readonly gaveUpState = [false, false];
  readonly wakeAt = [Infinity, Infinity];
  readonly #wakesNow = [0, 0];
  counts = {
    takeovers: 0,
    switches: 0,
    fallbacks: 0,
    switchFailures: 0,
    switchesRefusedUnpushed: 0,
    pushesCompleted: 0,
    pushesInterrupted: 0,
    doubleFailures: 0,
    splitBrain: 0,
  };
  /** Draws for the host's pushes: a stream of their own, so the fault draws stay as they were. */
  readonly pushRandom: () => number;
  /** Per board: the push under way, if any. */
  readonly pushing: (PushInFlight | null)[] = [null, null];
  /**
   * Per board and slot: the version whose push into that slot completed (or
   * that was there from the start); '' while none has, or while it is
   * pushed again. A board may only ever boot, or report, what this says.
   */
  readonly pushedImage: [string, string][];
  /** Pushes again into a board's inactive slot at a chosen step of the switch under way. */
  onSwitchStepPush: ((step: string) => void) | null = null;
  powerPulls = 0;
  faultsInjected = 0;
  holdMsMax = 0;
  inFinalPhase = false;

  constructor(readonly options: WorldOptions) {
    this.random = seededRandom(options.seed);
    this.pushRandom = seededRandom((Math.imul(options.seed, 0x9e3779b1) ^ 0x7f4a7c15) >>> 0);
    this.history = new History(options.loadApp, 'reported');
    const config = (p: 1 | 2) =>
      pairConfig(p, { pathCount: options.pathCount, baud: options.baud, ...options.config });
    const empty = this.#emptyAtStart();
    const slots = (p: 1 | 2): [string, string] => [
      options.versions[0],
      empty.includes(p) ? '' : options.versions[1],
    ];
    this.pushedImage = [slots(1), slots(2)];
    this.boards = [
      new SimBoard(1, config(1), options.loadApp, slots(1), options.seed),
      new SimBoard(2, config(2), options.loadApp, slots(2), options.seed + 1),
    ];
    this.lines = [];
    this.unplugged = [];
    for (let path = 0; path < options.pathCount; path++) {
      this.lines.push([0, 1].map((from) => this.#line(path, from === 0 ? 1 : 0)));
      this.unplugged.push(false);
    }
  }

  /** Processors whose other slot starts empty: as the options say, or as the seed draws. */
  #emptyAtStart(): readonly (1 | 2)[] {
    if (this.options.emptyOtherSlot !== undefined) return this.options.emptyOtherSlot;
    if (this.options.pushes !== true || this.pushRandom() >= EMPTY_START_SHARE) return [];
    const r = this.pushRandom();
    return r < 0.5 ? [1, 2] : r < 0.75 ? [1] : [2];
  }

  #line(path: number, to: 0 | 1): Line {
    return new Line(
      this.queue,
      this.options.baud,
      seededRandom(this.options.seed * 7 + path * 2 + to),
      (bytes) => {
        const core = this.boards[to]?.core;
        if (core == null) return;
        core.receiveBytes(path, bytes, this.queue.now);
        this.#pump(to);
      },
    );
  }

  run(): SeedResult {
    const { options, queue } = this;
    for (const index of [0, 1] as const) this.#powerOn(index);
    for (let c = 0; c < options.clients; c++) {
      const random = seededRandom(options.seed * 13 + c);
      const client = new SimClient(
        `c${c}`,
        this.#clientEnvironment(),
        options.workload(random),
        random,
        {
          timeoutMs: 150,
          thinkMsMax: 20,
        },
      );
      this.clients.push(client);
      queue.at(200, () => client.start());
    }
    if (options.faults) this.#scheduleFaults();
    if (options.pushes === true) this.#scheduleHost();
    for (const step of options.script ?? []) queue.at(step.atMs, () => this.#scripted(step.action));
    queue.advanceTo(options.runMs);
    this.#finalPhase();
    return this.#result();
  }

  // ------------------------------------------------------------- boards

  #powerOn(index: 0 | 1): void {
    const board = this.boards[index] as SimBoard;
    board.powered = true;
    this.#updateDsr();
    this.queue.at(this.queue.now + BOOT_MS, () => this.#boot(index));
  }

  #boot(index: 0 | 1): void {
    const board = this.boards[index] as SimBoard;
    if (!board.powered || board.core !== null) return;
    const core = board.boot(this.queue.now);
    this.wakeAt[index] = Infinity;
    if (board.bootNote !== '') this.#log(index, board.bootNote);
    this.#log(
      index,
      `boots ${board.version}${board.trial ? ' (trial)' : ''}, incarnation ${core.incarnation}`,
    );
    this.#checkImages(index, core);
    this.#applyDsr(index);
    this.#pump(index);
  }

  /** Power lost (pull) or reset line pulled (fence): the core is gone at once. */
  #reset(index: 0 | 1, why: string): void {
    const board = this.boards[index] as SimBoard;
    if (board.core === null && !board.powered) return;
    board.reset();
    this.gaveUpState[index] = true;
    this.#log(index, why);
    this.#afterStep();
  }

  #pullPower(index: 0 | 1): void {
    const board = this.boards[index] as SimBoard;
    if (!board.powered) return;
    this.powerPulls += 1;
    board.powered = false;
    this.#interruptPush(index);
    this.#reset(index, 'power pulled');
    this.#updateDsr();
  }

  #restorePower(index: 0 | 1): void {
    const board = this.boards[index] as SimBoard;
    if (board.powered) return;
    this.#log(index, 'power restored');
    this.#powerOn(index);
  }

  #dsrLevel(index: 0 | 1, path: number): boolean {
    const partner = this.boards[index === 0 ? 1 : 0] as SimBoard;
    return partner.powered && !this.unplugged[path];
  }

  #applyDsr(index: 0 | 1): void {
    const core = this.boards[index]?.core;
    if (core == null) return;
    for (let path = 0; path < this.options.pathCount; path++)
      core.setDsr(path, this.#dsrLevel(index, path), this.queue.now);
  }

  #updateDsr(): void {
    for (const index of [0, 1] as const) {
      if (this.boards[index]?.core != null) {
        this.#applyDsr(index);
        this.#pump(index);
      }
    }
  }

  /** Carries out what a core asked for, then checks the invariants. */
  #pump(index: 0 | 1): void {
    const board = this.boards[index] as SimBoard;
    const core = board.core;
    if (core === null) return;
    for (const output of core.takeOutputs()) this.#output(index, core, output);
    if (board.core === core) this.#scheduleWake(index, core);
    this.#afterStep();
  }

  #output(index: 0 | 1, core: PairCore, output: Output): void {
    const board = this.boards[index] as SimBoard;
    switch (output.kind) {
      case 'bytes':
        if (board.core === core) this.lines[output.path]?.[index]?.write(output.bytes);
        return;
      case 'reply': {
        const reply = output.reply;
        const client = this.clients.find((c) => c.id === reply.clientId);
        this.queue.at(this.queue.now + BUS_LATENCY_MS, () => client?.onReply(reply));
        return;
      }
      case 'effect':
        this.#effect(index, core, output.effect);
        return;
      case 'event':
        this.#event(index, core, output.event);
        return;
    }
  }

  #effect(
    index: 0 | 1,
    core: PairCore,
    effect: Extract<Output, { kind: 'effect' }>['effect'],
  ): void {
    const board = this.boards[index] as SimBoard;
    if (board.core !== core) return;
    const partner = index === 0 ? 1 : 0;
    switch (effect.kind) {
      case 'fence': {
        const target = this.boards[partner] as SimBoard;
        if (target.core !== null) {
          this.#reset(partner, `fenced by processor ${board.processor}`);
          this.queue.at(this.queue.now + BOOT_MS, () => this.#boot(partner));
        }
        return;
      }
      case 'reboot':
        this.gaveUpState[index] = true;
        board.scheduleReboot(effect.boot);
        this.#log(index, `reboots (${effect.boot})`);
        this.queue.at(this.queue.now + BOOT_MS, () => this.#boot(index));
        return;
      case 'confirm':
        board.confirm();
        this.#log(index, `confirms ${board.version}`);
        return;
      case 'announce':
        this.queue.at(this.queue.now + BUS_LATENCY_MS, () => {
          for (const client of this.clients) client.onAnnounce(index);
        });
        return;
    }
  }

  #event(index: 0 | 1, core: PairCore, event: PairEvent): void {
    if (this.options.trace) this.#log(index, describe(event));
    switch (event.kind) {
      case 'takeover':
        this.counts.takeovers += 1;
        return;
      case 'cold-start':
        this.#onColdStart();
        return;
      case 'executed':
        this.history.executed(event);
        return;
      case 'role':
        if (event.role === 'primary') {
          // The pair is whole again: each board that holds the state has a copy.
          this.boards.forEach((board, i) => {
            if (board.core?.hasState === true) this.gaveUpState[i] = false;
          });
        }
        if (SERVING_ROLES.has(event.role)) this.history.servingFrom(event.txn, core.hello.version);
        if (event.cause === 'roles-offered') this.gaveUpState[index] = true;
        return;
      case 'switch':
        // f: the old version's whole state went to the new one; its converters must carry it both ways.
        if (event.step === 'f' && event.ok)
          this.history.checkHandover(
            this.queue.now,
            core.hello.version,
            core.state,
            this.options.versions,
          );
        if (event.step === 'done' && event.ok) {
          if (core.hello.version === this.options.versions[1]) this.counts.switches += 1;
          else this.counts.fallbacks += 1;
        }
        if (!event.ok) this.counts.switchFailures += 1;
        this.onSwitchStep?.(event.step);
        this.onSwitchStepPush?.(event.step);
        return;
      default:
        return;
    }
  }

  onSwitchStep: ((step: string) => void) | null = null;

  #scheduleWake(index: 0 | 1, core: PairCore): void {
    const at = core.nextWakeMs();
    this.#wakesNow[index] = at <= this.queue.now ? (this.#wakesNow[index] ?? 0) + 1 : 0;
    if ((this.#wakesNow[index] ?? 0) > WAKES_AT_ONE_INSTANT_MAX) {
      throw new Error(
        `processor ${index + 1} asks to be woken again and again at ${this.queue.now} ms (a core bug)`,
      );
    }
    if (at >= (this.wakeAt[index] ?? Number.POSITIVE_INFINITY)) return;
    this.wakeAt[index] = at;
    this.queue.at(at, () => {
      if (this.wakeAt[index] !== at || this.boards[index]?.core !== core) return;
      this.wakeAt[index] = Infinity;
      core.tick(this.queue.now);
      this.#pump(index);
    });
  }

  // ------------------------------------------------------------- checks

  #afterStep(): void {
    const cores = this.boards.map((b) => b.core);
    const serving = cores.filter((c) => c?.serving === true);
    if (serving.length > 1) {
      this.counts.splitBrain += 1;
      this.history.violation(this.queue.now, 'split-brain', 'both processors serve');
    }
  }

  /**
   * A cold start means no processor had the state. That is excused only as a
   * double failure: both boards gave up their copy (power, fence or a switch
   * stop) since the pair was last whole.
   */
  #onColdStart(): void {
    if (!this.history.hasAcknowledged) return;
    if (this.gaveUpState[0] && this.gaveUpState[1]) {
      this.counts.doubleFailures += 1;
      this.trace.push(`${this.#time()}  cold start after both copies were lost: double failure`);
    } else {
      this.history.violation(
        this.queue.now,
        'state-lost',
        'cold start, yet only one board lost its copy',
      );
    }
    this.history.newEpoch();
  }

  // ------------------------------------------------------------- clients

  #clientEnvironment() {
    return {
      now: () => this.queue.now,
      later: (delayMs: number, run: () => void) => this.queue.at(this.queue.now + delayMs, run),
      send: (board: 0 | 1, request: ClientRequest) => {
        this.queue.at(this.queue.now + BUS_LATENCY_MS, () => {
          const core = this.boards[board]?.core;
          if (core == null) return;
          core.request(request, this.queue.now);
          this.#pump(board);
        });
      },
      acknowledged: (
        request: ClientRequest,
        reply: { reply: unknown; txn: number; syncId: number },
      ) => this.history.acknowledge(this.queue.now, request, reply),
      refused: (request: ClientRequest, reply: { error: string; message: string }) =>
        this.history.refuse(this.queue.now, request, reply),
      waited: (ms: number) => {
        if (!this.inFinalPhase) this.holdMsMax = Math.max(this.holdMsMax, ms);
      },
    };
  }

  // -------------------------------------------------------------- faults

  #scheduleFaults(): void {
    const { runMs } = this.options;
    const end = runMs * 0.85;
    let at = 300 + this.random() * 700;
    while (at < end) {
      const when = at;
      this.queue.at(when, () => this.#injectFault());
      at += 400 + this.random() * 1600;
    }
  }

  #roleIndex(role: 'serving' | 'backup'): 0 | 1 | null {
    for (const index of [0, 1] as const) {
      const core = this.boards[index]?.core;
      if (core == null) continue;
      if (role === 'serving' ? core.serving : core.role === 'backup') return index;
    }
    return null;
  }

  #injectFault(): void {
    const r = this.random();
    // Mostly pull a board of a whole pair, so that most pulls test the
    // nothing-lost promise; now and then a second failure on purpose.
    const pairWhole = this.boards.some((b) => b.core?.role === 'primary');
    this.faultsInjected += 1;
    if (r < 0.25 && (pairWhole || this.random() < 0.1)) {
      // Pull a board: the primary or the backup, now or at a chosen moment.
      const victimRole = this.random() < 0.6 ? 'serving' : 'backup';
      const moment = this.random();
      if (moment < 0.4) this.#pullWhen(() => this.#roleIndex(victimRole), `${victimRole} at once`);
      else if (moment < 0.7) {
        // Mid-checkpoint: the primary has replies waiting for the backup.
        this.#pullWhen(() => {
          const i = this.#roleIndex('serving');
          return i !== null && (this.boards[i]?.core?.checkpointLag ?? 0) > 0 ? i : null;
        }, 'primary mid-checkpoint');
      } else {
        // Mid-state-transfer: while a processor is joining, pull either one.
        const pullJoiner = this.random() < 0.8;
        this.#pullWhen(
          () => {
            const joiner = this.boards.findIndex((b) => b.core?.role === 'joining');
            if (joiner < 0) return null;
            return (pullJoiner ? joiner : 1 - joiner) as 0 | 1;
          },
          pullJoiner ? 'joiner mid-transfer' : 'primary mid-transfer',
        );
      }
    } else if (r < 0.45) {
      this.#switch();
    } else if (r < 0.6) {
      this.#cut(this.random() < 0.5);
    } else {
      this.#noise();
    }
  }

  /** Pulls the board `pick` names as soon as it names one (checked every millisecond, up to a second). */
  #pullWhen(pick: () => 0 | 1 | null, label: string, restore = true): void {
    const deadline = this.queue.now + 1000;
    const attempt = () => {
      const index = pick();
      if (index !== null) {
        this.trace.push(`${this.#time()}  fault: pull ${label}`);
        this.#pullPower(index);
        if (restore)
          this.queue.at(this.queue.now + 20 + this.random() * 1500, () =>
            this.#restorePower(index),
          );
      } else if (this.queue.now < deadline) {
        this.queue.at(this.queue.now + 1, attempt);
      }
    };
    attempt();
  }

  #switch(withFaults = true): void {
    const index = this.#roleIndex('serving');
    const core = index === null ? null : this.boards[index]?.core;
    if (core == null || index === null) return;
    const refusal = core.switchToOther(this.queue.now);
    this.trace.push(
      `${this.#time()}  host: switch on P${index + 1}${refusal ? ` refused: ${refusal}` : ''}`,
    );
    // The core's refusals for want of an image name the slot.
    if (refusal?.code === 'no-image' || refusal?.code === 'partner-lacks-image')
      this.counts.switchesRefusedUnpushed += 1;
    this.#pump(index);
    if (refusal === null && withFaults) this.#pushDuringSwitch();
    if (refusal !== null || !withFaults || this.random() < 0.5) return;
    // Power-pull at a chosen step of this switch.
    const steps = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'];
    const target = steps[Math.floor(this.random() * steps.length)];
    const victim = this.random() < 0.5 ? 0 : 1;
    const delayMs = this.random() * 5;
    this.onSwitchStep = (step) => {
      if (step !== target) return;
      this.onSwitchStep = null;
      this.queue.at(this.queue.now + delayMs, () =>
        this.#pullWhen(() => victim, `P${victim + 1} at switch step ${step}`),
      );
    };
  }

  // -------------------------------------------------------------- pushes

  /** The host: one loop per board keeping its inactive slot staged, and pushes over whole images now and then. */
  #scheduleHost(): void {
    for (const index of [0, 1] as const) {
      const loop = () => {
        this.#stage(index);
        this.queue.at(
          this.queue.now + HOST_POLL_MS + this.pushRandom() * HOST_POLL_SPREAD_MS,
          loop,
        );
      };
      this.queue.at(200 + this.pushRandom() * 500, loop);
    }
    if (!this.options.faults) return;
    const end = this.options.runMs * 0.85;
    let at = REPUSH_EVERY_MS * (1 + this.pushRandom() * 2);
    while (at < end) {
      const index = this.pushRandom() < 0.5 ? 0 : 1;
      this.queue.at(at, () => this.#push(index, true, 'push again'));
      at += REPUSH_EVERY_MS * (1 + this.pushRandom() * 2);
    }
  }

  /** The version a switch (or fallback) from what the board runs would boot. */
  #otherVersionFor(index: 0 | 1): string {
    const [current, next] = this.options.versions;
    return this.boards[index]?.version === current ? next : current;
  }

  /** Pushes into the board's inactive slot if it lacks the image a switch would need. */
  #stage(index: 0 | 1): void {
    const board = this.boards[index] as SimBoard;
    if (board.otherVersion !== this.#otherVersionFor(index)) this.#push(index, false, 'staging');
  }

  /** Now and then a switch meets a push: at a chosen step, the host pushes into some board again. */
  #pushDuringSwitch(): void {
    if (this.options.pushes !== true || this.pushRandom() >= PUSH_DURING_SWITCH_SHARE) return;
    const steps = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'];
    const target = steps[Math.floor(this.pushRandom() * steps.length)];
    const index = this.pushRandom() < 0.5 ? 0 : 1;
    this.onSwitchStepPush = (step) => {
      if (step !== target) return;
      this.onSwitchStepPush = null;
      this.#push(index, true, `during switch step ${step}`);
    };
  }

  /**
   * The host writes the version a switch would boot into the board's
   * inactive slot, resuming a partial image of it unless `fresh`. Needs
   * power; refused while another push to the board is under way, or while
   * the board runs a trial image (its inactive slot is what it reverts to).
   */
  #push(index: 0 | 1, fresh: boolean, why: string): boolean {
    const board = this.boards[index] as SimBoard;
    if (!board.powered || this.pushing[index] !== null || board.trial) return false;
    const version = this.#otherVersionFor(index);
    const slot = board.otherIndex;
    const fromByte = board.beginPush(version, fresh);
    const push: PushInFlight = { version, slot, startMs: this.queue.now, fromByte };
    this.pushing[index] = push;
    (this.pushedImage[index] as [string, string])[slot] = '';
    this.trace.push(
      `${this.#time()}  host: push ${version} to P${index + 1} slot ${slot}${fromByte > 0 ? ` from byte ${fromByte}` : ''} (${why})`,
    );
    const core = board.core;
    if (core !== null && core.hello.otherVersion !== '') {
      // The slot is erased first: the running core no longer has an image there.
      core.otherImageChanged('', this.queue.now);
      this.#pump(index);
    }
    this.queue.at(this.queue.now + (IMAGE_BYTES - fromByte) * PUSH_MS_PER_BYTE, () =>
      this.#pushDone(index, push),
    );
    return true;
  }

  #pushDone(index: 0 | 1, push: PushInFlight): void {
    if (this.pushing[index] !== push) return;
    const board = this.boards[index] as SimBoard;
    this.pushing[index] = null;
    board.pushedTo(push.slot, IMAGE_BYTES);
    (this.pushedImage[index] as [string, string])[push.slot] = push.version;
    this.counts.pushesCompleted += 1;
    this.trace.push(
      `${this.#time()}  host: push ${push.version} to P${index + 1} slot ${push.slot} complete`,
    );
    const core = board.core;
    if (core !== null) {
      core.otherImageChanged(push.version, this.queue.now);
      this.#pump(index);
    }
  }

  /** Power lost mid-push: the slot keeps the chunks the board acknowledged, and stays partial. */
  #interruptPush(index: 0 | 1): void {
    const push = this.pushing[index];
    if (push == null) return;
    this.pushing[index] = null;
    const sent = (this.queue.now - push.startMs) / PUSH_MS_PER_BYTE;
    const offset = push.fromByte + Math.floor(sent / PUSH_CHUNK_BYTES) * PUSH_CHUNK_BYTES;
    (this.boards[index] as SimBoard).pushedTo(push.slot, offset);
    this.counts.pushesInterrupted += 1;
    this.trace.push(
      `${this.#time()}  host: push ${push.version} to P${index + 1} interrupted at byte ${Math.min(offset, IMAGE_BYTES)} of ${IMAGE_BYTES}`,
    );
  }

  /** A board runs, and reports in its other slot, only images whose push completed. */
  #checkImages(index: 0 | 1, core: PairCore): void {
    const board = this.boards[index] as SimBoard;
    const pushed = this.pushedImage[index] as [string, string];
    const running = pushed[board.active];
    if (core.hello.version !== running) {
      this.history.violation(
        this.queue.now,
        'unpushed-image',
        `P${index + 1} boots ${core.hello.version} from slot ${board.active}, where ${running === '' ? 'no push completed' : `the completed push is ${running}`}`,
      );
    }
    const other = pushed[board.otherIndex];
    if (core.hello.otherVersion !== other) {
      this.history.violation(
        this.queue.now,
        'unpushed-image',
        `P${index + 1} reports ${core.hello.otherVersion || 'nothing'} in slot ${board.otherIndex}, where ${other === '' ? 'no push completed' : `the completed push is ${other}`}`,
      );
    }
  }

  #scripted(action: ScriptAction): void {
    this.trace.push(`${this.#time()}  script: ${action}`);
    const primary = () => this.#roleIndex('serving');
    switch (action) {
      case 'pull-primary':
        this.#pullPower(primary() ?? 0);
        return;
      case 'pull-primary-mid-checkpoint':
        this.#pullWhen(
          () => {
            const i = primary();
            return i !== null && (this.boards[i]?.core?.checkpointLag ?? 0) > 0 ? i : null;
          },
          'primary mid-checkpoint',
          false,
        );
        return;
      case 'pull-backup':
        this.#pullPower(this.#roleIndex('backup') ?? 1);
        return;
      case 'restore-power':
        for (const index of [0, 1] as const) this.#restorePower(index);
        return;
      case 'switch':
        this.#switch(false);
        return;
      case 'push-p1':
      case 'push-p2':
        this.#push(action === 'push-p1' ? 0 : 1, false, 'script');
        return;
      case 'cut-path-0':
        this.#plug(0, false);
        return;
      case 'restore-cables':
        for (let path = 0; path < this.options.pathCount; path++) this.#plug(path, true);
        return;
    }
  }

  #cut(twoWay: boolean): void {
    const path = Math.floor(this.random() * this.options.pathCount);
    const direction = this.random() < 0.5 ? 0 : 1;
    const durationMs = 20 + this.random() * 800;
    const lines = this.lines[path] as Line[];
    this.trace.push(
      `${this.#time()}  fault: cut path ${path} ${twoWay ? 'both ways' : `from P${direction + 1}`} for ${durationMs.toFixed(0)} ms`,
    );
    if (twoWay) {
      this.#plug(path, false);
    } else {
      (lines[direction] as Line).faults.cut = true;
      this.#updateDsr();
    }
    this.queue.at(this.queue.now + durationMs, () => this.#plug(path, true));
  }

  /** Unplugs a cable (data and DSR both ways) or plugs it back in. */
  #plug(path: number, plugged: boolean): void {
    for (const line of this.lines[path] as Line[]) line.faults.cut = !plugged;
    this.unplugged[path] = !plugged;
    this.#updateDsr();
  }

  #noise(): void {
    const path = Math.floor(this.random() * this.options.pathCount);
    const line = this.lines[path]?.[this.random() < 0.5 ? 0 : 1] as Line;
    const kind = Math.floor(this.random() * 4);
    const durationMs = 50 + this.random() * 1500;
    const faults = line.faults;
    if (kind === 0) faults.lossRate = 0.01 + this.random() * 0.3;
    else if (kind === 1) faults.corruptRate = 0.01 + this.random() * 0.3;
    else if (kind === 2) faults.duplicateRate = 0.01 + this.random() * 0.3;
    else faults.delayMs = 1 + this.random() * 15;
    this.trace.push(
      `${this.#time()}  fault: ${['loss', 'corruption', 'duplication', 'delay'][kind]} on path ${path} for ${durationMs.toFixed(0)} ms`,
    );
    this.queue.at(this.queue.now + durationMs, () => {
      faults.lossRate = 0;
      faults.corruptRate = 0;
      faults.duplicateRate = 0;
      faults.delayMs = 0;
    });
  }

  // --------------------------------------------------------- final phase

  /** Faults stop; everything is restored; the pair must re-form and every client be answered. */
  #finalPhase(): void {
    this.inFinalPhase = true;
    this.onSwitchStep = null;
    this.onSwitchStepPush = null;
    for (const client of this.clients) client.stop();
    for (const index of [0, 1] as const) this.#restorePower(index);
    for (let path = 0; path < this.options.pathCount; path++) {
      this.unplugged[path] = false;
      for (const line of this.lines[path] as Line[])
        line.faults = { cut: false, lossRate: 0, corruptRate: 0, duplicateRate: 0, delayMs: 0 };
    }
    this.#updateDsr();
    const deadline = this.queue.now + REFORM_BOUND_MS;
    const settled = () => {
      const cores = this.boards.map((b) => b.core);
      const primary = cores.find((c) => c?.role === 'primary');
      const backup = cores.find((c) => c?.role === 'backup');
      return (
        primary != null &&
        backup != null &&
        primary.hello.version === backup.hello.version &&
        !primary.hello.testMode &&
        primary.checkpointLag === 0 &&
        this.clients.every((c) => c.idle)
      );
    };
    while (!settled() && this.queue.now < deadline) this.queue.advanceTo(this.queue.now + 10);
    if (!settled()) {
      const roles = this.boards.map(
        (b) => `P${b.processor} ${b.core?.role ?? 'off'} ${b.version}${b.trial ? ' (trial)' : ''}`,
      );
      const waiting = this.clients.filter((c) => !c.idle).length;
      this.history.violation(
        this.queue.now,
        'not-reformed',
        `after ${REFORM_BOUND_MS} ms without faults: ${roles.join(', ')}; ${waiting} clients unanswered`,
      );
      return;
    }
    const primary = this.boards.map((b) => b.core).find((c) => c?.role === 'primary') as PairCore;
    this.history.checkSequential(this.queue.now, primary.state, primary.hello.version, primary.txn);
  }

  #result(): SeedResult {
    const h = this.history;
    return {
      seed: this.options.seed,
      violations: h.violations,
      acknowledged: h.acknowledged,
      lost: h.lost,
      duplicated: h.duplicated,
      splitBrain: this.counts.splitBrain,
      takeovers: this.counts.takeovers,
      switches: this.counts.switches,
      fallbacks: this.counts.fallbacks,
      switchFailures: this.counts.switchFailures,
      switchesRefusedUnpushed: this.counts.switchesRefusedUnpushed,
      pushesCompleted: this.counts.pushesCompleted,
      pushesInterrupted: this.counts.pushesInterrupted,
      doubleFailures: this.counts.doubleFailures,
      lostToDoubleFailure: h.lostToDoubleFailure,
      powerPulls: this.powerPulls,
      faultsInjected: this.faultsInjected,
      holdMsMax: this.holdMsMax,
      virtualMs: this.queue.now,
      trace: this.trace,
      finalVersions: this.boards.map((b) => b.version),
    };
  }

  #time(): string {
    return `${this.queue.now.toFixed(3).padStart(10)} ms`;
  }

  #log(index: 0 | 1, text: string): void {
    if (this.options.trace) this.trace.push(`${this.#time()}  P${index + 1}  ${text}`);
  }
}

interface PushInFlight {
  readonly version: string;
  readonly slot: 0 | 1;
  readonly startMs: number;
  /** Where it resumed: 0 for a push from the start. */
  readonly fromByte: number;
}

function describe(event: PairEvent): string {
  switch (event.kind) {
    case 'role':
      return `role ${event.role} (term ${event.term}): ${event.why}`;
    case 'takeover':
      return `TAKEOVER${event.fenced ? ' after fencing the partner' : ''}: ${event.why}`;
    case 'path':
      return `path ${event.path} ${event.up ? 'up' : 'down'}`;
    case 'switch':
      return `switch step ${event.step} ${event.ok ? 'ok' : 'FAILED'}: ${event.detail}`;
    case 'bad-input':
      return `bad input on path ${event.path}: ${event.code}: ${event.detail}`;
    case 'cold-start':
      return `cold start on ${event.version}`;
    case 'executed':
      return `executed ${event.clientId}#${event.syncId} as txn ${event.txn}`;
    case 'alarm':
      return `ALARM: ${event.detail}`;
    case 'fence':
      return `fences the partner (${event.cause})`;
    case 'false-suspicion':
      return `false suspicion: the partner was silent for ${event.silentMs.toFixed(0)} ms with DSR high`;
  }
}
