/**
 * A HIL rig: the two boards' power (and, where wired, reset) lines switched
 * by relays on a Firmata board, driven with johnny-five's `Relay` through
 * firmata-io on a `SerialPortStream`. One code path for real and simulated
 * rigs: a real one opens an Arduino through `@serialport/bindings-cpp`, the
 * lab's opens its relay controller through the lab's binding
 * (host/lab/relay-controller.ts). See hil/open-rig.ts.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { BindingInterface } from '@serialport/bindings-interface';
import { SerialPortStream } from '@serialport/stream';
import firmataIo from 'firmata-io';
import five from 'johnny-five';
import {
  RESET_PULSE_MS_DEFAULT,
  type RigProfile,
  type RigRelay,
  wiringOf,
} from '../boards/rig-profile.ts';
import { InfrastructureError } from './infrastructure.ts';

export interface Rig {
  readonly profile: RigProfile;
  /** Switches a board's power through its relay; resolves once the relay pin was written. */
  setPower(processor: 1 | 2, on: boolean): Promise<void>;
  /** Pulses a board's reset line where the profile wires one. */
  reset?(processor: 1 | 2): Promise<void>;
  /** Switches a board's power off and on in one step, where the backend has such a command (a PDU's reboot). */
  cycle?(processor: 1 | 2): Promise<void>;
  close(): Promise<void>;
}

/** StandardFirmata's line rate. */
export const FIRMATA_BAUD = 57600;
/**
 * From opening the port to johnny-five's ready. An Uno resets when the port
 * opens and its bootloader waits about 2 s before the sketch answers.
 */
export const RIG_READY_TIMEOUT_MS = 10_000;
/** Ask for the version if the board has not announced it by then. */
const REPORT_VERSION_TIMEOUT_MS = 1000;

/** The relay controller did not answer as a StandardFirmata board (absent, wrong port or rate, other sketch). */
export class RigNotAnsweringError extends InfrastructureError {
  readonly rigNotAnswering = true;
  override name = 'RigNotAnsweringError';
  constructor(message: string, options?: ErrorOptions) {
    super(
      'rig-not-answering',
      message,
      'check the relay controller: its port, that StandardFirmata runs on it, and its USB cable',
      options,
    );
  }
}

/** The profile names a pin the controller does not have or cannot drive as an output. */
export class RigWiringError extends InfrastructureError {
  readonly rigWiring = true;
  override name = 'RigWiringError';
  constructor(message: string, options?: ErrorOptions) {
    super(
      'rig-wiring',
      message,
      'check the pins in the rig profile against the controller',
      options,
    );
  }
}

export async function openRig(options: {
  profile: RigProfile;
  port: string;
  binding: BindingInterface;
  baudRate?: number;
  readyTimeoutMs?: number;
}): Promise<Rig> {
  const { profile, port: path, binding } = options;
  const baudRate = options.baudRate ?? FIRMATA_BAUD;
  const readyTimeoutMs = options.readyTimeoutMs ?? RIG_READY_TIMEOUT_MS;
  const serial = new SerialPortStream({ binding, path, baudRate, autoOpen: false });
  serial.on('error', () => {});
  // firmata-io takes the stream as its transport and starts its handshake on the stream's open.
  const io = new firmataIo.Firmata(serial, { reportVersionTimeout: REPORT_VERSION_TIMEOUT_MS });
  io.on('error', () => {});
  const board = new five.Board({
    io,
    repl: false,
    debug: false,
    sigint: false,
    timeout: readyTimeoutMs,
  });
  const stop = async () => {
    clearTimeout(io.reportVersionTimeoutId);
    if (board.timer !== null) clearTimeout(board.timer);
    // A write still in flight fails with `canceled` on close: it reaches firmata-io's
    // and johnny-five's error events, which must not throw for want of a listener.
    board.removeAllListeners();
    io.removeAllListeners();
    board.on('error', () => {});
    io.on('error', () => {});
    if (serial.isOpen) await new Promise<void>((resolve) => serial.close(() => resolve()));
  };

  let ready: Promise<void> | null = null;
  try {
    ready = waitForReady(board, readyTimeoutMs, path);
    await new Promise<void>((resolve, reject) =>
      serial.open((error) => (error ? reject(error) : resolve())),
    );
    await ready;
  } catch (error) {
    ready?.catch(() => {});
    await stop();
    if (error instanceof RigNotAnsweringError) throw error;
    throw new RigNotAnsweringError(
      `cannot open the relay controller on ${path}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  board.on('error', () => {});

  const relayFor = (relay: RigRelay | undefined, what: string) => {
    if (relay === undefined) {
      throw new RigWiringError(`rig profile ${profile.name} wires no relay for ${what}`);
    }
    const pin = io.pins[relay.pin];
    if (pin === undefined || !pin.supportedModes.includes(io.MODES.OUTPUT)) {
      throw new RigWiringError(
        `the relay controller on ${path} has no output pin ${relay.pin} (${what}); its pins are 0 to ${io.pins.length - 1}: check the rig profile ${profile.name}`,
      );
    }
    board.pinMode(relay.pin, board.MODES.OUTPUT);
    return new five.Relay({
      pin: relay.pin,
      type: relay.contact === 'normally-closed' ? 'NC' : 'NO',
      board,
    });
  };
  let power: Record<1 | 2, InstanceType<typeof five.Relay>>;
  let reset: Partial<Record<1 | 2, InstanceType<typeof five.Relay>>>;
  try {
    power = {
      1: relayFor(wiringOf(profile, 1).power, 'power of P1'),
      2: relayFor(wiringOf(profile, 2).power, 'power of P2'),
    };
    reset = {};
    for (const processor of [1, 2] as const) {
      const line = wiringOf(profile, processor).reset;
      if (line !== undefined) reset[processor] = relayFor(line, `reset of P${processor}`);
    }
  } catch (error) {
    await stop();
    throw error;
  }

  /** The bytes johnny-five wrote have left the line. */
  const written = () =>
    new Promise<void>((resolve, reject) =>
      serial.drain((error) => (error ? reject(error) : resolve())),
    );
  const pulseMs = profile.resetPulseMs ?? RESET_PULSE_MS_DEFAULT;

  const rig: Rig = {
    profile,
    async setPower(processor, on) {
      if (on) power[processor].close();
      else power[processor].open();
      await written();
    },
    close: stop,
  };
  if (reset[1] !== undefined || reset[2] !== undefined) {
    return {
      ...rig,
      async reset(processor) {
        const line = reset[processor];
        if (line === undefined) {
          throw new RigWiringError(
            `rig profile ${profile.name} wires no reset line to P${processor}`,
          );
        }
        line.close();
        await written();
        await sleep(pulseMs);
        line.open();
        await written();
      },
    };
  }
  return rig;
}

function waitForReady(board: InstanceType<typeof five.Board>, timeoutMs: number, path: string) {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        new RigNotAnsweringError(
          `no answer from the relay controller on ${path} within ${timeoutMs} ms: is StandardFirmata running on it at ${FIRMATA_BAUD} baud?`,
        ),
      );
    }, timeoutMs);
    board.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
    board.once('error', (event: unknown) => {
      clearTimeout(timer);
      const message =
        typeof event === 'object' && event !== null && 'message' in event
          ? String((event as { message: unknown }).message)
          : String(event);
      reject(new RigNotAnsweringError(`the relay controller on ${path}: ${message}`));
    });
  });
}
