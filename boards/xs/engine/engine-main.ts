/**
 * The engine side of the XS board: evaluated in the xsnap worker before the
 * image. It defines `handleCommand`, xsnap's entry for messages from the
 * Node side, implements the ECMA-419-shaped IO (io.ts) over that channel,
 * builds the image's HAL from it (hal-from-io.ts) and runs the image's pair.
 * Everything here is plain ECMAScript, no Node; of xsnap's extras only its
 * meter (meterReading), its clock (`performance`) and its collector (`gc`)
 * are used, where they are there.
 */
import type { BootServices } from '../../../firmware/hal.ts';
import type { TandemImage } from '../../../firmware/image-entry/tandem-image.ts';
import type { PairHandle } from '../../../firmware/pair-main.ts';
import { askBoard, boardStore } from './board-store.ts';
import {
  type Answer,
  BUS_PORT,
  type Command,
  type IoCall,
  type StartShape,
  type StoreRequest,
} from './channel.ts';
import { readChannel, writeChannel } from './channel-codec.ts';
import { halFromIo } from './hal-from-io.ts';
import type { BoardIo, DigitalOutput, SerialOptions } from './io.ts';

/** Bound on engine timers pending at once: the pair asks for one, a fence pulse adds one. */
const TIMERS_MAX = 16;

let now = 0;
let calls: IoCall[] = [];
let pair: PairHandle | null = null;
const serials = new Map<number, { options: SerialOptions; received: Uint8Array[]; dsr: boolean }>();
const timers = new Map<number, { atMs: number; callback: () => void }>();
let nextTimerId = 1;
let requestedWakeMs = Number.POSITIVE_INFINITY;
/** Units this command spent in the channel's codec for its store requests (see Answer.compute). */
let storeChannelUnits = 0;

/** xsnap's collector, taken now: the image's own names go on the global object after us. */
const collectGarbage = (globalThis as { gc?: () => void }).gc;

/** xsnap's clock (a device has its own: Moddable's Time.ticks), or null. */
const engineClock = ((): (() => number) | null => {
  const clock = (globalThis as { performance?: { now?: () => number } }).performance;
  return typeof clock?.now === 'function' ? () => (clock.now as () => number)() : null;
})();

/** xsnap's meter as its globals give it (resetMeter returns the count it replaces), or null. */
const meterReading = ((): (() => number) | null => {
  const g = globalThis as {
    currentMeterLimit?: () => number;
    resetMeter?: (limit: number, count: number) => number;
  };
  const { currentMeterLimit, resetMeter } = g;
  if (typeof currentMeterLimit !== 'function' || typeof resetMeter !== 'function') return null;
  return () => {
    const limit = currentMeterLimit();
    const count = resetMeter(limit, 0);
    resetMeter(limit, count);
    return count;
  };
})();

function requestWake(): void {
  let earliest = Number.POSITIVE_INFINITY;
  for (const timer of timers.values()) earliest = Math.min(earliest, timer.atMs);
  if (earliest !== requestedWakeMs && earliest !== Number.POSITIVE_INFINITY) {
    calls.push({ io: 'wake', atMs: earliest });
  }
  requestedWakeMs = earliest;
}

function digital(pin: 'fence' | 'run' | 'primary' | 'fault'): DigitalOutput {
  return { write: (value) => calls.push({ io: 'digital', pin, value }) };
}

function boardIo(shape: StartShape, dsr: readonly boolean[]): BoardIo {
  return {
    openSerial: (port, options) => {
      const index = port === 'bus' ? BUS_PORT : port;
      const entry = { options, received: [] as Uint8Array[], dsr: dsr[index] ?? false };
      serials.set(index, entry);
      options.onStatus({ DSR: entry.dsr });
      return {
        read: () => {
          const pieces = entry.received;
          entry.received = [];
          const first = pieces[0];
          if (first === undefined) return undefined;
          // One piece, as the board sends them, is read as it is: the decoded command owns its bytes.
          if (pieces.length === 1 && first.byteLength === first.buffer.byteLength)
            return first.buffer as ArrayBuffer;
          const total = pieces.reduce((sum, chunk) => sum + chunk.length, 0);
          const out = new Uint8Array(total);
          let offset = 0;
          for (const chunk of pieces) {
            out.set(chunk, offset);
            offset += chunk.length;
          }
          return out.buffer;
        },
        write: (buffer) => calls.push({ io: 'write', port: index, bytes: new Uint8Array(buffer) }),
        set: ({ DTR }) => {
          if (DTR !== undefined) calls.push({ io: 'dtr', port: index, high: DTR });
        },
        get: () => ({ DSR: entry.dsr }),
      };
    },
    fence: shape.fenceWired ? digital('fence') : undefined,
    leds: { run: digital('run'), primary: digital('primary'), fault: digital('fault') },
    timer: {
      set: (callback, ms) => {
        if (timers.size >= TIMERS_MAX) throw new Error(`more than ${TIMERS_MAX} timers pending`);
        const id = nextTimerId++;
        timers.set(id, { atMs: now + ms, callback });
        requestWake();
        return id;
      },
      clear: (id) => {
        timers.delete(id);
        requestWake();
      },
    },
    ticks: () => now,
  };
}

