/**
 * A simulated board whose core runs in Moddable's XS engine (an xsnap
 * worker), as a microcontroller-class board's would: the world drives it
 * through the same members as PairCore in this process (sim-core.ts), each
 * input a command to the worker (core-main.ts) answered with the core's
 * outputs and readings. Its store stays on the world's side, reached a
 * request at a time as an XS board's is, so a power cut inside a store
 * operation tears it there and ends the input as it would in this process.
 * Only ledger releases run in XS, as built (LEDGER_VERSIONS), under their
 * own name or another (a mismatched partner); an app changed in code, as the
 * simulator's app faults change it, is refused.
 */
import { geometryData, PowerCutError } from '../../../boards/flash-region.ts';
import type { ImageEngine } from '../../../boards/image-engine.ts';
import { CHANNEL_CBOR_LIMITS } from '../../../boards/xs/engine/channel.ts';
import { workerScript } from '../../../boards/xs/engine-script.ts';
import { storeAnswerer } from '../../../boards/xs/store-answerer.ts';
import { XsnapProcess } from '../../../boards/xs/xsnap-process.ts';
import type { AnyApp } from '../../../firmware/app.ts';
import { LEDGER_VERSIONS } from '../../../firmware/apps/ledger/index.ts';
import type { DurableRegion } from '../../../firmware/hal.ts';
import type { PairConfig } from '../../../firmware/runtime/config.ts';
import type { BootInfo } from '../../../firmware/runtime/core.ts';
import type { ClientRequest } from '../../../firmware/runtime/messages.ts';
import type { Output } from '../../../firmware/runtime/outputs.ts';
import type { SwitchRefusal } from '../../../firmware/runtime/switch-procedure.ts';
import { decodeCbor, encodeCbor } from '../../../firmware/wire/cbor.ts';
import { FAULT_GROUPS, type FaultGroup } from '../fault-model.ts';
import { type CoreEngine, NODE_CORES, type SimCore } from '../sim-core.ts';
import type { CoreAnswer, CoreCommand, CoreReadings } from './core-channel.ts';

/** The wide model's groups that change the app's code (its exceptions, its converter failing): XS cores refuse them. */
export const APP_CODE_FAULT_GROUPS: readonly FaultGroup[] = ['app-exceptions', 'install-failure'];

/** The groups XS cores run: all but the app's. */
export const XS_CORE_FAULT_GROUPS: readonly FaultGroup[] = FAULT_GROUPS.filter(
  (group) => !APP_CODE_FAULT_GROUPS.includes(group),
);

/** Each board's core where `engines` says (processor 1 first), XS in the worker at `workerPath`. */
export function coreEnginesFor(
  engines: readonly [ImageEngine, ImageEngine],
  workerPath: string,
): (processor: 1 | 2) => CoreEngine {
  return (processor) =>
    engines[processor - 1] === 'xs' ? new XsCoreEngine(workerPath) : NODE_CORES;
}

/** The code of an app's handlers and converters, to compare with a release's. */
function codeOf(app: AnyApp): string[] {
  const { init, parseRequest, handle, apply, receive, converters } = app;
  const code = [
    init,
    parseRequest,
    handle,
    apply,
    receive,
    converters?.fromPrior,
    converters?.toPrior,
  ];
  return [...code.map((f) => (f === undefined ? '' : String(f))), String(app.durability)];
}

/** Throws unless `app` is a ledger release as built, whatever its name. */
function checkLedgerRelease(app: AnyApp): void {
  const factory = LEDGER_VERSIONS[app.version as keyof typeof LEDGER_VERSIONS];
  const release = factory?.(app.checkpoint);
  if (release === undefined || codeOf(release).join('\n') !== codeOf(app).join('\n')) {
    throw new Error(
      `only ledger releases as built run in XS cores: ${app.name} ${app.version} is not one (an app fault injected into it?)`,
    );
  }
}

/** An xsnap worker with core-main.ts loaded, and the store of the board using it now. */
interface CoreWorker {
  readonly process: XsnapProcess;
  store: DurableRegion | null;
}

/**
 * Workers that finished a seed, for the next: a worker per seed left a
 * zombie process per seed until a campaign's synchronous loop of seeds
 * ended. A new core in a used worker is a new core, as a second boot in
 * this process is (the firmware's modules are loaded once either way).
 */
const idleWorkers = new Map<string, CoreWorker[]>();

function takeWorker(path: string): CoreWorker {
  const idle = idleWorkers.get(path)?.pop();
  if (idle !== undefined) return idle;
  const board: { store: DurableRegion | null } = { store: null };
  const process = new XsnapProcess(
    path,
    () => {},
    storeAnswerer(() => board.store),
  );
  // Idle or not, a worker never keeps the simulation's process alive: its seeds run synchronously.
  process.unref();
  process.runInPlace(workerScript(new URL('core-main.ts', import.meta.url)));
  return Object.assign(board, { process });
}

/** A board's cores, each boot's in the same worker; the worker goes back to the pool on close. */
export class XsCoreEngine implements CoreEngine {
  readonly #workerPath: string;
  #worker: CoreWorker | null = null;
  /** The worker failed a command: it is not given to another board. */
  #broken = false;
  /** A power cut inside a store operation of the input under way, to end it with. */
  #cut: PowerCutError | null = null;

