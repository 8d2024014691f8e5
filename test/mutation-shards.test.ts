import { readFileSync } from 'node:fs';
import type { Mutant } from '@stryker-mutator/api/core';
import { Instrumenter } from '@stryker-mutator/instrumenter';
import test from 'ava';
import { linesOf, mutantsOf, pattern, planShards } from './mutation/shard-plan.ts';

const FILES = [
  'firmware/runtime/reply-cache.ts',
  'firmware/runtime/sync-window.ts',
  'firmware/wire/crc8.ts',
];

/** The mutants Stryker makes of a `--mutate` pattern: `file` or `file:a-b` (1-based lines, inclusive), as its project reader reads it. */
async function mutantsOfPattern(text: string): Promise<readonly Mutant[]> {
  const match = /^(.*?):(\d+)-(\d+)$/.exec(text);
  const file = match?.[1] ?? text;
  const mutate =
    match === null
      ? true
      : [
          {
            start: { line: Number(match[2]) - 1, column: 0 },
            end: { line: Number(match[3]) - 1, column: Number.MAX_SAFE_INTEGER },
          },
        ];
  const silent = new Proxy({}, { get: () => () => false });
  const { mutants } = await new Instrumenter(silent as never).instrument(
    [{ name: file, content: readFileSync(file, 'utf8'), mutate }],
    { plugins: null, excludedMutations: [], ignorers: [] },
  );
  return mutants;
}

const key = (m: Mutant) =>
  `${m.location.end.line}:${m.location.end.column}:` +
  `${m.fileName}:${m.location.start.line}:${m.location.start.column}:${m.mutatorName}:${m.replacement}`;

test('shards cut files only where no mutant spans the cut: together they hold every mutant once', async (t) => {
  const all = await mutantsOf(FILES);
  for (const count of [1, 2, 3, 5]) {
    const shards = planShards(all, count, linesOf);
    t.true(shards.length <= count);
    const seen: string[] = [];
    for (const shard of shards) {
      for (const slice of shard) {
        const got = await mutantsOfPattern(pattern(slice));
        t.is(got.length, slice.mutants, `${pattern(slice)} holds the mutants the plan counts`);
        seen.push(...got.map(key));
      }
    }
    t.is(new Set(seen).size, seen.length, `${count} shards: no mutant twice`);
    t.deepEqual(new Set(seen), new Set(all.map(key)), `${count} shards: every mutant`);
  }
});

test('shards are about equal in mutants', async (t) => {
  const all = await mutantsOf(FILES);
  const shards = planShards(all, 3, linesOf);
  t.is(shards.length, 3);
  const sizes = shards.map((shard) => shard.reduce((sum, slice) => sum + slice.mutants, 0));
  for (const size of sizes)
    t.true(Math.abs(size - all.length / 3) <= all.length / 6, `sizes ${sizes.join(', ')}`);
});
