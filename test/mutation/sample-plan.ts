/**
 * A random sample of the full mutation run. The full run is about 5,600
 * mutants and a survivor costs every seed that reaches it, so it takes
 * more than a day of CPU on this machine; a uniform sample of a few hundred
 * mutants, drawn with a seed, estimates the whole run's score within a few
 * points in an hour or two. sample-checker.ts keeps Stryker to the sample.
 */
import type { Mutant } from '@stryker-mutator/api/core';
import { seededRandom } from '../../firmware/runtime/random.ts';

/** Where the sample's places are, for the checker in Stryker's worker processes. */
export const SAMPLE_FILE_VARIABLE = 'TANDEM_MUTATION_SAMPLE';

/** The checker's reason for a mutant it keeps out: Stryker reports it as a compile error with this. */
export const OUTSIDE_SAMPLE = 'outside the sample';

/** A mutant's place: its file from the project root, its span (lines and columns from 0, as Stryker's), what it changes. */
export function mutantPlace({
  fileName,
  location: { start, end },
  mutatorName,
  replacement,
}: Pick<Mutant, 'fileName' | 'location' | 'mutatorName'> & {
  readonly replacement?: string | undefined;
}): string {
  return `${fileName}:${start.line}:${start.column}-${end.line}:${end.column}:${mutatorName}:${replacement ?? ''}`;
}

/**
 * A Stryker `--mutate` pattern for the mutant's own span: Stryker compiles in
 * the mutants inside it, this one and any nested in it (its ranges count
 * lines from 1 and columns from 0, both ends included).
 */
export function spanPattern({ fileName, location: { start, end } }: Mutant): string {
  return `${fileName}:${start.line + 1}:${start.column}-${end.line + 1}:${end.column}`;
}

/** `size` of `items`, drawn without replacement, in a seed's order (a partial Fisher-Yates shuffle). */
export function drawSample<T>(items: readonly T[], size: number, seed: number): T[] {
  const pool = [...items];
  const random = seededRandom(seed);
  const count = Math.min(size, pool.length);
  for (let at = 0; at < count; at++) {
    const pick = at + Math.floor(random() * (pool.length - at));
    [pool[at], pool[pick]] = [pool[pick] as T, pool[at] as T];
  }
  return pool.slice(0, count);
}

/**
 * The 95% Wilson score interval of a proportion `detected` of `tested`: where
 * the whole run's score lies, given the sample's (the sample is small
 * beside the whole, so no finite-population correction).
 */
export function wilsonInterval(detected: number, tested: number): { low: number; high: number } {
  if (tested === 0) return { low: 0, high: 1 };
  const z = 1.959964;
  const p = detected / tested;
  const denominator = 1 + (z * z) / tested;
  const centre = (p + (z * z) / (2 * tested)) / denominator;
  const half =
    (z * Math.sqrt((p * (1 - p)) / tested + (z * z) / (4 * tested * tested))) / denominator;
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}
