/**
 * The requests a switch holds for its last round go to the new version
 * behind that round's last chunk, as they are held, and not all behind the
 * round's acknowledgement; and they go compact, [clientId, syncId, body],
 * to an image that reads that form. Before, every held request crossed the
 * interconnect after step f as a record of about twice the bytes (on the
 * lab at 115200, f to g took 43 ms at 1,000 accounts while they crossed).
 * A new version of an older image gets them as records.
 * Two cores back to back in virtual time at 115200 baud; 32 writers. The
 * new version reads nothing for INSTALL_MS from the last chunk on, as a
 * board installing the round and writing its store does (the harness
 * delivers a frame a millisecond after it is sent, and installs at once).
 */
import test, { type ExecutionContext } from 'ava';
import type { AnyApp } from '../firmware/app.ts';
import type { PairEvent, RoleCause } from '../firmware/runtime/outputs.ts';
import { bulkApp } from './helpers/bulk-app.ts';
import { CorePair } from './helpers/core-pair.ts';
import { asOlderImage, bodyOf } from './helpers/older-image.ts';
import type { RetryingWriter } from './helpers/retrying-writer.ts';
import { registeredWriters } from './helpers/switch-writers.ts';

const WRITERS = 32;
const INSTALL_MS = 30;

/** A frame of held requests the old primary sent: when, how many, in which form. */
interface HeldFrame {
  readonly atMs: number;
  readonly requests: number;
  readonly compact: boolean;
}

interface Run {
  readonly pair: CorePair;
  readonly writers: readonly RetryingWriter[];
  readonly heldFrames: readonly HeldFrame[];
  /** When the old primary had the last round's acknowledgement (f), and the new version took the roles (g). */
  readonly fAtMs: number;
  readonly gAtMs: number;
}

const isRole = (event: PairEvent, cause: RoleCause) =>
  event.kind === 'role' && event.cause === cause;

/** Held requests in a body, in either form, or null for another body. */
function heldFrameOf(body: Record<string, unknown> | null, atMs: number): HeldFrame | null {
  if (body?.k !== 'held') return null;
  const compact = Array.isArray(body.r);
  const requests = (compact ? body.r : body.requests) as unknown[];
  return { atMs, requests: requests.length, compact };
}

function switchWithWriters(newVersionOlder: boolean): Run {
  const v1: AnyApp = bulkApp(8000);
  const v2: AnyApp = { ...v1, version: '2.0.0' };
  const pair = new CorePair([v1, v1], {});
  for (const board of [0, 1] as const) pair.boot(board, { otherVersion: v2.version });
  pair.runUntil(() => pair.whole, 60_000);
  const { writers, step } = registeredWriters(pair, v1, v2, WRITERS);
  const oldPrimary = pair.core(0).serving ? 0 : 1;
  const newVersion = oldPrimary === 0 ? 1 : 0;
  const holding = () => pair.events.some((e) => isRole(e.event, 'big-checkpoint-to-new-version'));
  const heldFrames: HeldFrame[] = [];
  let installing = false;
  pair.onTheWire = (from, frame) => {
    if (from === newVersion) return newVersionOlder ? asOlderImage(frame, 'heldCompact') : frame;
    const body = bodyOf(frame) as Record<string, unknown> | null;
    const held = heldFrameOf(body, pair.nowMs);
    if (held !== null) heldFrames.push(held);
    // The round's last chunk: the new version is busy with it for a while.
    if (
      !installing &&
      holding() &&
      body?.k === 'snap' &&
      body.index === (body.count as number) - 1
    ) {
      installing = true;
      pair.freeze(newVersion, INSTALL_MS);
    }
    return frame;
  };
  if (pair.core(oldPrimary).switchToOther(pair.nowMs) !== null) throw new Error('switch refused');
  const onTarget = () =>
    pair.whole && pair.cores.every((c) => c?.hello.version === v2.version && !c.hello.testMode);
  pair.runUntil(() => {
    step();
    return onTarget();
  }, 60_000);
  for (const writer of writers) writer.stopping = true;
  pair.runUntil(() => {
    step();
    return writers.every((w) => w.idle);
  }, 10_000);
  const stepAtMs = (board: 0 | 1, name: string) =>
    pair.events.find((e) => e.board === board && e.event.kind === 'switch' && e.event.step === name)
      ?.atMs ?? Number.NaN;
  return {
    pair,
    writers,
    heldFrames,
    fAtMs: stepAtMs(oldPrimary, 'f'),
    gAtMs: stepAtMs(newVersion, 'g'),
  };
}

/** Held requests sent before f, and at or after it. */
function split(run: Run): { readonly before: number; readonly after: number } {
  const count = (frames: readonly HeldFrame[]) => frames.reduce((sum, f) => sum + f.requests, 0);
  return {
    before: count(run.heldFrames.filter((f) => f.atMs < run.fAtMs)),
    after: count(run.heldFrames.filter((f) => f.atMs >= run.fAtMs)),
  };
}

/** Every write acknowledged ran once, on both boards. */
function assertNothingLost(t: ExecutionContext, run: Run): void {
  const { pair, writers } = run;
  const acknowledged = writers.reduce((sum, w) => sum + w.acknowledged.size, 0);
  t.true(acknowledged > 10 * WRITERS, `${acknowledged} writes acknowledged`);
  t.is((pair.core(0).state as { n: number }).n, acknowledged, 'each write ran once');
  t.deepEqual(pair.core(1).state, pair.core(0).state);
}

test('the held requests cross compact, behind the last round as they are held, not behind its acknowledgement', (t) => {
  const run = switchWithWriters(false);
  const { before, after } = split(run);
  t.log(
    `held requests sent before f ${before}, after ${after}; f to g ${run.gAtMs - run.fAtMs} ms`,
  );
  t.true(before > after, 'most held requests crossed before f');
  t.true(
    run.heldFrames.every((f) => f.compact),
    'each in the compact form',
  );
  assertNothingLost(t, run);
});

test('a new version of an older image gets the held requests as records', (t) => {
  const run = switchWithWriters(true);
  const { before, after } = split(run);
  t.log(
    `held requests sent before f ${before}, after ${after}; f to g ${run.gAtMs - run.fAtMs} ms`,
  );
  t.true(before + after > 0, 'requests were held');
  t.true(
    run.heldFrames.every((f) => !f.compact),
    'each as a record',
  );
  assertNothingLost(t, run);
});
