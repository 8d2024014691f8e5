/**
 * The new version serves the requests a switch held for it a call's share
 * at a time (`heldServedMax`), the rest in the ticks after, in order: it
 * took the roles and ran every one of them, and logged them, in one call
 * (on XS at the bench's large state, 64 clients: 1.5 million units, the
 * longest call a board made). And the old primary sends them a slice
 * (`encodeSliceBytes`) a frame and a call: 60 of them measured and sent in
 * frames of 4 KB were a call of 620,000 units. Two cores back to back in
 * virtual time, 32 writers, a microcontroller's share of 2 and slice of 512
 * bytes.
 */
import test from 'ava';
import type { AnyApp } from '../firmware/app.ts';
import { PairCore } from '../firmware/runtime/core.ts';
import { encodeCbor } from '../firmware/wire/cbor.ts';
import { bulkApp } from './helpers/bulk-app.ts';
import { CorePair } from './helpers/core-pair.ts';
import { bodyOf } from './helpers/older-image.ts';
import { registeredWriters } from './helpers/switch-writers.ts';

const WRITERS = 32;
const SHARE = 2;
const SLICE = 512;
/** Every call a harness makes into a core. */
const CALLS = ['receiveBytes', 'tick', 'request', 'requests', 'setDsr', 'switchToOther'];

test('the new version serves the held requests a share a call, and every write runs once', (t) => {
  const v1: AnyApp = bulkApp(800);
  const v2: AnyApp = { ...v1, version: '2.0.0' };
  const pair = new CorePair([v1, v1], { heldServedMax: SHARE, encodeSliceBytes: SLICE });
  for (const board of [0, 1] as const) pair.boot(board, { otherVersion: v2.version });
  pair.runUntil(() => pair.whole, 60_000);
  // Where each call into a core began in the events the harness collects: a
  // board's events between two of its calls' starts are the first one's.
  const starts = new Map<PairCore, number[]>();
  const methods = PairCore.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of CALLS) {
    const original = methods[name] as (...args: unknown[]) => unknown;
    methods[name] = function (this: PairCore, ...args: unknown[]) {
      starts.set(this, [...(starts.get(this) ?? []), pair.events.length]);
      return original.apply(this, args);
    };
    t.teardown(() => {
      methods[name] = original;
    });
  }
  const { writers, step } = registeredWriters(pair, v1, v2, WRITERS);
  const oldPrimary = pair.core(0).serving ? 0 : 1;
  const newVersion = oldPrimary === 0 ? 1 : 0;
  // The held requests each frame of the old primary's carries, as their encoded bytes.
  const heldFrames: number[][] = [];
  pair.onTheWire = (from, frame) => {
    const body = bodyOf(frame) as { k?: unknown; r?: unknown[] } | null;
    if (from === oldPrimary && body?.k === 'held')
      heldFrames.push((body.r ?? []).map((r) => encodeCbor(r).length));
    return frame;
  };
  if (pair.core(oldPrimary).switchToOther(pair.nowMs) !== null) throw new Error('switch refused');
  pair.runUntil(() => {
    step();
    return pair.core(newVersion).serving;
  }, 60_000);
  const core = pair.core(newVersion);
  pair.runUntil(() => {
    step();
    return pair.whole && pair.cores.every((c) => c?.hello.version === v2.version);
  }, 60_000);
  for (const writer of writers) writer.stopping = true;
  // The backup applies a share of entries a tick too: until it caught up.
  const count = (board: 0 | 1) => (pair.core(board).state as { n: number }).n;
  pair.runUntil(() => {
    step();
    return writers.every((w) => w.idle) && count(0) === count(1);
  }, 10_000);

  // Transactions the new version ran in each of its calls from the one that took the roles on.
  const tookRolesAt = pair.events.findIndex(
    (e) => e.board === newVersion && e.event.kind === 'role' && e.event.cause === 'roles-taken',
  );
  t.true(tookRolesAt >= 0, 'the new version took the roles');
  const callStarts = starts.get(core) ?? [];
  const perCall = new Map<number, number>();
  pair.events.forEach((e, index) => {
    if (index < tookRolesAt || e.board !== newVersion || e.event.kind !== 'executed') return;
    const call = callStarts.filter((start) => start <= index).length;
    perCall.set(call, (perCall.get(call) ?? 0) + 1);
  });
  const most = Math.max(...perCall.values());
  t.log(
    `${[...perCall.values()].reduce((a, b) => a + b, 0)} transactions in ${perCall.size} calls, at most ${most} in one`,
  );
  t.true(most <= SHARE, `at most ${SHARE} in a call, not ${most}`);

  const sum = (sizes: number[]) => sizes.reduce((a, b) => a + b, 0);
  t.log(
    `held requests crossed in ${heldFrames.length} frames of ${heldFrames.map((f) => f.length).join(', ')}`,
  );
  t.true(heldFrames.length > 1, 'the held requests crossed');
  // A frame's requests fit a slice, but for the last one put in.
  t.true(
    heldFrames.every((f) => f.length === 1 || sum(f.slice(0, -1)) <= SLICE),
    'a frame of held requests fits a slice',
  );

  const acknowledged = writers.reduce((sum, w) => sum + w.acknowledged.size, 0);
  t.true(acknowledged > 4 * WRITERS, `${acknowledged} writes acknowledged`);
  t.is(count(newVersion), acknowledged, 'each write ran once');
  t.deepEqual(pair.core(oldPrimary).state, pair.core(newVersion).state);
});
