/**
 * A durable store that fails with the power on (worn flash, a file error),
 * on the lab (real board processes, each store a file): the processor whose
 * store failed stops in order (its board process does not crash), says why,
 * and comes back by itself, and the clients' history shows nothing
 * acknowledged lost or done twice. First a write of the primary fails under
 * load; then a read of the backup fails at its next boot.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { boardLogFile } from '../host/lab/lab-config.ts';
import { openLabLoad } from '../host/load/lab-load.ts';
import { waitForAnswer } from '../host/load/load-generator.ts';
import { answerStopAndCheck, roles, startLab } from './helpers/lab-pair.ts';

test.serial(
  "a store that fails a write under the primary, then a read at the backup's boot: each processor stops and comes back, nothing acknowledged lost or done twice",
  async (t) => {
    const lab = await startLab({ flash: true });
    const opened = await openLabLoad(lab.config, 4, 17);
    try {
      const whole = (s: ReturnType<typeof roles>) => s.includes('primary') && s.includes('backup');
      const primary: 1 | 2 = roles(await lab.statuses())[0] === 'primary' ? 1 : 2;
      const backup: 1 | 2 = primary === 1 ? 2 : 1;
      opened.load.start();
      await waitForAnswer(opened.load.answers, 0, (a) => a.ok, 30_000);

      // A few records on, a write fails: the primary stops, its partner takes over.
      await lab.lab.request({ op: 'store-fault-at', board: primary, operation: 5 });
      await lab.waitFor((s) => roles(s)[backup - 1] === 'primary-alone', 60_000);
      await lab.waitFor((s) => whole(roles(s)), 60_000);
      // The journal is per power-on, and the processor rebooted: its board's log keeps the events.
      const events = boardEvents(lab.config.dir, primary);
      t.is(storeFailures(events), 1, 'the processor says why it stopped');
      t.true(
        events.some((e) => e.kind === 'role' && e.role === 'stopped'),
        'it stopped in order: the failure did not escape the core',
      );

      // The backup's next boot fails a read: it stops, boots again, reads, rejoins.
      const answered = opened.load.answers.length;
      await waitForAnswer(opened.load.answers, answered, (a) => a.ok, 30_000);
      const nowBackup = roles(await lab.statuses())[0] === 'backup' ? 1 : 2;
      const failedBefore = storeFailures(boardEvents(lab.config.dir, nowBackup));
      await lab.lab.request({ op: 'store-fault-at', board: nowBackup, operation: 0 });
      await lab.lab.power(nowBackup, false);
      await lab.lab.power(nowBackup, true);
      const after = await lab.waitFor((s) => whole(roles(s)), 60_000);
      t.is(
        storeFailures(boardEvents(lab.config.dir, nowBackup)),
        failedBefore + 1,
        'the read failed, and the processor said so',
      );
      t.is(after[nowBackup - 1]?.storeFailedBoots, 0, 'past its store, the count starts over');
      const violations = await answerStopAndCheck(lab, opened, after);
      t.true(opened.load.history.acknowledged > 0);
      t.is(opened.load.history.lost, 0);
      t.is(opened.load.history.duplicated, 0);
      t.deepEqual(violations, []);
    } finally {
      for (const port of opened.ports) await port.close().catch(() => {});
      await lab.close();
    }
  },
);

test.serial(
  'a store that will not read again: its board boots less and less often, each time saying why, and its partner serves on',
  async (t) => {
    const lab = await startLab({ flash: true });
    try {
      const backup: 1 | 2 = roles(await lab.statuses())[0] === 'backup' ? 1 : 2;
      const primary: 1 | 2 = backup === 1 ? 2 : 1;
      await lab.lab.request({ op: 'store-reads-fail', board: backup });
      await lab.lab.power(backup, false);
      await lab.lab.power(backup, true);
      // Its third stop in a row for the store: the boot after it is held 2 s.
      const held = await lab.waitFor((s) => (s[backup - 1]?.storeFailedBoots ?? 0) >= 3, 60_000);
      const boots = held[backup - 1]?.bootCount ?? 0;
      await sleep(1000);
      const later = await lab.statuses();
      // Without the hold it would boot every 50 ms or so (the lab's boot time and the image's start).
      t.true(
        (later[backup - 1]?.bootCount ?? 0) - boots <= 1,
        `${(later[backup - 1]?.bootCount ?? 0) - boots} boots in the second after the third failure`,
      );
      t.true(
        storeFailures(boardEvents(lab.config.dir, backup)) >= 3,
        'each boot says why it stopped',
      );
      t.true(['primary', 'primary-alone'].includes(roles(later)[primary - 1] ?? ''));
    } finally {
      await lab.close();
    }
  },
);

/** The pair events board `board` logged (one JSON object a line), as values. */
function boardEvents(
  labDir: string,
  board: 1 | 2,
): { kind?: string; code?: string; role?: string; why?: { code?: string } }[] {
  return readFileSync(join(labDir, boardLogFile(board)), 'utf8')
    .split('\n')
    .filter((line) => line.includes('{"kind":'))
    .map((line) => JSON.parse(line.slice(line.indexOf('{"kind":'))));
}

function storeFailures(events: ReturnType<typeof boardEvents>): number {
  return events.filter(
    (e) => e.kind === 'store-refused' && e.code === 'failed' && e.why?.code === 'store-failed',
  ).length;
}
