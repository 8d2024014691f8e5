/**
 * Two validly signed images of one app and version, one built for the
 * `state` checkpoint model and one for `replay`, on the lab's two boards
 * (issue 9, defect 3: the backup died on the first checkpoint with an
 * uncaught error, and again on every restart). The joiner must be refused at
 * join with a typed reason, keep running (no board process restarts), and
 * the primary serve alone under load, nothing acknowledged lost.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { buildImage } from '../host/image/build.ts';
import { checkFinalState } from '../host/load/final-state.ts';
import { openLabLoad } from '../host/load/lab-load.ts';
import { waitForAnswer } from '../host/load/load-generator.ts';
import { flashImage } from '../host/pair/flash.ts';
import { JournalReader, type ReadEntry } from '../host/pair/journal-reader.ts';
import { roles, startLab } from './helpers/lab-pair.ts';

test.serial(
  'a board running the replay model beside a state-model primary is refused at join, keeps running, and the primary serves alone',
  async (t) => {
    const lab = await startLab({ flash: false });
    const opened = await openLabLoad(lab.config, 4, 17);
    try {
      const replay = await buildImage({
        app: 'ledger',
        version: '1.0.0',
        model: 'replay',
        boards: ['sim'],
        keyDir: lab.keyDir,
      });
      // A new pair flashed with one image of each model: P1 starts it, P2 asks to join.
      const journal = new JournalReader(lab.hosts[1]);
      await flashImage(lab.hosts[0], lab.image, () => {});
      await flashImage(lab.hosts[1], replay.image, () => {});
      await lab.waitFor((s) => roles(s)[0] === 'primary-alone');
      opened.load.start();
      await waitForAnswer(opened.load.answers, 0, (a) => a.ok, 30_000);
      const entries: ReadEntry[] = [];
      const refusal = async () => {
        entries.push(...(await journal.read()));
        return entries.find((e) => e.kind === 'role' && e.cause === 'join-refused');
      };
      const deadline = performance.now() + 30_000;
      while ((await refusal()) === undefined && performance.now() < deadline) await sleep(100);
      const refused = await refusal();
      t.like(refused?.kind === 'role' ? refused.why : undefined, {
        code: 'other-model',
        model: 'replay',
        ours: 'state',
      });

      // Time for several more joins: each is refused, and the board never restarts.
      const answered = opened.load.answers.length;
      const bootsBefore = (await lab.statuses())[1]?.bootCount;
      await sleep(3000);
      const [primary, joiner] = await lab.statuses();
      t.is(primary?.pair?.role, 'primary-alone');
      t.is(joiner?.pair?.role, 'booting', 'the refused board runs its image, not as a backup');
      t.is(joiner?.bootCount, bootsBefore, 'and did not restart');
      t.true(
        opened.load.answers.slice(answered).some((a) => a.ok),
        'the primary serves meanwhile',
      );

      const done = await opened.load.stop(10_000);
      const { violations } = await checkFinalState(opened.load.history, lab.hosts[0], done);
      t.deepEqual(violations, []);
      t.true(opened.load.history.acknowledged > 0);
      t.is(opened.load.history.lost, 0);
      t.is(opened.load.history.duplicated, 0);
    } finally {
      await opened.load.stop(0);
      for (const port of opened.ports) await port.close().catch(() => {});
      await lab.close();
    }
  },
);
