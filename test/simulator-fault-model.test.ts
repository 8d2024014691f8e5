/**
 * The wide fault model's parts: board clocks, the judge of takeovers, the
 * rule that excuses a cold start, a seed that throws, and that a wide seed
 * replays exactly.
 */
import test from 'ava';
import { BoardClock } from '../host/simulator/board-clock.ts';
import { worldOptionsFor } from '../host/simulator/campaign.ts';
import { FAULT_GROUPS, wideProfile } from '../host/simulator/fault-model.ts';
import { ledgerSimulation } from '../host/simulator/ledger-simulation.ts';
import { StateCopies } from '../host/simulator/state-copies.ts';
import { TakeoverJudge } from '../host/simulator/takeover-judge.ts';
import { runSeed } from '../host/simulator/world.ts';
import { runLedger } from './helpers/ledger-world.ts';

test('a board clock with drift and offset never reads backwards and maps back to world time', (t) => {
  const clock = new BoardClock({ drift: 150e-6, offsetMs: 1_234_567 });
  const reading = clock.at(10_000);
  t.is(reading, 10_000 * (1 + 150e-6) + 1_234_567);
  t.true(Math.abs(clock.worldAt(reading) - 10_000) < 1e-6);
  // A floor (what a wake-up asked for) wins over rounding, and later readings never go back.
  t.is(clock.at(10_000, reading + 1), reading + 1);
  t.is(clock.at(10_000), reading + 1);
});

test('the judge: one path cut alone behind a takeover is false-one-path; a long stall or every path down is a failure', (t) => {
  const judge = new TakeoverJudge(2, 150, 250);
  judge.pathTouched(0, 900);
  // Path 0 cut one way since 900, path 1 clean: P2 takes over a powered P1 at 1100.
  t.is(judge.judge(1, 1100, true, [false, true]), 'false-one-path');
  // Nothing wrong at all: counted as false, not the one-path violation.
  t.is(new TakeoverJudge(2, 150, 250).judge(1, 1100, true, [true, true]), 'false');
  // The old primary stalled for the suspicion time: a failure behind it.
  const stalled = new TakeoverJudge(2, 150, 250);
  stalled.stalled(0, 900, 1500);
  t.is(stalled.judge(1, 1100, true, [true, true]), 'failure-behind');
  // Every path had a fault in the window: a failure behind it.
  const wires = new TakeoverJudge(2, 150, 250);
  wires.pathTouched(0, 1000);
  wires.pathTouched(1, 1000);
  t.is(wires.judge(1, 1100, true, [true, true]), 'failure-behind');
  // The old primary lost power: a failure behind it.
  t.is(new TakeoverJudge(2, 150, 250).judge(1, 1100, false, [true, true]), 'failure-behind');
});

test('a cold start is a double failure only when faults took both copies', (t) => {
  const pulls = new StateCopies();
  pulls.observe(0, true, 'primary');
  pulls.observe(1, true, 'backup');
  pulls.taken(1, 'fault', 'power pulled');
  pulls.taken(0, 'fault', 'power pulled');
  t.true(pulls.doubleFault);

  // The backup stopped by a switch, then one pull: the switch's window, counted apart.
  const stop = new StateCopies();
  stop.observe(0, true, 'primary');
  stop.observe(1, true, 'backup');
  stop.observe(1, false, 'stopped');
  stop.taken(1, 'switch', 'a switch stopped it');
  stop.taken(0, 'fault', 'power pulled');
  t.false(stop.doubleFault);
  t.true(stop.inSwitchWindow);
  t.regex(stop.describe(), /P2 lost its copy by switch \(a switch stopped it\)/);

  // The backup gave up its copy on its own, then one pull: a single fault took the only copy.
  const dropped = new StateCopies();
  dropped.observe(0, true, 'primary');
  dropped.observe(1, true, 'backup');
  dropped.observe(1, false, 'booting');
  dropped.taken(0, 'fault', 'power pulled');
  t.false(dropped.doubleFault);
  t.false(dropped.inSwitchWindow);
  t.regex(dropped.describe(), /P2 lost its copy by core \(its core went booting\)/);
});

test('a seed that throws is reported as seed-threw with what it got to', (t) => {
  // The image of 2.0.0 cannot be loaded: the switch makes the seed throw.
  const result = runLedger({
    runMs: 4000,
    loadApp: (version) => {
      if (version === '2.0.0') throw new Error('no such image 2.0.0');
      return ledgerSimulation.versions('state')[0];
    },
    script: [{ atMs: 1000, action: 'switch' }],
  });
  const threw = result.violations.filter((v) => v.kind === 'seed-threw');
  t.is(threw.length, 1);
  t.regex(threw[0]?.detail ?? '', /no such image 2\.0\.0/);
  t.true(result.acknowledged > 0);
});

test('a wide seed replays exactly, and its profile comes from the seed alone', (t) => {
  // 45 runs microcontroller-class boards, whose slices take virtual time.
  for (const seed of [5, 12, 45]) {
    const options = () =>
      worldOptionsFor({ seed, mode: 'replay', module: ledgerSimulation, runMs: 6000 });
    const first = runSeed(options());
    t.is(first.faultModel, 'wide');
    t.deepEqual(runSeed(options()), first);
    t.deepEqual(wideProfile(seed, {}, true), wideProfile(seed, {}, true));
  }
  // Forcing one topology field leaves the rest of the draw as it was.
  const drawn = wideProfile(7, {}, true);
  const forced = wideProfile(7, { pathCount: 1 }, true);
  t.is(forced.topology.pathCount, 1);
  t.deepEqual({ ...forced, topology: null }, { ...drawn, topology: null });
});

test('microcontroller-class boards: a share of wide seeds, both or one beside a Linux-class board, slices of 1 to 20 ms, in their group alone when focused', (t) => {
  const drawn = Array.from(
    { length: 400 },
    (_, seed) => wideProfile(seed, {}, true).microcontroller,
  );
  const slow = drawn.filter((m) => m !== null);
  t.true(slow.length > 20 && slow.length < 120, `${slow.length} of 400`);
  for (const m of slow) t.true(m.sliceMs >= 1 && m.sliceMs < 20, String(m.sliceMs));
  const pairs = new Set(slow.map((m) => m.boards.join()));
  t.deepEqual([...pairs].sort(), ['false,true', 'true,false', 'true,true']);
  const others = FAULT_GROUPS.filter((g) => g !== 'microcontroller');
  t.true(drawn.every((_, seed) => wideProfile(seed, {}, true, others).microcontroller === null));
  t.true(
    drawn.some(
      (_, seed) => wideProfile(seed, {}, true, ['microcontroller']).microcontroller !== null,
    ),
  );
});
