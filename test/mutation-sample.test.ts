import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CheckStatus } from '@stryker-mutator/api/check';
import { Instrumenter } from '@stryker-mutator/instrumenter';
import test from 'ava';
import { SampleChecker } from './mutation/sample-checker.ts';
import {
  drawSample,
  mutantPlace,
  OUTSIDE_SAMPLE,
  SAMPLE_FILE_VARIABLE,
  spanPattern,
  wilsonInterval,
} from './mutation/sample-plan.ts';
import { mutantsOf } from './mutation/shard-plan.ts';

const FILES = ['firmware/runtime/reply-cache.ts', 'firmware/wire/crc8.ts'];

test('a sample is drawn without repeats, the same for the same seed, and differs by seed', (t) => {
  const places = Array.from({ length: 500 }, (_, i) => `p${i}`);
  const first = drawSample(places, 60, 7);
  t.is(first.length, 60);
  t.is(new Set(first).size, 60);
  t.deepEqual(drawSample(places, 60, 7), first);
  t.notDeepEqual(drawSample(places, 60, 8), first);
  t.is(drawSample(places, 900, 7).length, 500, 'a sample larger than the whole is the whole');
});

test('each mutant is about as likely to be drawn', (t) => {
  const places = Array.from({ length: 20 }, (_, i) => `p${i}`);
  const drawn = new Map<string, number>();
  for (let seed = 0; seed < 2000; seed++) {
    for (const place of drawSample(places, 5, seed)) drawn.set(place, (drawn.get(place) ?? 0) + 1);
  }
  // Expected 500 each (2000 draws of 5 of 20); binomial sd about 19.
  for (const place of places) {
    const n = drawn.get(place) ?? 0;
    t.true(n > 400 && n < 600, `${place} drawn ${n} times`);
  }
});

test('the Wilson interval holds the sample score and narrows with the sample', (t) => {
  const small = wilsonInterval(40, 50);
  const large = wilsonInterval(400, 500);
  t.true(small.low < 0.8 && small.high > 0.8);
  t.true(large.high - large.low < small.high - small.low);
  // Known value: 80 of 100 gives about 71.1% to 86.7%.
  const known = wilsonInterval(80, 100);
  t.is(Math.round(known.low * 1000), 711);
  t.is(Math.round(known.high * 1000), 867);
  t.deepEqual(wilsonInterval(0, 0), { low: 0, high: 1 });
});

test('the checker passes exactly the sampled mutants to the test runner', async (t) => {
  const mutants = await mutantsOf(FILES);
  const places = drawSample(mutants.map(mutantPlace), 9, 12345);
  const dir = mkdtempSync(join(tmpdir(), 'tandem-sample-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'places.json');
  writeFileSync(file, JSON.stringify({ root: process.cwd(), places }));
  const previous = process.env[SAMPLE_FILE_VARIABLE];
  process.env[SAMPLE_FILE_VARIABLE] = file;
  t.teardown(() => {
    if (previous === undefined) delete process.env[SAMPLE_FILE_VARIABLE];
    else process.env[SAMPLE_FILE_VARIABLE] = previous;
  });
  const checker = new SampleChecker();
  await checker.init();
  // Stryker hands checkers absolute file names; the places are relative to the root.
  const results = await checker.check(
    mutants.map((m) => ({ ...m, fileName: resolve(m.fileName) })),
  );
  const passed = Object.values(results).filter((r) => r.status === CheckStatus.Passed);
  t.is(passed.length, 9);
  const kept = Object.values(results).filter(
    (r) => r.status === CheckStatus.CompileError && r.reason === OUTSIDE_SAMPLE,
  );
  t.is(kept.length, mutants.length - 9);
});

test('the checker refuses to run without a sample', async (t) => {
  const previous = process.env[SAMPLE_FILE_VARIABLE];
  delete process.env[SAMPLE_FILE_VARIABLE];
  t.teardown(() => {
    if (previous !== undefined) process.env[SAMPLE_FILE_VARIABLE] = previous;
  });
  await t.throwsAsync(() => new SampleChecker().init(), { message: /shards\.ts sample/ });
});

test("a mutant's span pattern makes Stryker compile in that mutant", async (t) => {
  const mutants = await mutantsOf(['firmware/wire/crc8.ts']);
  for (const mutant of mutants) {
    const pattern = spanPattern(mutant);
    // As Stryker's project reader reads `file:line:column-line:column`.
    const match = /^(.*?):(\d+):(\d+)-(\d+):(\d+)$/.exec(pattern);
    if (match === null) return t.fail(`not a range: ${pattern}`);
    const range = {
      start: { line: Number(match[2]) - 1, column: Number(match[3]) },
      end: { line: Number(match[4]) - 1, column: Number(match[5]) },
    };
    const silent = new Proxy({}, { get: () => () => false });
    const { mutants: inside } = await new Instrumenter(silent as never).instrument(
      [{ name: mutant.fileName, content: readFileSync(mutant.fileName, 'utf8'), mutate: [range] }],
      { plugins: null, excludedMutations: [], ignorers: [] },
    );
    t.true(
      inside.some((m) => mutantPlace(m) === mutantPlace(mutant)),
      pattern,
    );
  }
});
