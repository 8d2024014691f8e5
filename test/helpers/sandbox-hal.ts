/**
 * A HAL for running an image script in the sandbox without a board: it
 * records what the image does and lets a test drive its callbacks, handing
 * the image the kinds of values a board hands it (Buffers from ports, the
 * host's errors when a line fails).
 */
import type { DurableRegion, Hal } from '../../firmware/hal.ts';

/** Port key: an interconnect path, or 'bus'. */
export type PortKey = number | 'bus';

export class SandboxHal {
  readonly logs: string[] = [];
  readonly written: { port: PortKey; bytes: Buffer }[] = [];
  readonly records: unknown[] = [];
  readonly #dataHandlers = new Map<PortKey, (bytes: Uint8Array) => void>();
  readonly #dsrHandlers = new Map<PortKey, (high: boolean) => void>();
  #wake: (() => void) | null = null;
  #logWaiters: { match: (line: string) => boolean; resolve: (line: string) => void }[] = [];
  nowMs = 1000;
  /** The fence line fails with a host Error (as a broken driver would). */
  fenceFails = false;
  readonly hal: Hal;

  constructor(paths = 2, store: DurableRegion | null = null) {
    const uart = (port: PortKey) => ({
      // A port stream copies what it is given into a Buffer, as serialport does.
      write: (bytes: Uint8Array) => void this.written.push({ port, bytes: Buffer.from(bytes) }),
      onData: (handler: (bytes: Uint8Array) => void) => void this.#dataHandlers.set(port, handler),
      setDtr: () => {},
      onDsr: (handler: (high: boolean) => void) => {
        this.#dsrHandlers.set(port, handler);
        handler(true);
      },
    });
    this.hal = {
      processor: 1,
      clock: {
        now: () => this.nowMs,
        wakeAt: (_atMs, callback) => {
          this.#wake = callback;
        },
      },
      store,
      interconnect: Array.from({ length: paths }, (_, path) => uart(path)),
      bus: uart('bus'),
      gpio: {
        pulseFence: () => {
          if (this.fenceFails) throw new Error('fence line broken');
        },
        setLed: () => {},
      },
      boot: {
        incarnation: 1,
        testMode: false,
        otherVersion: '',
        seed: 7,
        reboot: () => {},
        confirm: () => {},
      },
      log: (line) => {
        this.logs.push(line);
        this.#logWaiters = this.#logWaiters.filter((waiter) => {
          if (!waiter.match(line)) return true;
          waiter.resolve(line);
          return false;
        });
      },
      record: (event) => void this.records.push(event),
    };
  }

  /** Bytes arriving on a port, as a Buffer (what a serial port stream emits). */
  deliver(port: PortKey, bytes: Uint8Array): void {
    this.#dataHandlers.get(port)?.(Buffer.from(bytes));
  }

  dsr(port: PortKey, high: boolean): void {
    this.#dsrHandlers.get(port)?.(high);
  }

  /** Fires the pending wake-up, if any. */
  wake(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  /** Resolves with the first log line (past or future) that `match` accepts. */
  logged(match: (line: string) => boolean): Promise<string> {
    const past = this.logs.find(match);
    if (past !== undefined) return Promise.resolve(past);
    return new Promise((resolve) => this.#logWaiters.push({ match, resolve }));
  }
}
