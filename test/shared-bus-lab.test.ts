/**
 * A shared field bus in the lab (issue 13): real board processes whose
 * profiles say the bus is shared, clients whose requests reach both boards.
 * Power pulls of the primary under load lose and repeat nothing, and the
 * survivor serves after each. Behaviour only: the bench times it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import type { BoardProfile } from '../boards/profile.ts';
import { openBenchLab } from '../host/bench/bench-lab.ts';
import { buildImage } from '../host/image/build.ts';
import { generateKeys } from '../host/image/keys.ts';
import { profileFile } from '../host/lab/lab-config.ts';
import { checkFinalState } from '../host/load/final-state.ts';
import { openLabLoad } from '../host/load/lab-load.ts';
import { waitForAnswer } from '../host/load/load-generator.ts';

const PULLS = 2;
/** Generous: the machine may be busy with other work. */
const ANSWER_LIMIT_MS = 20_000;

test('power pulls of the primary on a shared bus lose and repeat nothing', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'tandem-shared-bus-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const keyDir = join(root, 'keys');
  generateKeys(keyDir);
  const { image } = await buildImage({ app: 'ledger', version: '1.0.0', boards: ['sim'], keyDir });
  const lab = await openBenchLab({
    root,
    baud: 115200,
    busShared: true,
    image,
    publicKeyFile: join(keyDir, 'image-signing.pub'),
  });
  try {
    const profile = JSON.parse(
      readFileSync(join(lab.pair.config.dir, profileFile(1)), 'utf8'),
    ) as BoardProfile;
    t.true(profile.lines.busShared, 'the boards are told the bus is shared');
    const { load, ports } = await openLabLoad(lab.pair.config, 4, 11);
    try {
      load.start();
      for (let i = 0; i < PULLS; i++) {
        const primary = await lab.whole();
        const survivor: 0 | 1 = primary === 1 ? 1 : 0;
        const seen = load.answers.length;
        const atMs = await lab.pull(primary);
        const answer = await waitForAnswer(
          load.answers,
          seen,
          (a) => a.ok && a.board === survivor && a.atMs > atMs,
          ANSWER_LIMIT_MS,
        );
        t.not(answer, undefined, `P${survivor + 1} serves after P${primary} was pulled`);
        await lab.restore(primary);
      }
      const answered = await load.stop(ANSWER_LIMIT_MS);
      const primary = await lab.whole();
      const { violations } = await checkFinalState(
        load.history,
        lab.pair.hosts[primary - 1],
        answered,
      );
      t.deepEqual(violations, []);
      t.true(load.history.acknowledged > 0);
      // On a shared bus a board that does not serve keeps quiet: the profile reached the pair.
      t.deepEqual(
        load.answers.filter((a) => a.error === 'not-primary'),
        [],
      );
    } finally {
      await load.stop(0);
      for (const port of ports) await port.close().catch(() => {});
    }
  } finally {
    await lab.close();
  }
});
