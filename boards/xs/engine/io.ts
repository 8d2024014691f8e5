/**
 * The IO an image's HAL is built from, in the shape of ECMA-419 (the
 * embedded JavaScript IO standard Moddable implements), so that the adapter
 * in hal-from-io.ts serves a Moddable board as it serves the XS board here.
 * Only the members Tandem uses are declared. Where we leave the standard it
 * says so: ECMA-419's Serial reports no modem-line change, so a board calls
 * `onStatus` when it sees DSR change (a modem-status interrupt on a UART, the
 * lab's DSR poll here); the timer is Moddable's `Timer` (set/clear), which
 * ECMA-419 leaves to the host; the clock is Moddable's `Time.ticks`.
 */

/** ECMA-419 Serial, as far as used: bytes in by `onReadable` + `read`, out by `write`; DTR by `set`, DSR by `get`. */
export interface Serial {
  /** All bytes received and not yet read, or undefined when none (ECMA-419: returns an ArrayBuffer). */
  read(): ArrayBuffer | undefined;
  /** Queues bytes for sending; a cut or dead line loses them silently. */
  write(buffer: ArrayBuffer): void;
  set(lines: { readonly DTR?: boolean }): void;
  get(): { readonly DSR: boolean };
}

export interface SerialOptions {
  /** ECMA-419: bytes are waiting; `count` of them. */
  readonly onReadable: (count: number) => void;
  /** Not ECMA-419 (see above): DSR changed; once at open with its level. */
  readonly onStatus: (lines: { readonly DSR: boolean }) => void;
}

/** ECMA-419 Digital in output mode. */
export interface DigitalOutput {
  write(value: 0 | 1): void;
}

/** The board's IO: where an ECMA-419 host has `device.io`, and the Moddable timer and clock. */
export interface BoardIo {
  /** Opens the serial for interconnect path `port` (0 and up) or the bus ('bus'). */
  openSerial(port: number | 'bus', options: SerialOptions): Serial;
  /** The fence line to the partner's reset; undefined where none is wired. */
  readonly fence: DigitalOutput | undefined;
  /** Status LEDs the board has. */
  readonly leds: Readonly<Partial<Record<'run' | 'primary' | 'fault', DigitalOutput>>>;
  /** Moddable Timer: calls `callback` once after `ms`; `clear` cancels. */
  readonly timer: {
    set(callback: () => void, ms: number): number;
    clear(id: number): void;
  };
  /** Milliseconds from an arbitrary origin, never going backwards (Moddable Time.ticks). */
  ticks(): number;
}
