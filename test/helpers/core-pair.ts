/**
 * Two pair cores wired back to back, for tests that need a fault the
 * simulator's schedule does not script: each direction of each path can be
 * cut on its own, DSR follows power, resets and unplugging, frames arrive 1 ms after
 * they are sent, a fence resets the partner, and the wires can stall (every
 * frame and fence pulse held until the stall ends, then delivered in order:
 * a pulse from a board that the pulses before it reset never happened).
 * Boards given a durable store keep it across power loss and fences.
 * The test reads every output. Virtual time only.
 */
import type { AnyApp } from '../../firmware/app.ts';
import type { DurableRegion } from '../../firmware/hal.ts';
import { type PairConfig, pairConfig } from '../../firmware/runtime/config.ts';
import { type BootInfo, PairCore } from '../../firmware/runtime/core.ts';
import type { ClientReply, ClientRequest } from '../../firmware/runtime/messages.ts';
import type { Effect, PairEvent } from '../../firmware/runtime/outputs.ts';

const WIRE_DELAY_MS = 1;
const STEP_MS = 1;
const FENCE_BOOT_MS = 5;

interface InFlight {
  readonly atMs: number;
  readonly to: 0 | 1;
  readonly path: number;
  readonly bytes: Uint8Array;
}

export class CorePair {
  nowMs = 0;
  readonly cores: (PairCore | null)[] = [null, null];
  readonly replies: ClientReply[] = [];
  readonly events: { readonly board: 0 | 1; readonly atMs: number; readonly event: PairEvent }[] =
    [];
  readonly effects: { readonly board: 0 | 1; readonly effect: Effect }[] = [];
  /** cut[path][from]: bytes from board `from` on `path` are lost. */
  readonly cut: boolean[][];
  #wire: InFlight[] = [];
  readonly #registered = new Set<string>();
  /** Clients whose registration the harness sent: their sync id 0 replies are not the test's. */
  readonly #swallow = new Set<string>();
  #incarnation = [0, 0];
  /** Until when the wires hold everything; fences held meanwhile, with the core that pulsed them. */
  #stalledUntilMs = -1;
  #heldFences: { readonly from: 0 | 1; readonly by: PairCore }[] = [];
  #bootsDue: { readonly atMs: number; readonly board: 0 | 1 }[] = [];
  readonly #frozenUntil = [-1, -1];
  readonly #unplugged: boolean[] = [];
  /** Fences that reset a board. */
  fencesTakenEffect = 0;
  /** What the wire makes of each frame board `from` sends (a partner of an older image, say); unchanged by default. */
  onTheWire: (from: 0 | 1, frame: Uint8Array) => Uint8Array = (_, frame) => frame;
  /** Boots a board a fence reset; by default it boots the app it ran, as a board with one image does. */
  bootAfterReset: (board: 0 | 1) => void = (board) => this.boot(board);
  readonly configs: readonly [PairConfig, PairConfig];

  constructor(
    readonly apps: [AnyApp, AnyApp],
    /** Both boards' settings, or each board's. */
    config: Partial<PairConfig> | readonly [Partial<PairConfig>, Partial<PairConfig>] = {},
    /** Each board's durable region (it outlives the board's power), or null for none. */
    readonly stores: readonly [DurableRegion | null, DurableRegion | null] = [null, null],
  ) {
    const [first, second] = Array.isArray(config) ? config : [config, config];
    this.configs = [pairConfig(1, first), pairConfig(2, second)];
    this.cut = Array.from({ length: this.configs[0].pathCount }, () => [false, false]);
    this.boot(0);
    this.boot(1);
  }

  /** Boots `board`, on `app` if given (another image), else on the app it was made with. */
  boot(board: 0 | 1, info: Partial<BootInfo> = {}, app?: AnyApp): void {
    if (app !== undefined) this.apps[board] = app;
    this.#incarnation[board] = (this.#incarnation[board] ?? 0) + 1;
    const core = new PairCore(
      this.configs[board],
      this.apps[board],
      {
        incarnation: this.#incarnation[board] ?? 1,
        testMode: false,
        otherVersion: '',
        seed: board + 1,
        ...info,
      },
      this.nowMs,
      this.stores[board],
    );
    this.cores[board] = core;
    this.#applyDsr();
    this.#drain(board);
  }

  core(board: 0 | 1): PairCore {
    const core = this.cores[board];
    if (core == null) throw new Error(`board ${board} is off`);
    return core;
  }

  /** Cuts the power of the boards given, at the same instant. */
  powerOff(...boards: (0 | 1)[]): void {
    for (const board of boards) this.cores[board] = null;
    this.#applyDsr();
  }

  /** The cable of `path` comes out (both directions and its DSR line), or goes back in. */
  unplug(path: number, out = true): void {
    this.#unplugged[path] = out;
    for (const from of [0, 1]) (this.cut[path] as boolean[])[from] = out;
    this.#applyDsr();
  }

  /**
   * A client request. A client the harness has not seen registers first
   * (sync id 0), and that registration's reply is not kept, unless
   * `register` is false (a client that skips it).
   */
  request(
    board: 0 | 1,
    clientId: string,
    syncId: number,
    body: unknown,
    { register = true } = {},
  ): void {
    if (register && syncId !== 0 && !this.#registered.has(clientId)) {
      this.#registered.add(clientId);
      this.#swallow.add(clientId);
      this.cores[board]?.request({ clientId, syncId: 0, body: null }, this.nowMs);
      this.#drain(board);
    }
    if (syncId === 0) this.#registered.add(clientId);
    this.cores[board]?.request({ clientId, syncId, body }, this.nowMs);
    this.#drain(board);
  }

