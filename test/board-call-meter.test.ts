/**
 * A board times its calls into every image it runs on one meter from
 * power-on: a switch resets both boards, and the longest calls it made
 * (the old primary's pre-copy, say) must still be in `status` after it.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import type { CallMeter } from '../boards/call-meter.ts';
import type { ImageRunner } from '../boards/image-engine.ts';
import { Board } from '../boards/node/board.ts';
import { flashWithConfirmed, openRom, pushImages, quietPort } from './helpers/push-images.ts';

test('a board keeps the longest calls of the images it ran across a reset', async (t) => {
  const images = await pushImages();
  const path = join(images.dir, 'p1-flash.bin');
  flashWithConfirmed(images, path, images.v1, 4096);
  const meters: CallMeter[] = [];
  // Each image the board starts makes one call, longer than the one before.
  const runImage: ImageRunner = (_payload, _hal, _overrides, calls) => {
    meters.push(calls);
    calls.note('data', 10 * meters.length);
    return {
      status: () => {
        throw new Error('not asked');
      },
      switchToOther: () => null,
      otherImageChanged: () => {},
      state: () => null,
      engine: () => ({ kind: 'node', calls: calls.longest(), busy: calls.busy() }),
      stop: () => {},
    };
  };
  const board = new Board({
    processor: 1,
    bootRom: openRom(images, path),
    ports: { interconnect: [quietPort()], bus: quietPort(), host: quietPort() },
    fence: { wired: false },
    log: () => {},
    bootMs: 1,
    dsrPollMs: 0,
    runImage,
  });
  const booted = async (count: number) => {
    for (let waited = 0; meters.length < count && waited < 5000; waited += 10) await sleep(10);
    t.is(meters.length, count, `boot ${count}`);
  };
  board.start();
  await booted(1);
  board.start();
  await booted(2);
  t.is(meters[1], meters[0], 'the same meter for both images');
  const busy = meters[1]?.busy();
  t.deepEqual(busy, { calls: 2, ms: 30 }, "both images' calls counted");
  t.is(meters[1]?.longest().data?.ms, 20);
});
