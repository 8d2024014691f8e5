/**
 * A retained app, a switch, and one power pull at every moment of it:
 * either board, every 10 ms from step a until the pair is whole on the new
 * version, its power back after 5 ms or 300 ms. Between step a and the
 * pair whole again one board holds the only live copy for a while (the old
 * primary until the new version has the big checkpoint, the new primary
 * until the old one rejoins), so a memory app loses what it acknowledged
 * there; with durable stores nothing acknowledged may be lost at any
 * moment, nothing done twice, and the pair re-forms with equal copies.
 * Both checkpoint models. The boards boot what the core asks for (BootRom).
 */
import test from 'ava';
import { RetentiveMemory } from '../boards/retentive-memory.ts';
import type { AnyApp } from '../firmware/app.ts';
import { BootRom } from './helpers/boot-rom.ts';
import { bulkApp } from './helpers/bulk-app.ts';
import { CorePair } from './helpers/core-pair.ts';
import { RetryingWriter } from './helpers/retrying-writer.ts';

const EVERY_MS = 10;
const BACK_AFTER_MS = [5, 300];

/** A whole pair on `from` with stores (or none), `to` in the other slots, the writer's session known to both. */
function retainedSwitch(from: AnyApp, to: AnyApp, durable: boolean) {
  const stores = durable ? [new RetentiveMemory(), new RetentiveMemory()] : [null, null];
  const pair = new CorePair([from, from], {}, [stores[0] ?? null, stores[1] ?? null]);
  for (const board of [0, 1] as const) pair.boot(board, { otherVersion: to.version });
  pair.runUntil(() => pair.whole, 60_000);
  const rom = new BootRom(pair, from, to);
  const writer = new RetryingWriter(pair);
  let powerBackAtMs = Number.POSITIVE_INFINITY;
  let pulled: 0 | 1 = 0;
  const runUntil = (done: () => boolean, limitMs: number) =>
    pair.runUntil(() => {
      if (pair.nowMs >= powerBackAtMs) {
        powerBackAtMs = Number.POSITIVE_INFINITY;
        pair.bootAfterReset(pulled);
      }
      rom.step();
      writer.step();
      return powerBackAtMs === Number.POSITIVE_INFINITY && done();
    }, limitMs);
  runUntil(() => writer.acknowledged.size >= 5, 10_000);
  const onTarget = () =>
    pair.whole && pair.cores.every((c) => c?.hello.version === to.version && !c.hello.testMode);
  const pull = (board: 0 | 1, backAfterMs: number) => {
    pair.powerOff(board);
    pulled = board;
    powerBackAtMs = pair.nowMs + backAfterMs;
  };
  return { pair, writer, runUntil, onTarget, pull };
}

/** What the pull of `board` `atMs` into the switch cost: acknowledged writes lost or run twice, copies unequal. */
function pullAt(app: AnyApp, durable: boolean, board: 0 | 1, atMs: number, backAfterMs: number) {
  const to: AnyApp = { ...app, version: '2.0.0' };
  const run = retainedSwitch(app, to, durable);
  const { pair, writer } = run;
  const startMs = pair.nowMs;
  if (pair.core(0).switchToOther(startMs) !== null) throw new Error('switch refused');
  run.runUntil(() => pair.nowMs >= startMs + atMs, 60_000);
  run.pull(board, backAfterMs);
  run.runUntil(() => pair.whole && pair.cores.every((c) => c?.role !== 'switching'), 60_000);
  writer.stopping = true;
  run.runUntil(() => writer.idle, 20_000);
  pair.run(500);
  const primary = pair.cores[0]?.serving === true ? 0 : 1;
  const applied = (pair.core(primary).state as { n: number }).n;
  const problems: string[] = [];
  if (applied !== writer.acknowledged.size)
    problems.push(`${writer.acknowledged.size} acknowledged, ${applied} applied`);
  if (JSON.stringify(pair.core(0).state) !== JSON.stringify(pair.core(1).state))
    problems.push('the copies differ');
  if (writer.expiredAt !== null) problems.push(`session expired at sync id ${writer.expiredAt}`);
  return problems;
}

/** How long a switch takes here, from step a until the pair is whole on the new version. */
function switchMs(app: AnyApp): number {
  const run = retainedSwitch(app, { ...app, version: '2.0.0' }, true);
  const startMs = run.pair.nowMs;
  run.pair.core(0).switchToOther(startMs);
  run.runUntil(run.onTarget, 60_000);
  return run.pair.nowMs - startMs;
}

for (const checkpoint of ['state', 'replay'] as const) {
  const app = { ...bulkApp(3_000), checkpoint, durability: 'retained' } as AnyApp;

  test(`${checkpoint} model, retained: a power pull of either board at any moment of a switch loses nothing acknowledged`, (t) => {
    const spanMs = switchMs(app);
    const wrong: string[] = [];
    for (const board of [0, 1] as const)
      for (const backAfterMs of BACK_AFTER_MS)
        for (let atMs = 0; atMs <= spanMs; atMs += EVERY_MS) {
          const problems = pullAt(app, true, board, atMs, backAfterMs);
          if (problems.length > 0)
            wrong.push(
              `P${board + 1} at ${atMs} ms, back after ${backAfterMs} ms: ${problems.join('; ')}`,
            );
        }
    t.log(
      `every ${EVERY_MS} ms of a ${spanMs} ms switch, each board, back after ${BACK_AFTER_MS.join(' or ')} ms`,
    );
    t.deepEqual(wrong, []);
  });
}

test('the same pulls without stores lose what one board alone held: the sweep sees a loss', (t) => {
  const app = { ...bulkApp(3_000), checkpoint: 'state', durability: 'memory' } as AnyApp;
  const spanMs = switchMs({ ...app, durability: 'retained' } as AnyApp);
  let lossy = 0;
  for (let atMs = 0; atMs <= spanMs; atMs += 4 * EVERY_MS)
    if (pullAt(app, false, 1, atMs, 300).some((p) => p.includes('acknowledged'))) lossy += 1;
  t.true(
    lossy > 0,
    'a memory app loses the new primary’s writes when it is pulled before the old primary rejoins',
  );
});
