/**
 * A simulated board: boot ROM, flash, UARTs and the sandbox the image runs
 * in. One OS process per board: the lab pulls power with SIGKILL. A reset the
 * image asks for (reboot into a slot) happens inside the process: the image
 * is dropped, DTR falls for the boot time, and the boot ROM starts again.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DurableRegion, Hal, Uart } from '../../firmware/hal.ts';
import { errorText, reasonText } from '../../firmware/reasons.ts';
import { decodeCbor, encodeCbor } from '../../firmware/wire/cbor.ts';
import {
  byteTimeMs,
  encodeFrame,
  FRAME_CUT_SHORT_AFTER_MS,
  FrameDecoder,
} from '../../firmware/wire/frame.ts';
import { CallMeter } from '../call-meter.ts';
import { CountedStore } from '../counted-store.ts';
import { geometryData } from '../flash-region.ts';
import { ImageError } from '../image/errors.ts';
import type { ImageRunner, RunningImage } from '../image-engine.ts';
import { Journal, type JournalEntry, type JournalPage } from '../journal.ts';
import {
  type BoardStatus,
  type ManagementReply,
  type ManagementRequest,
  type PushEndResult,
  parseManagementRequest,
} from '../management.ts';
import { StateReads } from '../state-read.ts';
import { wallClockMs } from '../wall-clock.ts';
import type { BootRom } from './boot-rom.ts';
import { ImageUpload, UploadRefusal } from './image-upload.ts';
import { runImage } from './sandbox.ts';

/** The board's ports, already open, as the board support sees them. */
export interface BoardPorts {
  readonly interconnect: readonly PortLink[];
  readonly bus: PortLink;
  readonly host: PortLink;
}

/** The few things a board needs of a serial port (a SerialPortStream adapter implements it). */
export interface PortLink {
  /** The line rate it was opened at. */
  readonly baud: number;
  write(bytes: Uint8Array): void;
  onData(handler: (bytes: Uint8Array) => void): void;
  setDtr(high: boolean): void;
  /** Reads DSR now. */
  dsr(): Promise<boolean>;
  /** Settles once everything written so far has left the UART (tcdrain). */
  drain(): Promise<void>;
}

/**
 * The fence line to the partner's reset, as the board sees it: wired (a
 * takeover pulses it) or not (the pair runs with `fenceWired: false`, and
 * `status` says `fence: 'none'`).
 */
export type FenceLine = { readonly wired: true; pulse(): void } | { readonly wired: false };

export interface BoardOptions {
  readonly processor: 1 | 2;
  readonly bootRom: BootRom;
  readonly ports: BoardPorts;
  readonly fence: FenceLine;
  readonly log: (line: string) => void;
  /** Time from reset to the image running. */
  readonly bootMs: number;
  /** How often DSR is sampled (UART modem-status interrupts on real boards); 0 where DSR is not wired. */
  readonly dsrPollMs: number;
  readonly pairOverrides?: Record<string, number | boolean>;
  /** Sees every journal entry as it is recorded (the lab's armed power cuts). */
  readonly onJournal?: (entry: JournalEntry) => void;
  /** The engine that runs images: Node's sandbox unless given (boards/image-engine.ts). */
  readonly runImage?: ImageRunner;
  /** The durable region `retained` apps keep their log in; none (memory apps only) unless given. */
  readonly store?: DurableRegion | null;
}

/** The store as one boot of the image sees it: an image the board has reset can no longer change it. */
function liveStore(store: DurableRegion | null, live: () => boolean): DurableRegion | null {
  if (store === null) return null;
  const alive = () => {
    if (!live()) throw new Error('the image that used the store was reset');
  };
  return {
    geometry: store.geometry,
    read: (offset, length) => store.read(offset, length),
    write: (offset, bytes) => {
      alive();
      store.write(offset, bytes);
    },
    erase: (block) => {
      alive();
      store.erase(block);
    },
  };
}

/** Node's sandbox as a runner: the realm ends with the board's references to it. */
const runInSandbox: ImageRunner = (payload, hal, overrides, meter) => {
  const { calls, ...pair } = runImage(payload, hal, overrides, meter);
  return {
    ...pair,
    engine: () => ({ kind: 'node', calls: calls.longest(), busy: calls.busy() }),
    stop: () => {},
  };
};

/**
 * How long the boot ROM waits before the next boot when the image stopped
 * because its store failed at `boots` boots in a row: the first retries at
 * once (a passing fault), then 1 s doubling to 32 s, so that a store that
 * will not read again costs a boot and an alarm now and then, not many a
 * second. On a microcontroller the count lives in RAM that a reset keeps.
 */
