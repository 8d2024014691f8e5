import type { PairEvent } from './runtime/outputs.ts';

/**
 * The hardware a pair runtime needs, as small interfaces a board implements.
 * The firmware image is handed one `Hal` and touches nothing else: no Node
 * APIs, no globals. Errors: methods do not throw for line conditions (a cut
 * cable is silence, not an exception); they throw only for programming
 * errors such as writing to a closed port. On the Node boards the image runs
 * in a sandbox (boards/sim/sandbox.ts) and the HAL is made of its own realm's
 * objects: arguments must be plain data (bytes a Uint8Array), and an error
 * arrives as a fresh Error with a message and a `code`: 'hal-argument' for a
 * value the board cannot take, 'hal-failed' for a failure of the board.
 */

/** Time. One pending wake-up at a time: a new request replaces the old one. */
export interface Clock {
  /** Milliseconds from an arbitrary origin, never going backwards. */
  now(): number;
  /** Calls `callback` once at or soon after `atMs`; replaces any earlier request. */
  wakeAt(atMs: number, callback: () => void): void;
}

/** One UART with its modem lines. */
export interface Uart {
  /** Queues bytes for sending; returns at once. Bytes to a cut or dead line are lost silently. */
  write(bytes: Uint8Array): void;
  /** Receives bytes as they arrive, in order, in chunks of any size. */
  onData(handler: (bytes: Uint8Array) => void): void;
  /** Drives our DTR line; the partner sees it as DSR. High while we run. */
  setDtr(high: boolean): void;
  /** Called when DSR (the partner's DTR) changes, and once at start with its level. */
  onDsr(handler: (high: boolean) => void): void;
}

/** Output lines. */
export interface Gpio {
  /** Pulses the partner's reset line. A no-op on boards without a fence line. */
  pulseFence(): void;
  /** Status LEDs, where the board has them. */
  setLed(name: 'run' | 'primary' | 'fault', on: boolean): void;
}

/** What the boot ROM tells the image, and what the image may ask of it. */
export interface BootServices {
  /** Unique and increasing for every boot of this board. */
  readonly incarnation: number;
  /** The running image is on trial: it reverts on the next reset unless confirmed. */
  readonly testMode: boolean;
  /** Version of the image in the other slot, '' if none. */
  readonly otherVersion: string;
  /** Seed for handler randomness (a hardware RNG on real boards). */
  readonly seed: number;
  /** Resets the board into the other slot on trial, or into the confirmed image. Does not return normally. */
  reboot(choice: 'other-test' | 'confirmed'): void;
  /** Marks the running image good. */
  confirm(): void;
}

export interface Hal {
  readonly processor: 1 | 2;
  readonly clock: Clock;
  /** Interconnect paths to the partner, in path order. */
  readonly interconnect: readonly Uart[];
  /** The port clients reach us on (the field bus). */
  readonly bus: Uart;
  readonly gpio: Gpio;
  readonly boot: BootServices;
  /** A line for the board's log. */
  log(line: string): void;
  /**
   * An event for the board's journal (roles, takeovers, switch steps), with
   * the clock reading it happened at: the host reads it to follow a switch
   * and to check a run. Never throws.
   */
  record(event: PairEvent, atMs: number): void;
}
