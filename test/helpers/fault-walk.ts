/**
 * One fault at a chosen moment of a switch, or of a backup's rejoin, on a
 * CorePair in virtual time: a transient one (either board stalls, the wires
 * stall, cable 0 comes out, or one direction of it is cut, for a while), or
 * any other the caller injects. The pair starts whole on an app at 1.0.0
 * (`bulkApp` unless given) with 2.0.0 in the other slots, P1 primary; a
 * switch moves it to 2.0.0, a rejoin power-cycles P2. One retrying writer
 * runs throughout, and the boot ROM (BootRom) boots stopped boards, after
 * `bootMs` if given (a slow board). What the walk
 * reports of each run: the switch steps that failed, and what went wrong
 * with the data (acknowledged writes lost or run twice, unequal copies, the
 * writer's session expired).
 */

import { RetentiveMemory } from '../../boards/retentive-memory.ts';
import type { AnyApp } from '../../firmware/app.ts';
import { reasonText } from '../../firmware/reasons.ts';
import { BootRom } from './boot-rom.ts';
import { bulkApp } from './bulk-app.ts';
import { CorePair } from './core-pair.ts';
import { RetryingWriter } from './retrying-writer.ts';

export interface WalkOptions {
  /** The app at 1.0.0 (a memory `bulkApp` of 10 KB by default). */
  readonly app?: AnyApp;
  /** Each board keeps a durable store (RetentiveMemory) across power loss. */
  readonly durable?: boolean;
  /** Writes acknowledged before the switch or rejoin begins (none by default). */
  readonly writesBefore?: number;
  /** What the fault lands in ('switch' by default). */
  readonly procedure?: 'switch' | 'rejoin';
  /** Interconnect paths (2 by default). */
  readonly pathCount?: 1 | 2;
  /** How long a stopped board takes to boot again (0 by default). */
  readonly bootMs?: number;
}

export class FaultWalk {
  readonly pair: CorePair;
  readonly writer: RetryingWriter;
  readonly #rom: BootRom;
  #due: { readonly atMs: number; readonly action: () => void }[] = [];
  readonly #target: AnyApp;

  /** A whole pair, the switch or the rejoin begun. */
  constructor({
    app = bulkApp(10_000),
    durable = false,
    writesBefore = 0,
    procedure = 'switch',
    pathCount = 2,
    bootMs = 0,
  }: WalkOptions = {}) {
    const to: AnyApp = { ...app, version: '2.0.0' };
    const store = () => (durable ? new RetentiveMemory() : null);
    this.pair = new CorePair([app, app], { pathCount }, [store(), store()]);
    for (const board of [0, 1] as const) this.pair.boot(board, { otherVersion: to.version });
    this.pair.runUntil(() => this.pair.whole, 60_000);
    this.#rom = new BootRom(this.pair, app, to, bootMs);
    this.writer = new RetryingWriter(this.pair);
    this.#target = procedure === 'switch' ? to : app;
    if (writesBefore > 0)
      this.runUntil(() => this.writer.acknowledged.size >= writesBefore, 10_000);
    if (procedure === 'rejoin') {
      this.pair.powerOff(1);
      this.after(Math.max(bootMs, 5), () => this.pair.bootAfterReset(1));
    } else if (this.pair.core(0).switchToOther(this.pair.nowMs) !== null) {
      throw new Error('switch refused');
    }
  }

  /** `action` after `ms` of virtual time. */
  after(ms: number, action: () => void): void {
    this.#due.push({ atMs: this.pair.nowMs + ms, action });
  }

  /** The pair is whole on the version it is headed for (2.0.0 in a switch), nothing on trial. */
  get onTarget(): boolean {
    const { version } = this.#target;
    return (
      this.pair.whole &&
      this.pair.cores.every((c) => c?.hello.version === version && !c.hello.testMode)
    );
  }