export function storeFailureBackoffMs(boots: number): number {
  return boots < 2 ? 0 : Math.min(STORE_BACKOFF_MAX_MS, STORE_BACKOFF_FIRST_MS * 2 ** (boots - 2));
}
const STORE_BACKOFF_FIRST_MS = 1000;
const STORE_BACKOFF_MAX_MS = 32_000;
/** The longest a reset the image asked for waits for its UARTs to drain. */
const RESET_DRAIN_MAX_MS = 100;

/** One board: boots images, runs them, and answers its management port. */
export class Board {
  #generation = 0;
  /** Boots in a row whose image stopped because the store failed (storeFailureBackoffMs). */
  #storeFailedBoots = 0;
  #storeFailedThisBoot = false;
  #pair: RunningImage | null = null;
  #bootNotes: readonly string[] = [];
  #bootCount = 0;
  /** When the last reset (or power-on) began: the image learns how long its boot took. */
  #resetAtMs = 0;
  /** The calls into every image this board ran since power-on (a board is a process: a pull ends it). */
  readonly #calls = new CallMeter();
  /** The pair's events since power-on; its id is this process's start time. */
  readonly journal = new Journal(performance.timeOrigin);
  readonly #upload: ImageUpload;
  readonly #stateReads = new StateReads();
  #dataHandlers: Array<((bytes: Uint8Array) => void) | null>;
  #dsrHandlers: Array<((high: boolean) => void) | null>;
  #dsrLevels: boolean[];
  #busHandler: ((bytes: Uint8Array) => void) | null = null;
  /** Cancels the image's pending wake-up, if one is set. */
  #cancelWake: (() => void) | null = null;
  readonly #hostDecoder: FrameDecoder;
  /** The board's store, counting its operations since power-on (for status and the cost figures). */
  readonly #store: CountedStore | null;

