/**
 * One processor pair, one path, a switch of a big state under way: the old
 * primary's process stalls in the middle of the pre-copy for longer than the
 * suspicion time. The new version, hearing nothing, gives up the rounds it
 * holds and asks to join again, as the same incarnation. The old primary
 * must take that as the new version starting its big checkpoint over, and
 * send the rounds again from the first: the switch completes, on the new
 * version. (Before, it took the join as a partner on another version outside
 * a switch, told it to revert its trial image, and the switch failed at f.)
 *
 * A round the old primary built on one the new version gave up (sent as it
 * woke, before it read the ask) is skipped. Before, it was "unusable": the
 * new version dropped out and the switch failed at f, as seen about once in
 * a few hundred XS upgrade demos; a stall at every moment of the switch
 * shows the window.
 *
 * Stalled across step d's time limit while the new version asked to join,
 * the old primary reads the ask that waited for it before it judges the
 * limit (before, it woke to its timer first and failed the switch at d, "no
 * new version", with the ask unread).
 *
 * The boards here boot what the core asks for (BootRom).
 */
import test from 'ava';
import type { AnyApp } from '../firmware/app.ts';
import { bulkApp } from './helpers/bulk-app.ts';
import type { CorePair } from './helpers/core-pair.ts';
import { type Fault, faultAt, TRANSIENT_FAULTS, walkMs } from './helpers/fault-walk.ts';
import { switchingPair } from './helpers/switching-pair.ts';

const FROM = bulkApp(30_000);
const TO: AnyApp = { ...FROM, version: '2.0.0' };

function switchEvents(pair: CorePair) {
  return pair.eventsOf('switch') as Extract<
    CorePair['events'][number]['event'],
    { kind: 'switch' }
  >[];
}

// Into the pre-copy (which lasts about 3 s here): from its first round to its last ones.
for (const stallAfterMs of [100, 700, 1300, 1900, 2500])
  test(`the new version joining again mid pre-copy (the old primary stalled ${stallAfterMs} ms into it) gets the rounds again and the switch completes`, (t) => {
    const { pair, writer, runUntil, onTarget } = switchingPair(FROM, TO, { pathCount: 1 });
    t.is(pair.core(0).switchToOther(pair.nowMs), null);
    const preCopyStarted = () =>
      pair.events.some(
        (e) => e.event.kind === 'role' && e.event.cause === 'pre-copy-to-new-version',
      );
    runUntil(preCopyStarted, 20_000);
    const stallAtMs = pair.nowMs + stallAfterMs;
    runUntil(() => pair.nowMs >= stallAtMs, 10_000);
    t.is(pair.core(0).role, 'switching');
    const suspicion = pair.configs[0].heartbeatIntervalMs * pair.configs[0].suspectMissCount;
    const frozenAtMs = pair.nowMs;
    // Past the time a joiner waits for a powered primary (as long as a backup would) before it asks again.
    pair.freeze(0, pair.configs[0].silenceTakeoverAfterMs + suspicion);
    runUntil(
      () =>
        pair.events.some(
          (e) =>
            e.board === 1 &&
            e.atMs > frozenAtMs &&
            e.event.kind === 'role' &&
            e.event.cause === 'join-asked',
        ),
      5_000,
    );
    runUntil(() => onTarget() || switchEvents(pair).some((e) => !e.ok), 60_000);
    t.deepEqual(
      switchEvents(pair).filter((e) => !e.ok),
      [],
      'no switch step failed',
    );
    t.true(onTarget(), 'the pair is whole on the new version');
    // The last request answered, every write ran once: the counter is the number acknowledged.
    writer.stopping = true;
    runUntil(() => writer.idle, 5_000);
    pair.run(500); // the backup applies what was in flight
    const primary = pair.cores[0]?.serving === true ? 0 : 1;
    t.is((pair.core(primary).state as { n: number }).n, writer.acknowledged.size);
    t.true(writer.acknowledged.size > 50, `${writer.acknowledged.size} writes during the switch`);
    t.deepEqual(pair.core(1).state, pair.core(0).state);
  });

test('the old primary stalled at any moment of the switch: rounds built on ones the new version gave up are skipped, and the switch completes', (t) => {
  const switchMs = walkMs();
  const failed: string[] = [];
  for (let atMs = 0; atMs <= switchMs; atMs += 10) {
    const { failedSteps } = faultAt(TRANSIENT_FAULTS['P1 stalls'] as Fault, 200, atMs);
    if (failedSteps.length > 0) failed.push(`${atMs} ms: ${failedSteps.join('; ')}`);
  }
  t.log(`the old primary stalled 200 ms every 10 ms of a ${switchMs} ms switch`);
  t.deepEqual(failed, []);
});

test("the old primary stalled across step d's limit reads the new version's ask before judging it: the switch completes", (t) => {
  const app = bulkApp(10_000);
  const target: AnyApp = { ...app, version: '2.0.0' };
  const run = switchingPair(app, target);
  const { pair } = run;
  const switchedAtMs = pair.nowMs;
  t.is(pair.core(0).switchToOther(switchedAtMs), null);
  // The new version boots slowly: it asks 300 ms before the limit, while
  // the old primary is stalled from 400 ms before it until 300 ms after.
  run.runUntil(() => pair.cores[1]?.role === 'booting', 5_000);
  const stepA = switchEvents(pair).find((e) => e.step === 'a');
  const limitMs = stepA?.why?.code === 'asked-to-stop' ? stepA.why.ms : 0;
  t.true(limitMs > 1000, `step d waits ${limitMs} ms`);
  pair.freeze(1, switchedAtMs + limitMs - 300 - pair.nowMs);
  run.runUntil(() => pair.nowMs >= switchedAtMs + limitMs - 400, 10_000);
  pair.freeze(0, 700);
  run.runUntil(() => run.onTarget() || switchEvents(pair).some((e) => !e.ok), 60_000);
  t.deepEqual(
    switchEvents(pair).filter((e) => !e.ok),
    [],
  );
  t.true(run.onTarget());
});
