/**
 * The firmware's HAL (firmware/hal.ts) made from ECMA-419-shaped IO
 * (io.ts): the adapter an XS board runs next to the image. It is board
 * neutral: the XS board in the lab hands it IO over xsnap's message channel,
 * a Moddable board would hand it `device.io`.
 */
import type { BootServices, DurableRegion, Hal, Uart } from '../../../firmware/hal.ts';
import type { PairEvent } from '../../../firmware/runtime/outputs.ts';
import type { BoardIo, Serial } from './io.ts';

/** How long a fence pulse holds the partner in reset. */
export const FENCE_PULSE_MS = 50;

export interface HalExtras {
  readonly processor: 1 | 2;
  readonly paths: number;
  readonly boot: BootServices;
  /** The durable store (ECMA-419 has no flash class Tandem can use yet: the board hands its own). */
  readonly store: DurableRegion | null;
  log(line: string): void;
  record(event: PairEvent, atMs: number): void;
}

export function halFromIo(io: BoardIo, extras: HalExtras): Hal {
  const uart = (port: number | 'bus'): Uart => {
    let dataHandler: ((bytes: Uint8Array) => void) | null = null;
    let dsrHandler: ((high: boolean) => void) | null = null;
    let dsr = false;
    const serial: Serial = io.openSerial(port, {
      onReadable: () => {
        const buffer = serial.read();
        // A UART with no listener yet drops what it receives, as hardware would.
        if (buffer !== undefined && dataHandler !== null) dataHandler(new Uint8Array(buffer));
      },
      onStatus: ({ DSR }) => {
        dsr = DSR;
        dsrHandler?.(DSR);
      },
    });
    return {
      write: (bytes) => serial.write(bytes.slice().buffer),
      onData: (handler) => {
        dataHandler = handler;
      },
      setDtr: (high) => serial.set({ DTR: high }),
      onDsr: (handler) => {
        dsrHandler = handler;
        handler(dsr);
      },
    };
  };
  let pending: number | null = null;
  return {
    processor: extras.processor,
    store: extras.store,
    clock: {
      now: () => io.ticks(),
      wakeAt: (atMs, callback) => {
        if (pending !== null) io.timer.clear(pending);
        pending = io.timer.set(
          () => {
            pending = null;
            callback();
          },
          Math.max(0, atMs - io.ticks()),
        );
      },
    },
    interconnect: Array.from({ length: extras.paths }, (_, path) => uart(path)),
    bus: uart('bus'),
    gpio: {
      pulseFence: () => {
        const fence = io.fence;
        if (fence === undefined) return;
        fence.write(1);
        io.timer.set(() => fence.write(0), FENCE_PULSE_MS);
      },
      setLed: (name, on) => io.leds[name]?.write(on ? 1 : 0),
    },
    boot: extras.boot,
    log: (line) => extras.log(line),
    record: (event, atMs) => extras.record(event, atMs),
  };
}
