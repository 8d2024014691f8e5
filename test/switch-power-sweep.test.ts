/**
 * A retained app, a switch, and one power pull at every moment of it:
 * either board, every 10 ms from step a until the pair is whole on the new
 * version, its power back after 5 ms or 300 ms. Between step a and the
 * pair whole again one board holds the only live copy for a while (the old
 * primary until the new version has the big checkpoint, the new primary
 * until the old one rejoins), so a memory app loses what it acknowledged
 * there; with durable stores nothing acknowledged may be lost at any
 * moment, nothing done twice, and the pair re-forms with equal copies.
 * Both checkpoint models. The walk is test/helpers/fault-walk.ts; the
 * writer's session is known to both boards before the switch.
 */
import test from 'ava';
import type { AnyApp } from '../firmware/app.ts';
import { bulkApp } from './helpers/bulk-app.ts';
import { type Fault, faultAt, walkMs } from './helpers/fault-walk.ts';

const EVERY_MS = 10;
const BACK_AFTER_MS = [5, 300];

/** Board `board` loses its power; it comes back `ms` later. */
const pull =
  (board: 0 | 1): Fault =>
  (walk, ms) => {
    walk.pair.powerOff(board);
    walk.after(ms, () => walk.pair.bootAfterReset(board));
  };

for (const checkpoint of ['state', 'replay'] as const) {
  const app = { ...bulkApp(3_000), checkpoint, durability: 'retained' } as AnyApp;
  const options = { app, durable: true, writesBefore: 5 };

  test(`${checkpoint} model, retained: a power pull of either board at any moment of a switch loses nothing acknowledged`, (t) => {
    const spanMs = walkMs(options);
    const wrong: string[] = [];
    for (const board of [0, 1] as const)
      for (const backAfterMs of BACK_AFTER_MS)
        for (let atMs = 0; atMs <= spanMs; atMs += EVERY_MS) {
          const { problems } = faultAt(pull(board), backAfterMs, atMs, options);
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
  const spanMs = walkMs({ app: { ...app, durability: 'retained' } as AnyApp, durable: true });
  let lossy = 0;
  for (let atMs = 0; atMs <= spanMs; atMs += 4 * EVERY_MS) {
    const { problems } = faultAt(pull(1), 300, atMs, { app, writesBefore: 5 });
    if (problems.some((p) => p.includes('acknowledged'))) lossy += 1;
  }
  t.true(
    lossy > 0,
    'a memory app loses the new primary’s writes when it is pulled before the old primary rejoins',
  );
});
