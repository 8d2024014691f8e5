/**
 * Parsers for option values. They throw commander's InvalidArgumentError, so
 * commander reports the option by name and the process exits with
 * ExitCode.usage instead of running with a nonsense value.
 */
import { InvalidArgumentError } from 'commander';
import { IMAGE_ENGINES, type ImageEngine } from '../../boards/image-engine.ts';
import { STANDARD_BAUD_RATES } from '../../boards/profile.ts';

/** Seeds feed a 32-bit generator; larger ones would silently alias smaller ones. */
export const MAX_SEED = 0xffff_ffff;

function integer(text: string): number {
  const value = /^[+-]?\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value)) throw new InvalidArgumentError('Must be a whole number.');
  return value;
}

export function positiveInteger(text: string): number {
  const value = integer(text);
  if (value < 1) throw new InvalidArgumentError('Must be at least 1.');
  return value;
}

/** A count that may be 0. */
export function count(text: string): number {
  const value = integer(text);
  if (value < 0) throw new InvalidArgumentError('Must be 0 or more.');
  return value;
}

export function seedNumber(text: string): number {
  const value = integer(text);
  if (value < 0 || value > MAX_SEED) {
    throw new InvalidArgumentError(`Must be between 0 and ${MAX_SEED}.`);
  }
  return value;
}

/** A share between 0 and 1 (fault rates). */
export function rate(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !(value >= 0 && value <= 1))
    throw new InvalidArgumentError('Must be a number from 0 to 1.');
  return value;
}

/** A parser for a time from 0 to `maxMs`. */
export function millisecondsUpTo(maxMs: number): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (text.trim() === '' || !(value >= 0 && value <= maxMs))
      throw new InvalidArgumentError(`Must be from 0 to ${maxMs} ms.`);
    return value;
  };
}

/** A time from 0 to 60 s. */
export const milliseconds = millisecondsUpTo(60_000);

/** A line rate a UART (and a board profile) accepts: one of the standard termios rates. */
export function standardBaud(text: string): number {
  const value = integer(text);
  if (!(STANDARD_BAUD_RATES as readonly number[]).includes(value)) {
    throw new InvalidArgumentError(`Must be a standard rate: ${STANDARD_BAUD_RATES.join(', ')}.`);
  }
  return value;
}

/** `--engines`: engines to measure, comma-separated, each once ("node,xs"). */
export function engineSet(text: string): readonly ImageEngine[] {
  const names = text.split(',').map((name) => name.trim());
  const known = (name: string): name is ImageEngine =>
    (IMAGE_ENGINES as readonly string[]).includes(name);
  if (names.length === 0 || !names.every(known) || new Set(names).size !== names.length) {
    throw new InvalidArgumentError(
      `Must be ${IMAGE_ENGINES.join(', ')} or both, comma-separated, each once.`,
    );
  }
  return names as ImageEngine[];
}

/** `--engine`: one engine for both boards, or one per board, processor 1 first ("xs,node"). */
export function imageEngines(text: string): readonly [ImageEngine, ImageEngine] {
  const names = text.split(',').map((name) => name.trim());
  const known = (name: string): name is ImageEngine =>
    (IMAGE_ENGINES as readonly string[]).includes(name);
  if (names.length > 2 || !names.every(known)) {
    throw new InvalidArgumentError(
      `Must be ${IMAGE_ENGINES.join(' or ')}, or one per board, processor 1 first (xs,node).`,
    );
  }
  const [first, second] = names as ImageEngine[];
  return [first as ImageEngine, second ?? (first as ImageEngine)];
}