  constructor(readonly options: BoardOptions) {
    this.#hostDecoder = new FrameDecoder({
      cutShortAfterMs: FRAME_CUT_SHORT_AFTER_MS,
      byteTimeMs: byteTimeMs(options.ports.host.baud),
    });
    this.#store = options.store ? new CountedStore(options.store) : null;
    this.#upload = new ImageUpload(options.bootRom);
    const paths = options.ports.interconnect.length;
    this.#dataHandlers = new Array(paths).fill(null);
    this.#dsrHandlers = new Array(paths).fill(null);
    this.#dsrLevels = new Array(paths).fill(false);
    options.ports.interconnect.forEach((port, path) => {
      port.onData((bytes) => this.#dataHandlers[path]?.(bytes));
    });
    options.ports.bus.onData((bytes) => this.#busHandler?.(bytes));
    options.ports.host.onData((bytes) => this.#onHostBytes(bytes));
    options.ports.host.setDtr(true);
    if (options.dsrPollMs > 0) setInterval(() => void this.#pollDsr(), options.dsrPollMs).unref();
    // Without a DSR wire the line reads as always high: only silence tells.
    else this.#dsrLevels.fill(true);
  }

  /** Power on (or reset): after the boot time, the boot ROM picks and verifies an image and runs it. */
  /** Resets the board; the image boots after the boot time and `holdMs` more. */
  start(holdMs = 0): void {
    this.#stopImage();
    this.#resetAtMs = performance.now();
    const generation = this.#generation;
    setTimeout(() => {
      if (generation === this.#generation) this.#boot();
    }, this.options.bootMs + holdMs);
  }

  status(): BoardStatus {
    const rom = this.options.bootRom;
    const active = rom.inactiveSlot() === 0 ? 1 : 0;
    const pair = this.#pair?.status() ?? null;
    return {
      processor: this.options.processor,
      bootCount: this.#bootCount,
      slots: rom.slots().map((s) => ({
        ...s,
        active: s.slot === active,
        trial: s.slot === active && (pair?.testMode ?? false),
      })),
      pair,
      engine: this.#pair?.engine() ?? null,
      bootNotes: this.#bootNotes,
      storeFailedBoots: this.#storeFailedBoots,
      fence: this.options.fence.wired ? 'wired' : 'none',
      store:
        this.#store === null
          ? null
          : { geometry: geometryData(this.#store.geometry), sincePowerOn: this.#store.wear() },
    };
  }

  #boot(): void {
    const { bootRom, log, processor } = this.options;
    const result = bootRom.boot();
    this.#bootNotes = result.notes;
    this.#bootCount = result.state.bootCount;
    this.#storeFailedThisBoot = false;
    for (const note of result.notes) log(`boot ROM: ${note}`);
    if (result.image === null) {
      log('boot ROM: no valid image; waiting for one on the host port');
      return;
    }
    const generation = this.#generation;
    const live = () => generation === this.#generation;
    const version = result.image.manifest.version;
    const hal: Hal = {
      processor,
      clock: {
        now: () => performance.now(),
        wakeAt: (atMs, callback) => this.#wakeAt(atMs, () => live() && callback()),
      },
      store: liveStore(this.#store, live),
      interconnect: this.options.ports.interconnect.map((port, path) =>
        this.#uart(port, path, live),
      ),
      bus: {
        write: (bytes) => live() && this.options.ports.bus.write(bytes),
        onData: (handler) => {
          this.#busHandler = handler;
        },
        setDtr: (high) => live() && this.options.ports.bus.setDtr(high),
        onDsr: () => {},
      },
      gpio: {
        pulseFence: () => {
          const { fence } = this.options;
          if (live() && fence.wired) fence.pulse();
        },
        setLed: () => {},
      },
      boot: {
        incarnation: result.state.bootCount,
        testMode: result.state.trial,
        otherVersion: result.otherVersion,
        seed: (processor * 7919 + result.state.bootCount * 104729) >>> 0,
        resetAtMs: this.#resetAtMs,
        reboot: (choice) => {
          if (!live()) return;
          this.#storeFailedBoots = this.#storeFailedThisBoot ? this.#storeFailedBoots + 1 : 0;
          const holdMs = storeFailureBackoffMs(this.#storeFailedBoots);
          log(
            `reboot (${choice})${holdMs > 0 ? `, held ${holdMs} ms: the store failed at ${this.#storeFailedBoots} boots in a row` : ''}`,
          );
          bootRom.prepareReboot(choice);
          this.#resetAfterDrain(holdMs);
        },
        confirm: () => {
          if (!live()) return;
          bootRom.confirm();
          log(`confirmed ${result.image?.manifest.version}`);
        },
      },
      log: (line) => live() && log(line),
      record: (event, atMs) => {
        if (event.kind === 'store-refused' && event.code === 'failed') {
          this.#storeFailedThisBoot = true;
        }
        // Past its store: no longer in a row.
        if (event.kind === 'role' && event.role !== 'booting' && event.role !== 'stopped') {
          this.#storeFailedBoots = 0;
        }
        if (live()) {
          const entry = this.journal.record(
            event,
            wallClockMs(atMs),
            result.state.bootCount,
            version,
          );
          this.options.onJournal?.(entry);
        }
      },
    };
    log(
      `running ${result.image.manifest.app} ${result.image.manifest.version}${result.state.trial ? ' (trial)' : ''}`,
    );
    try {
      // The sandbox hands back values of ours: status, state and events are copies.
      // The pair fences only where a line is wired: one fact, from the board's fence option.
      this.#pair = (this.options.runImage ?? runInSandbox)(
        result.image.payload,
        hal,
        { ...this.options.pairOverrides, fenceWired: this.options.fence.wired },
        this.#calls,
      );
    } catch (error) {
      // An image that crashes on boot (or is refused by the sandbox): the board
      // resets, and a trial image reverts.
      log(`image crashed on boot: ${String(error)}`);
      this.start();
    }
  }

  #uart(port: PortLink, path: number, live: () => boolean): Uart {
    return {
      write: (bytes) => live() && port.write(bytes),
      onData: (handler) => {
        this.#dataHandlers[path] = (bytes) => live() && handler(bytes);
      },
      setDtr: (high) => live() && port.setDtr(high),
      onDsr: (handler) => {
        this.#dsrHandlers[path] = (high) => live() && handler(high);
        handler(this.#dsrLevels[path] ?? false);
      },
    };
  }

  #wakeAt(atMs: number, callback: () => void): void {
    this.#cancelWake?.();
    const fire = () => {
      this.#cancelWake = null;
      callback();
    };
    const delay = atMs - performance.now();
    // Due now (the next slice of a job that holds requests): once the input
    // that waits is read, not a timer's 1 ms later, which each slice would add.
    if (delay <= 0) {
      const immediate = setImmediate(fire);
      this.#cancelWake = () => clearImmediate(immediate);
    } else {
      const timer = setTimeout(fire, delay);
      this.#cancelWake = () => clearTimeout(timer);
    }
  }

  /**
   * A reset the image asked for: the image stops at once, but the UARTs send
   * what it wrote (its last acknowledgement) before the reset stops driving
   * the lines, as firmware waits for transmit-complete before it resets: a
   * partner that sees DSR fall on every path ignores what arrives after.
   * A line that does not drain (stalled) holds the reset RESET_DRAIN_MAX_MS at most.
   */
  #resetAfterDrain(holdMs: number): void {
    this.#stopImage(false);
    const generation = this.#generation;
    const drained = Promise.all(this.options.ports.interconnect.map((port) => port.drain()));
    void Promise.race([drained, sleep(RESET_DRAIN_MAX_MS)])
      .catch(() => {})
      .then(() => {
        if (generation === this.#generation) this.start(holdMs);
      });
  }

  #stopImage(dropLines = true): void {
    this.#generation += 1;
    this.#cancelWake?.();
    this.#cancelWake = null;
    this.#pair?.stop();
    this.#pair = null;
    this.#busHandler = null;
    this.#dataHandlers.fill(null);
    this.#dsrHandlers.fill(null);
    if (!dropLines) return;
    // During reset the UARTs are not driven: the partner sees DSR fall.
    for (const port of this.options.ports.interconnect) port.setDtr(false);
    this.options.ports.bus.setDtr(false);
  }

  async #pollDsr(): Promise<void> {
    const ports = this.options.ports.interconnect;
    for (let path = 0; path < ports.length; path++) {
      const high = await (ports[path] as PortLink).dsr().catch(() => false);
      if (high !== this.#dsrLevels[path]) {
        this.#dsrLevels[path] = high;
        this.#dsrHandlers[path]?.(high);
      }
    }
  }

  // ------------------------------------------------------------ host port

  #onHostBytes(bytes: Uint8Array): void {
    for (const event of this.#hostDecoder.push(bytes, performance.now())) {
      if (event.kind !== 'frame') continue;
      let request: ManagementRequest;
      try {
        request = parseManagementRequest(decodeCbor(event.payload));
      } catch (error) {
        this.#answer({
          id: -1,
          ok: false,
          error: 'bad-request',
          message: errorText(error),
        });
        continue;
      }
      try {
        this.#answer(this.#handle(request));
      } catch (error) {
        // A fault in the board support must not take the board down: answer it.
        this.options.log(`management ${request.op} failed: ${String(error)}`);
        this.#answer({ id: request.id, ok: false, error: 'internal', message: String(error) });
      }
    }
  }

  #handle(request: ManagementRequest): ManagementReply {
    const { id } = request;
    switch (request.op) {
      case 'status':
        return { id, ok: true, result: this.status() };
      case 'push-begin':
      case 'push-data':
      case 'push-end':
        return this.#push(request);
      case 'state':
        return this.#readState(request);
      case 'journal': {
        // The board's clock as it answers: the host brackets the skew between its clock and ours.
        const page: JournalPage = {
          ...this.journal.page(request.powerOn, request.since),
          clockMs: wallClockMs(),
        };
        return { id, ok: true, result: page };
      }
      case 'switch': {
        const pair = this.#pair;
        const refusal = pair === null ? 'no image runs' : pair.switchToOther();
        return refusal === null
          ? { id, ok: true, result: { started: true } }
          : {
              id,
              ok: false,
              error: 'refused',
              message: typeof refusal === 'string' ? refusal : reasonText(refusal),
            };
      }
    }
  }

  /** The pair's state, chunk by chunk from a snapshot (state-read.ts). */
  #readState(request: Extract<ManagementRequest, { op: 'state' }>): ManagementReply {
    return this.#stateReads.answer(request, () => {
      const pair = this.#pair;
      if (pair === null) return null;
      const { version, txn } = pair.status();
      return { version, txn, state: pair.state() };
    });
  }

  /** An image pushed into the inactive slot, chunk by chunk (image-upload.ts). */
  #push(
    request: Extract<ManagementRequest, { op: 'push-begin' | 'push-data' | 'push-end' }>,
  ): ManagementReply {
    const { id } = request;
    try {
      switch (request.op) {
        case 'push-begin':
          return {
            id,
            ok: true,
            result: this.#upload.begin(request.bytes, request.sha256, {
              allowDowngrade: request.allowDowngrade ?? false,
            }),
          };
        case 'push-data':
          return {
            id,
            ok: true,
            result: this.#upload.data(request.offset, request.data, request.raw),
          };
        case 'push-end':
          return { id, ok: true, result: this.#finishPush() };
      }
    } catch (error) {
      // Refusals and verification failures are answers; anything else is a fault.
      if (!(error instanceof UploadRefusal || error instanceof ImageError)) throw error;
      return { id, ok: false, error: error.code, message: error.message };
    }
  }

  #finishPush(): PushEndResult {
    const { slot, manifest } = this.#upload.end();
    const rom = this.options.bootRom;
    // Not `#pair === null`: a board between reset and boot runs nothing for a moment too.
    const runningNothing = rom.slots().every((s) => s.slot === slot || s.status !== 'valid');
    if (runningNothing) {
      // An empty board runs its first image at once.
      rom.activate(slot);
      this.start();
    } else {
      this.#pair?.otherImageChanged(manifest.version);
    }
    this.options.log(`pushed ${manifest.app} ${manifest.version} into slot ${slot}`);
    return { slot, version: manifest.version, running: runningNothing };
  }

  #answer(reply: ManagementReply): void {
    this.options.ports.host.write(encodeFrame(encodeCbor(reply)));
  }
}
