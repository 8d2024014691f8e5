/**
 * How the full mutation run is cut into shards (shards.ts): the mutants
 * Stryker makes of the files, as its instrumenter lists them, packed in
 * file and line order into shards of about equal numbers.
 */
import { readFileSync } from 'node:fs';
import type { Mutant } from '@stryker-mutator/api/core';
import { Instrumenter } from '@stryker-mutator/instrumenter';

/** A slice of a file's lines (1-based, inclusive), or the whole file. */
export interface Slice {
  readonly file: string;
  readonly lines?: readonly [number, number];
  readonly mutants: number;
}

/** `firmware/runtime/core.ts:120-480` or the bare path: Stryker's `--mutate` pattern for a slice. */
export function pattern(slice: Slice): string {
  return slice.lines === undefined
    ? slice.file
    : `${slice.file}:${slice.lines[0]}-${slice.lines[1]}`;
}

/** Every mutant Stryker makes of `files` with its default mutators, as the instrumenter lists them. */
export async function mutantsOf(files: readonly string[]): Promise<readonly Mutant[]> {
  const quiet = () => false;
  const logger = {
    ...Object.fromEntries(
      ['trace', 'debug', 'info', 'warn', 'error', 'fatal'].map((level) => [level, () => {}]),
    ),
    isTraceEnabled: quiet,
    isDebugEnabled: quiet,
    isInfoEnabled: quiet,
    isWarnEnabled: quiet,
    isErrorEnabled: quiet,
    isFatalEnabled: quiet,
  };
  const instrumenter = new Instrumenter(logger as never);
  const { mutants } = await instrumenter.instrument(
    files.map((name) => ({ name, content: readFileSync(name, 'utf8'), mutate: true })),
    { plugins: null, excludedMutations: [], ignorers: [] },
  );
  return mutants;
}

/**
 * Cuts the mutants into `count` shards of about equal numbers, in file and
 * line order: a file goes whole into a shard where it fits, and is cut
 * between lines only where no mutant starts above the cut and ends below it
 * (Stryker takes a mutant into a range only when the range holds all of it).
 */
export function planShards(
  mutants: readonly Mutant[],
  count: number,
  lineCount: (file: string) => number,
): Slice[][] {
  const byFile = new Map<string, Mutant[]>();
  for (const mutant of mutants) {
    const list = byFile.get(mutant.fileName) ?? [];
    list.push(mutant);
    byFile.set(mutant.fileName, list);
  }
  const target = mutants.length / count;
  const shards: Slice[][] = [[]];
  let inShard = 0;
  const current = () => shards[shards.length - 1] as Slice[];
  const startShard = () => {
    if (shards.length < count && inShard > 0) {
      shards.push([]);
      inShard = 0;
    }
  };
  for (const [file, list] of [...byFile].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (inShard + list.length <= target * 1.1) {
      current().push({ file, mutants: list.length });
      inShard += list.length;
      if (inShard >= target) startShard();
      continue;
    }
    // Too big for what is left of this shard: cut it into ranges at the places no mutant spans.
    let fromLine = 1;
    let taken = 0;
    const sorted = [...list].sort((a, b) => a.location.start.line - b.location.start.line);
    let reach = 0; // the furthest line any mutant so far ends on
    for (let index = 0; index < sorted.length; index++) {
      const mutant = sorted[index] as Mutant;
      reach = Math.max(reach, mutant.location.end.line);
      taken++;
      const next = sorted[index + 1];
      // Stryker's locations count lines from 0; ranges on the command line from 1.
      const canCut = next === undefined || next.location.start.line > reach;
      if (canCut && (inShard + taken >= target || next === undefined)) {
        const toLine = next === undefined ? lineCount(file) : next.location.start.line;
        const whole = fromLine === 1 && next === undefined;
        current().push(
          whole ? { file, mutants: taken } : { file, lines: [fromLine, toLine], mutants: taken },
        );
        inShard += taken;
        fromLine = toLine + 1;
        taken = 0;
        if (inShard >= target) startShard();
      }
    }
  }
  return shards.filter((shard) => shard.length > 0);
}

/** Lines in `file`, where the last range of a cut file ends. */
export function linesOf(file: string): number {
  return readFileSync(file, 'utf8').split('\n').length;
}
