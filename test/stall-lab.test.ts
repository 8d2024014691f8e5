/**
 * The lab's wires stall: the daemon that owns the hub, the DSR lines and the
 * fence lines is stopped (SIGSTOP), as a loaded machine stops it, for longer
 * than any suspicion time. Real board processes under client load. The pair
 * must lose nothing acknowledged, run nothing twice, never cold-start, and
 * at most one board may be reset by a fence (issue 9, defect 1).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { startLab } from './helpers/lab-pair.ts';
import { underLoad } from './helpers/switch-lab.ts';

for (const stallMs of [800, 1600]) {
  test.serial(`a stall of the lab's wires for ${stallMs} ms loses nothing`, async (t) => {
    const lab = await startLab({ flash: true, baud: 115200 });
    try {
      const daemonPid = Number(readFileSync(join(lab.config.dir, 'daemon.pid'), 'utf8'));
      const run = await underLoad(lab, async () => {
        await sleep(500);
        process.kill(daemonPid, 'SIGSTOP');
        try {
          await sleep(stallMs);
        } finally {
          process.kill(daemonPid, 'SIGCONT');
        }
      });
      t.deepEqual(run.violations, []);
      t.is(run.lost, 0);
      t.is(run.duplicated, 0);
      t.false(run.coldStarted);
      t.true(run.acknowledged > 0);
      const fences = run.journal.filter((e) => e.kind === 'fence');
      t.log(`${run.acknowledged} acknowledged; fences pulsed: ${fences.length}`);
      t.true(fences.length <= 1, 'the boards never fenced each other');
    } finally {
      await lab.close();
    }
  });
}