  /** Requests read from one piece of the bus's bytes, handed to `board` at once (clients registered already). */
  requests(board: 0 | 1, requests: readonly ClientRequest[]): void {
    this.cores[board]?.requests(requests, this.nowMs);
    this.#drain(board);
  }

  /** Sends one request to `board` and runs until a reply comes; returns that reply. */
  ask(board: 0 | 1, clientId: string, syncId: number, body: unknown): ClientReply {
    const before = this.replies.length;
    this.request(board, clientId, syncId, body);
    this.runUntil(() => this.replies.length > before);
    return this.replies.at(-1) as ClientReply;
  }

  /**
   * Board `board`'s process freezes for `forMs`: no tick, no input. When it
   * resumes its timers run first, then it reads what waited in its UARTs,
   * as a stopped Node process does.
   */
  freeze(board: 0 | 1, forMs: number): void {
    this.#frozenUntil[board] = this.nowMs + forMs;
  }

  /** Whether `board`'s process is frozen now (what reaches it waits). */
  frozen(board: 0 | 1): boolean {
    return this.nowMs < (this.#frozenUntil[board] ?? -1);
  }

  /** The wires (every path, both ways, and the fence lines) hold everything for `forMs`. */
  stallWires(forMs: number): void {
    this.#stalledUntilMs = this.nowMs + forMs;
  }

  /** Runs virtual time forward, delivering frames and waking the cores. */
  run(forMs: number): void {
    const end = this.nowMs + forMs;
    while (this.nowMs < end) {
      this.nowMs += STEP_MS;
      for (const boot of this.#bootsDue.filter((b) => b.atMs <= this.nowMs))
        this.bootAfterReset(boot.board);
      this.#bootsDue = this.#bootsDue.filter((b) => b.atMs > this.nowMs);
      if (this.nowMs < this.#stalledUntilMs) {
        for (const board of [0, 1] as const) this.#wake(board);
        continue;
      }
      for (const fence of this.#heldFences.splice(0)) this.#fence(fence.from, fence.by);
      // A board resuming this step: its timers first.
      for (const board of [0, 1] as const)
        if (this.#frozenUntil[board] === this.nowMs) this.#wake(board);
      const due = this.#wire.filter((f) => f.atMs <= this.nowMs && !this.frozen(f.to));
      this.#wire = this.#wire.filter((f) => !due.includes(f));
      for (const frame of due) {
        this.cores[frame.to]?.receiveBytes(frame.path, frame.bytes, this.nowMs);
        this.#drain(frame.to);
      }
      for (const board of [0, 1] as const) this.#wake(board);
    }
  }

  #wake(board: 0 | 1): void {
    if (this.frozen(board)) return;
    const core = this.cores[board];
    if (core != null && core.nextWakeMs() <= this.nowMs) {
      core.tick(this.nowMs);
      this.#drain(board);
    }
  }

  /** A reset pulse from `from`, if the core that pulsed it still runs: the partner restarts. */
  #fence(from: 0 | 1, by: PairCore): void {
    if (this.cores[from] !== by) return;
    const target = from === 0 ? 1 : 0;
    if (this.cores[target] == null) return;
    this.fencesTakenEffect += 1;
    this.powerOff(target);
    this.#bootsDue.push({ atMs: this.nowMs + FENCE_BOOT_MS, board: target });
  }

  /** Runs until `done` holds, failing after `limitMs` of virtual time. */
  runUntil(done: () => boolean, limitMs = 20_000): void {
    const end = this.nowMs + limitMs;
    while (!done()) {
      if (this.nowMs >= end) throw new Error(`not reached within ${limitMs} ms`);
      this.run(STEP_MS);
    }
  }

  /** The pair is whole: one primary, one backup. */
  get whole(): boolean {
    const roles = this.cores.map((c) => c?.role);
    return roles.includes('primary') && roles.includes('backup');
  }

  eventsOf(kind: PairEvent['kind']): PairEvent[] {
    return this.events.filter((e) => e.event.kind === kind).map((e) => e.event);
  }

  #applyDsr(): void {
    for (const board of [0, 1] as const) {
      const core = this.cores[board];
      const partnerOn = this.cores[board === 0 ? 1 : 0] != null;
      for (let path = 0; path < this.cut.length; path++)
        core?.setDsr(path, partnerOn && this.#unplugged[path] !== true, this.nowMs);
      if (core != null) this.#drain(board);
    }
  }

  #drain(board: 0 | 1): void {
    const core = this.cores[board];
    if (core == null) return;
    for (const output of core.takeOutputs()) {
      switch (output.kind) {
        case 'bytes':
          if (!this.cut[output.path]?.[board])
            this.#wire.push({
              atMs: this.nowMs + WIRE_DELAY_MS,
              to: board === 0 ? 1 : 0,
              path: output.path,
              bytes: this.onTheWire(board, output.bytes),
            });
          break;
        case 'reply':
          if (output.reply.syncId === 0 && this.#swallow.has(output.reply.clientId)) break;
          this.replies.push(output.reply);
          break;
        case 'event':
          this.events.push({ board, atMs: output.at, event: output.event });
          break;
        case 'effect':
          this.effects.push({ board, effect: output.effect });
          if (output.effect.kind === 'reboot') {
            // A board in reset does not drive its lines: the partner sees DSR fall.
            this.cores[board] = null;
            this.#applyDsr();
          }
          if (output.effect.kind === 'fence') {
            if (this.nowMs < this.#stalledUntilMs) this.#heldFences.push({ from: board, by: core });
            else this.#fence(board, core);
          }
          break;
      }
    }
  }
}
