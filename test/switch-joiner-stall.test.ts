/**
 * A switch whose new version stalls, as an XS board does on a loaded
 * machine (its process is inside one long call into the engine).
 *
 * Just after it asks to join: the wires hold both ways meanwhile, so that
 * when the stall ends the old primary hears the ask and starts the
 * pre-copy, and the new version reads, more than a suspicion time after it
 * asked, the statuses the old primary sent before it heard the ask:
 * counting no joiner. Those say nothing about the ask; only a status on a
 * frame that acknowledges it can tell that the primary gave the new version
 * up. (Before, the new version gave up its rounds on them, and the switch
 * failed at f: "the primary no longer counts us as its joiner".)
 *
 * In the middle of the pre-copy (installing a round): requests are served
 * meanwhile, so the pre-copy waits for progress as long as the new version
 * may take to boot (3 s by default), not the 1 s a hold of requests may
 * last; a stall longer than that still fails the switch at f, and the old
 * version serves on.
 *
 * The boards here boot what the core asks for (BootRom).
 */
import test from 'ava';
import type { AnyApp } from '../firmware/app.ts';
import { reasonText } from '../firmware/reasons.ts';
import { bulkApp } from './helpers/bulk-app.ts';
import { type SwitchingPair, switchingPair } from './helpers/switching-pair.ts';

const FROM = bulkApp(10_000);
const TO: AnyApp = { ...FROM, version: '2.0.0' };

/** Runs the switch until the pair is whole on the new version or a step failed; the failed steps. */
function finish({ pair, runUntil, onTarget }: SwitchingPair): string[] {
  const failed = () => pair.events.some((e) => e.event.kind === 'switch' && !e.event.ok);
  runUntil(() => onTarget() || failed(), 60_000);
  return pair
    .eventsOf('switch')
    .flatMap((e) =>
      e.kind === 'switch' && !e.ok
        ? [`${e.step}: ${e.why === undefined ? '' : reasonText(e.why)}`]
        : [],
    );
}

for (const stallMs of [200, 700, 1500])
  test(`the new version stalled ${stallMs} ms after asking to join takes the pre-copy, and the switch completes`, (t) => {
    const run = switchingPair(FROM, TO);
    const { pair, writer, runUntil } = run;
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
    t.deepEqual(finish(run), [], 'no switch step failed');
    t.deepEqual(
      pair.events.filter((e) => e.event.kind === 'role' && e.event.cause === 'join-abandoned'),
      [],
      'the new version never gave up its ask',
    );
    t.true(run.onTarget(), 'the pair is whole on the new version');
    writer.stopping = true;
    runUntil(() => writer.idle, 5_000);
    pair.run(500);
    const primary = pair.cores[0]?.serving === true ? 0 : 1;
    t.is((pair.core(primary).state as { n: number }).n, writer.acknowledged.size);
    t.deepEqual(pair.core(1).state, pair.core(0).state);
  });

/** The new version stalls `stallMs`, 50 ms into the pre-copy. */
function stallMidPreCopy(stallMs: number): { run: SwitchingPair; failed: string[] } {
  const run = switchingPair(FROM, TO);
  const { pair, runUntil } = run;
  if (pair.core(0).switchToOther(pair.nowMs) !== null) throw new Error('switch refused');
  const preCopy = () =>
    pair.events.some((e) => e.event.kind === 'role' && e.event.cause === 'pre-copy-to-new-version');
  runUntil(preCopy, 20_000);
  pair.run(50);
  pair.freeze(1, stallMs);
  return { run, failed: finish(run) };
}

for (const stallMs of [1500, 2500])
  test(`the new version stalled ${stallMs} ms mid pre-copy: the switch waits for it and completes`, (t) => {
    const { failed } = stallMidPreCopy(stallMs);
    t.deepEqual(failed, []);
  });

test('the new version stalled longer than it may take to boot mid pre-copy: the switch fails at f, on the old version', (t) => {
  const { run, failed } = stallMidPreCopy(5000);
  t.deepEqual(failed, ['f: the big checkpoint made no progress for 3000 ms']);
  t.is(run.pair.core(0).hello.version, FROM.version);
});