  /** Runs until `done` holds with nothing left to do, stepping the ROM and the writer. */
  runUntil(done: () => boolean, limitMs: number): void {
    const { pair } = this;
    pair.runUntil(() => {
      for (const { action } of this.#due.filter((d) => d.atMs <= pair.nowMs)) action();
      this.#due = this.#due.filter((d) => d.atMs > pair.nowMs);
      this.#rom.step();
      this.writer.step();
      return this.#due.length === 0 && done();
    }, limitMs);
  }
}

/** A fault: what it does to the walk's pair, for `ms`. */
export type Fault = (walk: FaultWalk, ms: number) => void;

/** The faults walked, each for `ms`. P1 is the (old) primary, P2 the board that boots: the new version, or the joiner. */
export const TRANSIENT_FAULTS: Readonly<Record<string, Fault>> = {
  'P1 stalls': (walk, ms) => walk.pair.freeze(0, ms),
  'P2 stalls': (walk, ms) => walk.pair.freeze(1, ms),
  'the wires stall': (walk, ms) => {
    walk.pair.stallWires(ms);
    walk.after(ms, () => {});
  },
  'cable 0 comes out': (walk, ms) => {
    walk.pair.unplug(0);
    walk.after(ms, () => walk.pair.unplug(0, false));
  },
  'cable 0 is cut from P1': (walk, ms) => cutFor(walk, 0, ms),
  'cable 0 is cut from P2': (walk, ms) => cutFor(walk, 1, ms),
};

function cutFor(walk: FaultWalk, from: 0 | 1, ms: number): void {
  const direction = walk.pair.cut[0] as boolean[];
  direction[from] = true;
  walk.after(ms, () => {
    direction[from] = false;
  });
}

/** How long after a fault ends the walk waits before it looks for the pair whole again: by then what the fault set off (a takeover, a rejoin) has begun. */
const SETTLE_MS = 500;

export interface WalkOutcome {
  /** The switch steps that failed, with their reasons. */
  readonly failedSteps: string[];
  /** What went wrong with the writes and the copies. */
  readonly problems: string[];
}

/** The switch (or rejoin) with `fault` for `faultMs`, `atMs` after it began, run until the pair is whole again. */
export function faultAt(
  fault: Fault,
  faultMs: number,
  atMs: number,
  options: WalkOptions = {},
): WalkOutcome {
  const walk = new FaultWalk(options);
  const { pair, writer } = walk;
  const startMs = pair.nowMs;
  walk.runUntil(() => pair.nowMs >= startMs + atMs, 60_000);
  fault(walk, faultMs);
  // Over: once the fault has passed and what it set off has begun (a fault
  // that strikes a whole pair may end it a moment later), whole again with
  // nothing switching or on trial, on the new version or, after a failed
  // step or a takeover that ended the switch, the old.
  const settledAtMs = startMs + atMs + faultMs + SETTLE_MS;
  walk.runUntil(
    () =>
      pair.nowMs >= settledAtMs &&
      pair.whole &&
      pair.cores.every((c) => c?.role !== 'switching' && !c?.hello.testMode),
    60_000,
  );
  const failedSteps = pair
    .eventsOf('switch')
    .flatMap((e) =>
      e.kind === 'switch' && !e.ok ? [`${e.step}: ${e.why ? reasonText(e.why) : ''}`] : [],
    );
  writer.stopping = true;
  walk.runUntil(() => writer.idle, 10_000);
  pair.run(500);
  const problems: string[] = [];
  const primary = pair.cores[0]?.serving === true ? 0 : 1;
  const applied = (pair.core(primary).state as { n: number }).n;
  if (applied !== writer.acknowledged.size)
    problems.push(`${writer.acknowledged.size} acknowledged, ${applied} applied`);
  if (JSON.stringify(pair.core(0).state) !== JSON.stringify(pair.core(1).state))
    problems.push('the copies differ');
  if (writer.expiredAt !== null) problems.push(`session expired at sync id ${writer.expiredAt}`);
  return { failedSteps, problems };
}

/** How long the switch (or rejoin) takes without a fault, until the pair is whole on the version it is headed for. */
export function walkMs(options: WalkOptions = {}): number {
  const walk = new FaultWalk(options);
  const startMs = walk.pair.nowMs;
  walk.runUntil(() => walk.onTarget, 60_000);
  return walk.pair.nowMs - startMs;
}
