/**
 * The GPIO a Linux-class board needs, as a small interface handed to the
 * board: a pulse (the fence), a held output and a watched input (the DSR
 * substitute). `gpiod-tools.ts` implements it with the libgpiod command-line
 * tools on the kernel's GPIO character device; tests hand in a fake.
 */
import { HintedError } from '../hinted-error.ts';
import type { GpioLine } from '../profile.ts';

/** A line we drive and hold until `set` again, `close`, or the end of our process. */
export interface GpioOutput {
  /** Drives the line asserted or not; rejects with a GpioError when it cannot. */
  set(asserted: boolean): Promise<void>;
  /** Releases the line (the kernel stops driving it; the board's pull resistor decides its level). */
  close(): Promise<void>;
}

/** A line we watch. */
export interface GpioInput {
  /** The level last seen. */
  readonly asserted: boolean;
  close(): Promise<void>;
}

export interface Gpio {
  /**
   * Asserts `line` for `ms`, then releases it. Resolves when the pulse is
   * over; rejects with a GpioError when the line cannot be driven.
   */
  pulse(line: GpioLine, ms: number): Promise<void>;
  /**
   * Requests `line` as an output at `asserted`. Rejects with a GpioError when
   * the line cannot be requested at all; a line lost later (the holder ends)
   * is reported to the implementation's fault handler, as the board logs it.
   */
  output(line: GpioLine, asserted: boolean): Promise<GpioOutput>;
  /**
   * Requests `line` as an input: resolves once its level is known (rejects
   * with a GpioError when it cannot be read), then `onChange` hears each change.
   */
  input(line: GpioLine, onChange: (asserted: boolean) => void): Promise<GpioInput>;
}

export type GpioErrorCode =
  /** The libgpiod tools are not installed. */
  | 'tools-missing'
  /** The tools are a version we do not drive. */
  | 'tools-version'
  /** The chip or line cannot be requested (no such chip, no permission, line busy). */
  | 'line-unavailable';

/** A GPIO line that cannot be used; `hint` says how to fix it. */
export class GpioError extends HintedError<GpioErrorCode> {
  readonly gpioError = true;
  override name = 'GpioError';
}

export function isGpioError(error: unknown): error is GpioError {
  return typeof error === 'object' && error !== null && (error as GpioError).gpioError === true;
}

/** 'gpiochip0:17 (active high)', for logs and messages. */
export function describeLine(line: GpioLine): string {
  return `${line.chip}:${line.line} (active ${line.activeLevel})`;
}
