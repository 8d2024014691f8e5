/**
 * Runs a verified image in Moddable's XS engine (an xsnap worker process)
 * and hands the board the same PairHandle the Node sandbox does. The boot
 * ROM stays here, outside the engine, as native code would on a
 * microcontroller; the image reaches the board only through the
 * ECMA-419-shaped IO the engine side offers it (engine/), carried over
 * xsnap's message channel. The process boundary is the sandbox: nothing of
 * Node's realm exists in the engine.
 */
import type { Hal, Uart } from '../../firmware/hal.ts';
import type { PairStatus } from '../../firmware/pair-main.ts';
import { isReason } from '../../firmware/reasons.ts';
import type { SwitchRefusal } from '../../firmware/runtime/switch-procedure.ts';
import { decodeCbor, encodeCbor } from '../../firmware/wire/cbor.ts';
import { CallMeter, type ImageCall } from '../call-meter.ts';
import { geometryData } from '../flash-region.ts';
import type { EngineStatus, RunningImage } from '../image-engine.ts';
import { ImageFault, ImageStartError } from '../node/sandbox.ts';
import {
  type Answer,
  BUS_PORT,
  CHANNEL_CBOR_LIMITS,
  type Command,
  type IoCall,
  SERIAL_PIECE_BYTES_MAX,
} from './engine/channel.ts';
import { engineScript } from './engine-script.ts';
import { storeAnswerer } from './store-answerer.ts';
import { type WorkerExit, type XsMeter, XsnapError, XsnapProcess } from './xsnap-process.ts';

type Overrides = Record<string, number | boolean>;

/** The XS engine failed under the image: its worker died or its channel broke. */
export class XsEngineFault extends ImageFault {
  override name = 'XsEngineFault';
  constructor(
    message: string,
    /** How the worker ended (exit code and xsnap's reason, or signal; its last line), where it did. */
    readonly exit: WorkerExit | null,
    options: ErrorOptions,
  ) {
    super(message, options);
  }
}

type XsStatus = Extract<EngineStatus, { kind: 'xs' }>;

/** Status collects XS's garbage before reading its heap, at most this often (in between, in use counts garbage too). */
export const COLLECT_INTERVAL_MS = 1000;

