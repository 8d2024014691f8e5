/**
 * Image pushes in the deterministic simulator: a switch waits for both
 * inactive slots to hold the new image, a power loss mid-push leaves a
 * partial slot that the boot ROM never boots and a later push resumes, and
 * a push that meets a switch leaves the pair whole once it completes.
 */
import test from 'ava';
import { ledgerV1, ledgerV2 } from '../firmware/apps/ledger/index.ts';
import { pairConfig } from '../firmware/runtime/config.ts';
import { worldOptionsFor } from '../host/simulator/campaign.ts';
import { ledgerSimulation } from '../host/simulator/ledger-simulation.ts';
import { IMAGE_BYTES, SimBoard } from '../host/simulator/sim-board.ts';
import { runSeed } from '../host/simulator/world.ts';
import { explain, runLedger } from './helpers/ledger-world.ts';

const loadApp = (version: string) => (version === '1.0.0' ? ledgerV1 : ledgerV2)('state');

test('the boot ROM never boots a partial slot, and reports no image there', (t) => {
  const board = new SimBoard(1, pairConfig(1), loadApp, ['1.0.0', ''], 1);
  t.is(board.beginPush('2.0.0', false), 0);
  board.pushedTo(1, IMAGE_BYTES - 1);
  t.is(board.otherVersion, '');
  board.scheduleReboot('other-test');
  const core = board.boot(0);
  t.is(core.hello.version, '1.0.0');
  t.false(board.trial);
  t.is(core.hello.otherVersion, '');
  t.regex(board.bootNote, /no whole image in slot 1, stays on 1\.0\.0/);

  // The push resumes where it stopped; the whole image then boots on trial.
  t.is(board.beginPush('2.0.0', false), IMAGE_BYTES - 1);
  board.pushedTo(1, IMAGE_BYTES);
  t.is(board.otherVersion, '2.0.0');
  board.scheduleReboot('other-test');
  t.is(board.boot(10).hello.version, '2.0.0');
  t.true(board.trial);
});

test('a switch is refused until the backup has the image, then goes through', (t) => {
  // P2's other slot starts empty; the push takes about 6.1 s over the host line.
  const result = runLedger({
    runMs: 11_000,
    emptyOtherSlot: [2],
    script: [
      { atMs: 1000, action: 'push-p2' },
      { atMs: 2000, action: 'switch' },
      { atMs: 8000, action: 'switch' },
    ],
  });
  t.is(explain(result), '');
  t.is(result.switchesRefusedUnpushed, 1);
  t.true(result.trace.some((line) => /refused: the backup's other slot holds nothing/.test(line)));
  t.is(result.pushesCompleted, 1);
  t.is(result.switches, 1);
  t.deepEqual(result.finalVersions, ['2.0.0', '2.0.0']);
});

test('a power loss mid-push leaves the slot partial, and the next push resumes it', (t) => {
  const result = runLedger({
    runMs: 12_000,
    emptyOtherSlot: [1, 2],
    script: [
      { atMs: 500, action: 'push-p1' },
      { atMs: 500, action: 'push-p2' },
      { atMs: 3000, action: 'pull-backup' },
      { atMs: 3500, action: 'restore-power' },
      { atMs: 4000, action: 'push-p2' },
      { atMs: 9000, action: 'switch' },
    ],
  });
  t.is(explain(result), '');
  t.is(result.pushesInterrupted, 1);
  t.is(result.pushesCompleted, 2);
  t.true(result.trace.some((line) => /push 2\.0\.0 to P2 slot 1 from byte [1-9]/.test(line)));
  t.is(result.switches, 1);
  t.deepEqual(result.finalVersions, ['2.0.0', '2.0.0']);
});

test('a push over the old primary during a switch: the pair is whole again once it completes', (t) => {
  // P1's inactive slot is written again as the switch starts: when the new
  // primary asks it to boot 2.0.0, its boot ROM stays on 1.0.0 and the
  // primary refuses it; the completed push lets it ask again and boot 2.0.0.
  const result = runLedger({
    runMs: 9000,
    script: [
      { atMs: 2000, action: 'switch' },
      { atMs: 2010, action: 'push-p1' },
    ],
  });
  t.is(explain(result), '');
  t.true(result.trace.some((line) => line.includes('P1  boot ROM: no whole image in slot 1')));
  t.is(result.pushesCompleted, 1);
  t.deepEqual(result.finalVersions, ['2.0.0', '2.0.0']);
});

test('a seed with pushes replays exactly', (t) => {
  // Seeds 1 and 12 start with empty slots and have pushes cut short (classic schedule).
  for (const seed of [1, 12]) {
    const options = () =>
      worldOptionsFor({
        seed,
        mode: 'state',
        module: ledgerSimulation,
        runMs: 10_000,
        faultModel: 'classic',
      });
    const first = runSeed(options());
    t.true(first.pushesCompleted > 0 && first.pushesInterrupted > 0);
    t.deepEqual(runSeed(options()), first);
  }
});
