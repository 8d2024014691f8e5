/**
 * A campaign gives the same result on one thread, on worker threads and as
 * merged shards, seed for seed: the seeds run wherever, the tally adds
 * them up in seed order. Wall time is the only field that may differ.
 */
import { resolve } from 'node:path';
import test from 'ava';
import { loadSimulationModule } from '../host/simulator/app-module.ts';
import { CampaignMergeError, mergeSeedLines } from '../host/simulator/campaign-merge.ts';
import { runCampaignInWorkers } from '../host/simulator/campaign-pool.ts';
import type { CampaignResult } from '../host/simulator/campaign-tally.ts';
import type { SeedLine } from '../host/simulator/seed-line.ts';
import { shardRange } from '../host/simulator/seed-shard.ts';

// Short seeds of the wide model, of an app whose converter drops data on
// the way down: its fallbacks are caught, so seeds fail and the violation
// lists are compared too (a range of the ledger that fails today may pass
// tomorrow).
const RANGE = { startSeed: 55, seeds: 10 };
const APP_PATH = resolve('test/fixtures/plain-app/lossy-fallback-app.ts');
const APP_MODULE = await loadSimulationModule(APP_PATH);
const RUN_MS = 6_000;

function campaign(workers: number, range = RANGE, onSeed?: (line: SeedLine) => void) {
  return runCampaignInWorkers({
    ...range,
    mode: 'state',
    module: APP_MODULE,
    appPath: APP_PATH,
    runMs: RUN_MS,
    workers,
    ...(onSeed !== undefined && { onSeed }),
  });
}

function withoutTimes(result: CampaignResult): Omit<CampaignResult, 'wallMs' | 'seedsPerMinute'> {
  const { wallMs: _wall, seedsPerMinute: _rate, ...rest } = result;
  return rest;
}

test('--workers 1 and --workers 2 give identical results, and lines in seed order', async (t) => {
  const one = await campaign(1);
  const order: number[] = [];
  const two = await campaign(2, RANGE, (line) => order.push(line.seed));
  t.true(one.failingSeeds.length > 0, 'the range has failing seeds to compare');
  t.deepEqual(order, [55, 56, 57, 58, 59, 60, 61, 62, 63, 64]);
  t.deepEqual(withoutTimes(two), withoutTimes(one));
  t.is(JSON.stringify(withoutTimes(two)), JSON.stringify(withoutTimes(one)), 'same key order');
});

test('shards written as JSON lines and merged equal one run over the range', async (t) => {
  const whole = await campaign(1);
  const shards: string[] = [];
  for (const index of [3, 1, 2]) {
    const lines: string[] = [];
    await campaign(1, shardRange(RANGE, { index, count: 3 }), (line) =>
      lines.push(JSON.stringify(line)),
    );
    shards.push(`${lines.join('\n')}\n`);
  }
  const { result: merged } = mergeSeedLines(shards.map((text, i) => ({ name: `shard${i}`, text })));
  t.is(JSON.stringify(withoutTimes(merged)), JSON.stringify(withoutTimes(whole)));
});

test('shard slices cover the range once, differing in length by at most one', (t) => {
  const range = { startSeed: 10, seeds: 100_000 };
  let next = range.startSeed;
  const lengths = new Set<number>();
  for (let index = 1; index <= 7; index++) {
    const slice = shardRange(range, { index, count: 7 });
    t.is(slice.startSeed, next);
    next += slice.seeds;
    lengths.add(slice.seeds);
  }
  t.is(next, range.startSeed + range.seeds);
  t.true(Math.max(...lengths) - Math.min(...lengths) <= 1);
});

test('merge refuses a missing shard, a shard twice, mixed campaigns and foreign lines', async (t) => {
  const lines: SeedLine[] = [];
  await campaign(1, { startSeed: 1, seeds: 3 }, (line) => lines.push(line));
  const text = (...picked: SeedLine[]) => picked.map((line) => JSON.stringify(line)).join('\n');
  const [a, b, c] = lines as [SeedLine, SeedLine, SeedLine];
  const code = (inputs: string[]) => {
    const error = t.throws(() => mergeSeedLines(inputs.map((text) => ({ name: 'f', text }))), {
      instanceOf: CampaignMergeError,
    });
    return error?.code;
  };
  t.is(code([text(a, c)]), 'missing-seeds');
  t.is(code([text(a, b), text(b, c)]), 'duplicate-seed');
  t.is(code([text(a, { ...b, campaign: { ...b.campaign, runMs: 1 } }, c)]), 'mixed-campaigns');
  t.is(code([`${text(a)}\n{"hello":1}`]), 'not-a-seed-line');
  t.is(code(['\n']), 'no-seeds');
});
