import type { PairEvent } from './runtime/outputs.ts';

/**
 * The hardware a pair runtime needs, as small interfaces a board implements.
 * The firmware image is handed one `Hal` and touches nothing else: no Node
 * APIs, no globals. Errors: methods do not throw for line conditions (a cut
 * cable is silence, not an exception); they throw only for programming
 * errors such as writing to a closed port. On the Node boards the image runs
 * in a sandbox (boards/node/sandbox.ts) and the HAL is made of its own realm's
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
  /** When this boot began (the reset or power-on), on `clock`; absent where the board does not tell. */
  readonly resetAtMs?: number;
  /** Resets the board into the other slot on trial, or into the confirmed image. Does not return normally. */
  reboot(choice: 'other-test' | 'confirmed'): void;
  /** Marks the running image good. */
  confirm(): void;
}

/** The shape of a durable region, from the board profile. */
export interface StoreGeometry {
  /** Bytes of one erase block; erasing sets a whole block to 0xff. */
  readonly eraseBlockBytes: number;
  /** Writes start at, and are a whole number of, this many bytes (the program unit). */
  readonly writeBytes: number;
  /** Erase blocks in the region. */
  readonly blockCount: number;
  /** Erase cycles a block is rated for (the datasheet's endurance). */
  readonly enduranceCycles: number;
}

/**
 * A region of flash or retentive memory that keeps its bytes across power
 * loss: where a `retained` app's log and snapshots live. Flash rules apply:
 * a write only clears bits of erased bytes (write each unit once after an
 * erase), and an erase takes a whole block. A power loss during a write or
 * an erase leaves the bytes it touched undefined (a torn write); every other
 * byte keeps its value. Errors: 'hal-argument' for an offset, length or
 * block outside the region or off the write unit; 'hal-failed' when the
 * medium fails. A board without one has `store` null and runs `memory` apps only.
 */
export interface DurableRegion {
  readonly geometry: StoreGeometry;
  /** Reads `length` bytes at `offset`. */
  read(offset: number, length: number): Uint8Array;
  /** Programs `bytes` at `offset` (both multiples of `writeBytes`); durable when it returns. */
  write(offset: number, bytes: Uint8Array): void;
  /** Erases block `block` to 0xff; durable when it returns. */
  erase(block: number): void;
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
  /** The durable region for a `retained` app's state, or null where the board has none. */
  readonly store: DurableRegion | null;
  /** A line for the board's log. */
  log(line: string): void;
  /**
   * An event for the board's journal (roles, takeovers, switch steps), with
   * the clock reading it happened at: the host reads it to follow a switch
   * and to check a run. Never throws.
   */
  record(event: PairEvent, atMs: number): void;
}
