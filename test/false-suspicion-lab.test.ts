/**
 * A primary that stalls longer than the suspicion time but shorter than the
 * silence takeover time, as a loaded machine stalls a board process, on the
 * lab under client load (issue 9, defect 8: under CPU load healthy primaries
 * were taken over and fenced, 7 times in a 10-minute soak). Its partner's
 * DSR stays high, so the backup suspects it and then hears it again: a false
 * suspicion, in its journal and its status, never a takeover or a fence.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { roles, startLab } from './helpers/lab-pair.ts';
import { underLoad } from './helpers/switch-lab.ts';

/** Past the suspicion time (150 ms), well short of the silence takeover time (1,050 ms on the lab). */
const STALL_MS = 400;

test.serial(
  `a primary stopped for ${STALL_MS} ms is a false suspicion in the backup's journal and status, never a takeover`,
  async (t) => {
    const lab = await startLab({ flash: true, baud: 115200 });
    try {
      const before = roles(await lab.statuses());
      const primary = before[0] === 'primary' ? 1 : 2;
      const backup = primary === 1 ? 2 : 1;
      const run = await underLoad(lab, async () => {
        await sleep(500);
        const pid = (await lab.lab.boards()).find((b) => b.processor === primary)?.pid;
        if (pid == null) throw new Error('the primary has no process');
        process.kill(pid, 'SIGSTOP');
        try {
          await sleep(STALL_MS);
        } finally {
          process.kill(pid, 'SIGCONT');
        }
        await sleep(1000);
      });
      const after = await lab.statuses();
      t.deepEqual(roles(after), before, 'no takeover');
      t.deepEqual(
        run.journal.filter(
          (e) => e.kind === 'fence' || (e.kind === 'role' && e.cause === 'takeover'),
        ),
        [],
      );
      const suspicions = run.journal.filter(
        (e) => e.kind === 'false-suspicion' && e.processor === backup,
      );
      t.true(suspicions.length > 0, "the backup's journal has the false suspicion");
      t.true(
        (after[backup - 1]?.pair?.falseSuspicions ?? 0) >= suspicions.length,
        'and its status counts it',
      );
      t.deepEqual(run.violations, []);
      t.is(run.lost, 0);
      t.is(run.duplicated, 0);
    } finally {
      await lab.close();
    }
  },
);