function boot(shape: StartShape): BootServices {
  return {
    incarnation: shape.incarnation,
    testMode: shape.testMode,
    otherVersion: shape.otherVersion,
    seed: shape.seed,
    ...(shape.resetAtMs === undefined ? {} : { resetAtMs: shape.resetAtMs }),
    reboot: (choice) => {
      calls.push({ io: 'reboot', choice });
    },
    confirm: () => {
      calls.push({ io: 'confirm' });
    },
  };
}

/** A store request to the board, its channel's units counted apart (Answer.compute). */
function askBoardMetered(request: StoreRequest): Uint8Array {
  const before = meterReading?.() ?? 0;
  try {
    return askBoard(request);
  } finally {
    if (meterReading !== null) storeChannelUnits += meterReading() - before;
  }
}

function running(): PairHandle {
  if (pair === null) throw new Error('the image is not running');
  return pair;
}

function run(command: Command): unknown {
  switch (command.op) {
    case 'start': {
      const image = (globalThis as { tandemImage?: TandemImage }).tandemImage;
      if (image === undefined || typeof image.runPair !== 'function') {
        throw new Error('the image does not define tandemImage.app and tandemImage.runPair');
      }
      const { shape } = command;
      const hal = halFromIo(boardIo(shape, command.dsr), {
        processor: shape.processor,
        paths: shape.paths,
        boot: boot(shape),
        store: boardStore(shape.store, askBoardMetered),
        log: (line) => calls.push({ io: 'log', line }),
        record: (event, atMs) => calls.push({ io: 'record', event, atMs }),
      });
      pair = image.runPair(image.app, hal, {
        ...shape.overrides,
        fenceWired: shape.fenceWired,
      }) as PairHandle;
      return null;
    }
    case 'data': {
      const serial = serials.get(command.port);
      if (serial === undefined) return null;
      serial.received.push(command.bytes);
      serial.options.onReadable(command.bytes.length);
      return null;
    }
    case 'dsr': {
      const serial = serials.get(command.port);
      if (serial === undefined) return null;
      serial.dsr = command.high;
      serial.options.onStatus({ DSR: command.high });
      return null;
    }
    case 'wake': {
      requestedWakeMs = Number.POSITIVE_INFINITY;
      const due = [...timers].filter(([, timer]) => timer.atMs <= now);
      for (const [id, timer] of due) {
        timers.delete(id);
        timer.callback();
      }
      requestWake();
      return null;
    }
    case 'status':
      return running().status();
    case 'state':
      return running().state();
    case 'switch':
      return running().switchToOther();
    case 'other-image':
      running().otherImageChanged(command.version);
      return null;
    case 'collect':
      collectGarbage?.();
      return null;
  }
}

function describe(thrown: unknown): string {
  if (thrown instanceof Error) return `${thrown.name}: ${thrown.message}`;
  return String(thrown);
}

/** xsnap calls this with each message from the Node side and sends back what it returns. */
(globalThis as { handleCommand?: (message: ArrayBuffer) => ArrayBuffer }).handleCommand = (
  message,
) => {
  const command = readChannel(message) as Command;
  now = command.now;
  calls = [];
  storeChannelUnits = 0;
  const before = meterReading?.() ?? 0;
  const startMs = engineClock?.() ?? 0;
  let answer: Answer;
  try {
    answer = { calls, result: run(command) };
  } catch (thrown) {
    answer = { calls, error: describe(thrown) };
  }
  if (engineClock !== null) answer = { ...answer, engineMs: engineClock() - startMs };
  if (meterReading !== null) {
    answer = { ...answer, compute: meterReading() - before - storeChannelUnits };
  }
  return writeChannel(answer);
};
