/**
 * A switch whose new version stalls just after it asks to join, as an XS
 * board does on a loaded machine (its process is inside one long call into
 * the engine). The wires hold both ways meanwhile, so that when the stall
 * ends the old primary hears the ask and starts the pre-copy, and the new
 * version reads, more than a suspicion time after it asked, the statuses
 * the old primary sent before it heard the ask: counting no joiner. Those
 * say nothing about the ask; only a status on a frame that acknowledges it
 * can tell that the primary gave the new version up. (Before, the new
 * version gave up its rounds on them, and the switch failed at f: "the
 * primary no longer counts us as its joiner".)
 *
 * The boards here boot what the core asks for (BootRom).
 */
import test from 'ava';
import type { AnyApp } from '../firmware/app.ts';
import { reasonText } from '../firmware/reasons.ts';
import { BootRom } from './helpers/boot-rom.ts';
import { bulkApp } from './helpers/bulk-app.ts';
import { CorePair } from './helpers/core-pair.ts';
import { RetryingWriter } from './helpers/retrying-writer.ts';

const FROM = bulkApp(10_000);
const TO: AnyApp = { ...FROM, version: '2.0.0' };

for (const stallMs of [200, 700, 1500])
  test(`the new version stalled ${stallMs} ms after asking to join takes the pre-copy, and the switch completes`, (t) => {
    const pair = new CorePair([FROM, FROM], {});
    for (const board of [0, 1] as const) pair.boot(board, { otherVersion: TO.version });
    pair.runUntil(() => pair.whole, 60_000);
    const rom = new BootRom(pair, FROM, TO);
    const writer = new RetryingWriter(pair);
    const runUntil = (done: () => boolean, limitMs: number) =>
      pair.runUntil(() => {
        rom.step();
        writer.step();
        return done();
      }, limitMs);
    t.is(pair.core(0).switchToOther(pair.nowMs), null);
    const switchedAtMs = pair.nowMs;
    const asked = () =>
      pair.events.some(
        (e) =>
          e.board === 1 &&
          e.atMs > switchedAtMs &&
          e.event.kind === 'role' &&
          e.event.cause === 'join-asked',
      );
    runUntil(asked, 20_000);
    t.is(pair.core(1).hello.version, TO.version);
    pair.stallWires(stallMs);
    pair.freeze(1, stallMs);
    const switchFailed = () => pair.events.some((e) => e.event.kind === 'switch' && !e.event.ok);
    const onTarget = () =>
      pair.whole && pair.cores.every((c) => c?.hello.version === TO.version && !c.hello.testMode);
    runUntil(() => onTarget() || switchFailed(), 60_000);
    t.deepEqual(
      pair.eventsOf('switch').filter((e) => e.kind === 'switch' && !e.ok),
      [],
      'no switch step failed',
    );
    t.deepEqual(
      pair.events.filter((e) => e.event.kind === 'role' && e.event.cause === 'join-abandoned'),
      [],
      'the new version never gave up its ask',
    );
    t.true(onTarget(), 'the pair is whole on the new version');
    writer.stopping = true;
    runUntil(() => writer.idle, 5_000);
    pair.run(500);
    const primary = pair.cores[0]?.serving === true ? 0 : 1;
    t.is((pair.core(primary).state as { n: number }).n, writer.acknowledged.size);
    t.deepEqual(pair.core(1).state, pair.core(0).state);
  });

/**
 * The new version stalls in the middle of the pre-copy (one long call into
 * its engine: installing a round). Requests are served meanwhile, so the
 * pre-copy waits for progress as long as the new version may take to boot
 * (3 s by default), not the 1 s a hold of requests may last; a stall longer
 * than that still fails the switch at f, and the old version serves on.
 */
function stallMidPreCopy(stallMs: number): { pair: CorePair; failed: string[] } {
  const pair = new CorePair([FROM, FROM], {});
  for (const board of [0, 1] as const) pair.boot(board, { otherVersion: TO.version });
  pair.runUntil(() => pair.whole, 60_000);
  const rom = new BootRom(pair, FROM, TO);
  const writer = new RetryingWriter(pair);
  const runUntil = (done: () => boolean, limitMs: number) =>
    pair.runUntil(() => {
      rom.step();
      writer.step();
      return done();
    }, limitMs);
  if (pair.core(0).switchToOther(pair.nowMs) !== null) throw new Error('switch refused');
  const preCopy = () =>
    pair.events.some((e) => e.event.kind === 'role' && e.event.cause === 'pre-copy-to-new-version');
  runUntil(preCopy, 20_000);
  pair.run(50);
  pair.freeze(1, stallMs);
  const failed = () => pair.events.some((e) => e.event.kind === 'switch' && !e.event.ok);
  const onTarget = () =>
    pair.whole && pair.cores.every((c) => c?.hello.version === TO.version && !c.hello.testMode);
  runUntil(() => onTarget() || failed(), 60_000);
  const details = pair
    .eventsOf('switch')
    .flatMap((e) =>
      e.kind === 'switch' && !e.ok
        ? [`${e.step}: ${e.why === undefined ? '' : reasonText(e.why)}`]
        : [],
    );
  return { pair, failed: details };
}

for (const stallMs of [1500, 2500])
  test(`the new version stalled ${stallMs} ms mid pre-copy: the switch waits for it and completes`, (t) => {
    const { failed } = stallMidPreCopy(stallMs);
    t.deepEqual(failed, []);
  });

test('the new version stalled longer than it may take to boot mid pre-copy: the switch fails at f, on the old version', (t) => {
  const { pair, failed } = stallMidPreCopy(5000);
  t.deepEqual(failed, ['f: the big checkpoint made no progress for 3000 ms']);
  t.is(pair.core(0).hello.version, FROM.version);
});