/** `heapBytes`: a fixed heap for XS, as a microcontroller's (XsnapProcess); null for none. */
export function runImageInXs(
  payload: string,
  hal: Hal,
  overrides: Overrides,
  workerPath: string,
  heapBytes: number | null = null,
  calls: CallMeter = new CallMeter(),
): RunningImage {
  const worker = new XsnapProcess(
    workerPath,
    (line) => hal.log(line),
    storeAnswerer(() => hal.store),
    heapBytes,
  );
  let last: XsMeter | null = null;
  const meter = (m: XsMeter) => {
    last = m;
  };
  const inUse = (m: XsMeter) => m.chunks + m.currentHeapCount * m.slotBytes;
  const port = (index: number): Uart | undefined =>
    index === BUS_PORT ? hal.bus : hal.interconnect[index];

  const carryOut = (call: IoCall) => {
    switch (call.io) {
      case 'write':
        port(call.port)?.write(call.bytes);
        break;
      case 'dtr':
        port(call.port)?.setDtr(call.high);
        break;
      case 'wake':
        hal.clock.wakeAt(call.atMs, () => send({ op: 'wake', now: hal.clock.now() }, 'a wake-up'));
        break;
      case 'digital':
        // The lab's fence is a pulse: the rising edge is it. LEDs are not modelled.
        if (call.pin === 'fence' && call.value === 1) hal.gpio.pulseFence();
        else if (call.pin !== 'fence') hal.gpio.setLed(call.pin, call.value === 1);
        break;
      case 'log':
        hal.log(call.line);
        break;
      case 'record':
        hal.record(call.event, call.atMs);
        break;
      case 'reboot':
        hal.boot.reboot(call.choice);
        break;
      case 'confirm':
        hal.boot.confirm();
        break;
    }
  };

  let stopped = false;
  const send = (command: Extract<Command, { op: ImageCall }>, what: string): unknown => {
    if (stopped) return null;
    let answer: Answer;
    const startMs = performance.now();
    try {
      const { reply, meter: m } = worker.command(encodeCbor(command, CHANNEL_CBOR_LIMITS));
      meter(m);
      answer = decodeCbor(reply, CHANNEL_CBOR_LIMITS) as Answer;
      // The units a device would spend (the channel's codec left out), where the engine could tell.
      calls.note(command.op, performance.now() - startMs, {
        compute: answer.compute ?? m.compute,
        engineMs: answer.engineMs,
      });
    } catch (error) {
      if (error instanceof XsnapError) {
        const fault = new XsEngineFault(
          `the XS engine failed in ${what}: ${error.message}`,
          error.exit,
          { cause: error },
        );
        hal.log(fault.message);
        throw fault;
      }
      throw error;
    }
    for (const call of answer.calls) carryOut(call);
    if (answer.error !== undefined)
      throw new ImageFault(`the image failed in ${what}: ${answer.error}`);
    return answer.result;
  };

  let builtinsBytes = 0;
  let collectedAtMs = Number.NEGATIVE_INFINITY;
  try {
    // The bare engine after a collection: its built-ins, which a device preloads into flash.
    builtinsBytes = inUse(worker.evaluate('gc()'));
    // Both run compiled ahead and in place, as a mod from flash: only what they create is heap.
    meter(worker.runInPlace(engineScript()));
    meter(worker.runInPlace(payload));
  } catch (error) {
    worker.close();
    throw new ImageStartError(
      'image-crashed',
      `the image threw while loading in XS: ${String((error as Error).message)}`,
    );
  }
  /** Bytes a port received, handed to the engine a UART buffer's worth at a time. */
  const received = (port: number, bytes: Uint8Array) => {
    for (let at = 0; at < bytes.length; at += SERIAL_PIECE_BYTES_MAX) {
      const piece = bytes.subarray(at, at + SERIAL_PIECE_BYTES_MAX);
      send({ op: 'data', port, bytes: piece, now: hal.clock.now() }, 'a data handler');
    }
  };
  const paths = hal.interconnect.length;
  // DSR levels as the board reads them now, delivered again by each onDsr below.
  const dsr: boolean[] = new Array(paths).fill(false);
  let started = false;
  hal.interconnect.forEach((uart, path) => {
    uart.onDsr((high) => {
      dsr[path] = high;
      if (started) send({ op: 'dsr', port: path, high, now: hal.clock.now() }, 'a DSR handler');
    });
    uart.onData((bytes) => received(path, bytes));
  });
  hal.bus.onData((bytes) => received(BUS_PORT, bytes));
  try {
    send(
      {
        op: 'start',
        now: hal.clock.now(),
        dsr,
        shape: {
          processor: hal.processor,
          paths,
          incarnation: hal.boot.incarnation,
          testMode: hal.boot.testMode,
          otherVersion: hal.boot.otherVersion,
          seed: hal.boot.seed,
          ...(hal.boot.resetAtMs === undefined ? {} : { resetAtMs: hal.boot.resetAtMs }),
          fenceWired: overrides.fenceWired !== false,
          overrides,
          store: hal.store === null ? null : geometryData(hal.store.geometry),
        },
      },
      'runPair',
    );
    started = true;
  } catch (error) {
    worker.close();
    throw new ImageStartError('image-crashed', (error as Error).message);
  }
  return {
    status: () => send({ op: 'status', now: hal.clock.now() }, 'status()') as PairStatus,
    state: () => send({ op: 'state', now: hal.clock.now() }, 'state()'),
    switchToOther: () => {
      const refusal = send({ op: 'switch', now: hal.clock.now() }, 'switchToOther()');
      return isReason(refusal) ? (refusal as SwitchRefusal) : null;
    },
    otherImageChanged: (version) => {
      send({ op: 'other-image', version, now: hal.clock.now() }, 'otherImageChanged()');
    },
    engine: (): XsStatus => {
      // Collect first, so that in use means live, not live and garbage not yet collected;
      // at most once a second, since a watcher may ask for status every few milliseconds.
      const now = hal.clock.now();
      if (!stopped && now - collectedAtMs >= COLLECT_INTERVAL_MS) {
        // A command, not `evaluate`: xsnap keeps 32 bytes of every script it evaluates, for good.
        const collect: Command = { op: 'collect', now };
        meter(worker.command(encodeCbor(collect, CHANNEL_CBOR_LIMITS)).meter);
        collectedAtMs = now;
      }
      const m = last;
      if (m === null) throw new ImageFault('the XS engine has not answered yet');
      return {
        kind: 'xs',
        calls: calls.longest(),
        busy: calls.busy(),
        heapInUseBytes: inUse(m),
        heapPeakBytes: m.chunksPeak + m.slotsPeak * m.slotBytes,
        builtinsBytes,
        slotBytes: m.slotBytes,
        allocatedBytes: m.allocate,
        codeInPlaceBytes: m.codeInPlace,
        stackPeakBytes: m.stackPeak * m.slotBytes,
        stackScratchBytes: m.stackScratch * m.slotBytes,
        stackBytes: m.stackSlots * m.slotBytes,
      };
    },
    stop: () => {
      stopped = true;
      worker.close();
    },
  };
}