  constructor(workerPath: string) {
    this.#workerPath = workerPath;
  }

  make(
    config: PairConfig,
    app: AnyApp,
    boot: BootInfo,
    now: number,
    store: DurableRegion | null,
  ): SimCore {
    checkLedgerRelease(app);
    this.#worker ??= takeWorker(this.#workerPath);
    this.#worker.store = store === null ? null : this.#watched(store);
    const core = new XsCore(this);
    core.send({
      op: 'make',
      config,
      app: { name: app.name, version: app.version, checkpoint: app.checkpoint },
      boot,
      now,
      store: store === null ? null : geometryData(store.geometry),
    });
    return core;
  }

  close(): void {
    const worker = this.#worker;
    this.#worker = null;
    if (worker === null) return;
    if (this.#broken) {
      worker.process.close();
      return;
    }
    worker.store = null;
    const idle = idleWorkers.get(this.#workerPath) ?? [];
    idle.push(worker);
    idleWorkers.set(this.#workerPath, idle);
  }

  /** Runs a command; gives its answer and the power cut inside it, if a store operation had one. */
  exchange(command: CoreCommand): { answer: CoreAnswer; cut: PowerCutError | null } {
    if (this.#worker === null) throw new Error('the XS core engine is closed');
    let reply: Uint8Array;
    try {
      reply = this.#worker.process.command(encodeCbor(command, CHANNEL_CBOR_LIMITS)).reply;
    } catch (error) {
      this.#broken = true;
      throw error;
    }
    const cut = this.#cut;
    this.#cut = null;
    return { answer: decodeCbor(reply, CHANNEL_CBOR_LIMITS) as CoreAnswer, cut };
  }

  /** The store, noting a power cut inside one of its operations (the engine sees only an error). */
  #watched(store: DurableRegion): DurableRegion {
    const watch = <T>(operation: () => T): T => {
      try {
        return operation();
      } catch (error) {
        if (error instanceof PowerCutError) this.#cut = error;
        throw error;
      }
    };
    return {
      geometry: store.geometry,
      read: (offset, length) => watch(() => store.read(offset, length)),
      write: (offset, bytes) => watch(() => store.write(offset, bytes)),
      erase: (block) => watch(() => store.erase(block)),
    };
  }
}

/**
 * PairCore's members, each input a command to the worker. Outputs wait here
 * until the world takes them, as in PairCore: those of an input a power cut
 * ended too, which the world reads for what ran before the cut.
 */
class XsCore implements SimCore {
  readonly #engine: XsCoreEngine;
  #outputs: Output[] = [];
  #readings: CoreReadings | null = null;

  constructor(engine: XsCoreEngine) {
    this.#engine = engine;
  }

  send(command: CoreCommand): unknown {
    const { answer, cut } = this.#engine.exchange(command);
    this.#outputs.push(...answer.outputs);
    if (answer.readings !== null) this.#readings = answer.readings;
    // As in this process: a cut the core caught ends nothing; one it let through ends the input.
    if (answer.error !== undefined) throw cut ?? new Error(`the core in XS threw: ${answer.error}`);
    return answer.result;
  }

  get #now(): CoreReadings {
    if (this.#readings === null) throw new Error('the core in XS has not been made');
    return this.#readings;
  }

  receiveBytes(path: number, bytes: Uint8Array, now: number): void {
    this.send({ op: 'bytes', path, bytes, now });
  }

  setDsr(path: number, high: boolean, now: number): void {
    this.send({ op: 'dsr', path, high, now });
  }

  request(request: ClientRequest, now: number): void {
    this.send({ op: 'request', request, now });
  }

  otherImageChanged(version: string, now: number): void {
    this.send({ op: 'other-image', version, now });
  }

  switchToOther(now: number): SwitchRefusal | null {
    return this.send({ op: 'switch', now }) as SwitchRefusal | null;
  }

  tick(now: number): void {
    this.send({ op: 'tick', now });
  }

  nextWakeMs(): number {
    return this.#now.nextWakeMs;
  }

  takeOutputs(): Output[] {
    const outputs = this.#outputs;
    this.#outputs = [];
    return outputs;
  }

  get state(): unknown {
    return this.send({ op: 'state' });
  }

  get hello() {
    return this.#now.hello;
  }
  get role() {
    return this.#now.role;
  }
  get serving() {
    return this.#now.serving;
  }
  get holdingRequests() {
    return this.#now.holdingRequests;
  }
  get term() {
    return this.#now.term;
  }
  get txn() {
    return this.#now.txn;
  }
  get hasState() {
    return this.#now.hasState;
  }
  get incarnation() {
    return this.#now.incarnation;
  }
  get pathsUp() {
    return this.#now.pathsUp;
  }
  get checkpointLag() {
    return this.#now.checkpointLag;
  }
  get txnHeld() {
    return this.#now.txnHeld;
  }
  get falseSuspicions() {
    return this.#now.falseSuspicions;
  }
  get checkpointSentBytes() {
    return this.#now.checkpointSentBytes;
  }
  get snapshotReceivedBytes() {
    return this.#now.snapshotReceivedBytes;
  }
  get durable() {
    return this.#now.durable;
  }
  get lineUse() {
    return this.#now.lineUse;
  }
}
